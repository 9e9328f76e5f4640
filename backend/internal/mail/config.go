package mail

import (
	"errors"
	"fmt"
	"net"
	"net/mail"
	"strconv"
	"strings"
	"time"

	"gatepass.dev/shared/api"
)

// DefaultTimeout bounds one Send (connect, TLS, AUTH and the transaction)
// when Config.Timeout is zero.
const DefaultTimeout = 15 * time.Second

// ErrNotConfigured is returned by Send when the configuration has no host or
// no From address. It is a temporary condition: mail can go out once an admin
// completes the SMTP settings.
var ErrNotConfigured = errors.New("smtp is not configured (host and from address are required)")

// ErrInsecureAuth is returned by Send, before it connects, when a username
// is set, the TLS mode is none and AllowInsecureAuth is off: the password
// would cross the network unencrypted. It is a temporary condition too: it
// goes away when an admin chooses starttls or tls, or allows it.
var ErrInsecureAuth = errors.New("refusing to send the SMTP username and password over an unencrypted connection " +
	"(security is none): choose STARTTLS or TLS, or allow authentication without encryption in the server settings")

// Config is how to reach the SMTP server. The zero value is not configured.
type Config struct {
	// Host is the SMTP server's host name or IP address.
	Host string
	// Port is the TCP port; 0 means the usual port of the TLS mode:
	// 25 for none, 587 for starttls, 465 for tls.
	Port int
	// Username enables SMTP AUTH when non-empty; Password goes with it.
	Username, Password string
	// From is the sender, either "addr@example.com" or
	// "Display Name <addr@example.com>". Without a display name the mail
	// shows as from "Gatepass".
	From string
	// TLS is none (plain text, never STARTTLS), starttls (STARTTLS is
	// mandatory) or tls (implicit TLS from the first byte, "SMTPS").
	// Empty means starttls.
	TLS api.SMTPTLS
	// AllowInsecureAuth lets Send authenticate when TLS is none, sending
	// the credentials in clear text (e.g. to a relay on localhost). Off,
	// such a Send fails with ErrInsecureAuth before it connects.
	AllowInsecureAuth bool
	// Timeout bounds one Send; 0 means DefaultTimeout.
	Timeout time.Duration
}

// Configured reports whether Host and From are set, i.e. whether mail can be
// attempted at all.
func (c Config) Configured() bool {
	return strings.TrimSpace(c.Host) != "" && strings.TrimSpace(c.From) != ""
}

// Validate checks the configuration in detail: host, port range, TLS mode,
// the From address, and that credentials would not be sent unencrypted
// (ErrInsecureAuth). Send calls it before it connects.
func (c Config) Validate() error {
	if !c.Configured() {
		return ErrNotConfigured
	}
	if strings.ContainsAny(c.Host, " \t\r\n/") {
		return fmt.Errorf("smtp host %q is not a host name", c.Host)
	}
	if c.Port < 0 || c.Port > 65535 {
		return fmt.Errorf("smtp port %d is out of range", c.Port)
	}
	if c.TLS != "" && !c.TLS.Valid() {
		return fmt.Errorf("smtp tls mode %q is not one of none, starttls, tls", c.TLS)
	}
	if c.Timeout < 0 {
		return fmt.Errorf("smtp timeout %s is negative", c.Timeout)
	}
	if _, err := c.sender(); err != nil {
		return err
	}
	if c.Username != "" && c.tlsMode() == api.SMTPTLSNone && !c.AllowInsecureAuth {
		return fmt.Errorf("smtp %s: %w", c.addr(), ErrInsecureAuth)
	}
	return nil
}

// Endpoint names where and how the credentials go: the host (lower case),
// the effective port and the effective TLS mode. A change of Endpoint is a
// different server, which must not get the old server's password.
func (c Config) Endpoint() string {
	return strings.ToLower(c.addr()) + " tls=" + string(c.tlsMode())
}

// String describes the configuration for logs. It never contains the
// password, only whether one is set.
func (c Config) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "smtp %s tls=%s from=%q", c.addr(), c.tlsMode(), c.From)
	if c.Username != "" {
		fmt.Fprintf(&b, " user=%q", c.Username)
	}
	if c.Password != "" {
		b.WriteString(" password=[set]")
	}
	if c.AllowInsecureAuth {
		b.WriteString(" allow_insecure_auth=true")
	}
	fmt.Fprintf(&b, " timeout=%s", c.timeout())
	return b.String()
}

// GoString keeps %#v from printing the password too.
func (c Config) GoString() string { return "mail.Config{" + c.String() + "}" }

// tlsMode returns the effective TLS mode.
func (c Config) tlsMode() api.SMTPTLS {
	if c.TLS == "" {
		return api.SMTPTLSStartTLS
	}
	return c.TLS
}

// port returns the effective port.
func (c Config) port() int {
	if c.Port != 0 {
		return c.Port
	}
	switch c.tlsMode() {
	case api.SMTPTLSNone:
		return 25
	case api.SMTPTLSTLS:
		return 465
	default:
		return 587
	}
}

// addr returns "host:port".
func (c Config) addr() string {
	return net.JoinHostPort(strings.TrimSpace(c.Host), strconv.Itoa(c.port()))
}

// SendTimeout is how long one Send or Probe may take at most.
func (c Config) SendTimeout() time.Duration { return c.timeout() }

func (c Config) timeout() time.Duration {
	if c.Timeout > 0 {
		return c.Timeout
	}
	return DefaultTimeout
}

// sender parses From; a missing display name becomes "Gatepass".
func (c Config) sender() (*mail.Address, error) {
	from := strings.TrimSpace(c.From)
	if hasControl(from) {
		return nil, fmt.Errorf("smtp from address %q contains control characters", from)
	}
	a, err := mail.ParseAddress(from)
	if err != nil {
		return nil, fmt.Errorf("smtp from address %q: %w", from, err)
	}
	a.Name = HeaderSafe(a.Name)
	if a.Name == "" {
		a.Name = "Gatepass"
	}
	return a, nil
}
