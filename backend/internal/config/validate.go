package config

import (
	"errors"
	"fmt"
	"net"
	"net/mail"
	"net/url"
	"strconv"
	"strings"

	"gatepass.dev/shared/humantime"
)

// Validate checks the configuration and returns every problem found,
// joined with errors.Join. It trims a trailing slash from PublicURL.
// Load calls it.
func (c *Config) Validate() error { return c.validate(nil, nil) }

func (c *Config) validate(hints map[string]string, skip map[string]bool) error {
	var problems []error
	bad := func(name, format string, args ...any) {
		if skip[name] {
			return
		}
		problems = append(problems, errors.New(label(name)+": "+fmt.Sprintf(format, args...)+hints[name]))
	}

	listenOK := false
	if msg := checkListen(c.Listen); msg != "" {
		bad("listen", "%s", msg)
	} else {
		listenOK = true
	}
	if c.MetricsListen != "" {
		if msg := checkListen(c.MetricsListen); msg != "" {
			bad("metrics-listen", "%s", msg)
		} else if c.MetricsListen == c.Listen {
			bad("metrics-listen", "%q is the API's --listen address: give /metrics an address of its own (e.g. 127.0.0.1:9090)", c.MetricsListen)
		}
	}
	if c.MetricsToken != "" {
		// The token is never quoted: it is a secret.
		if len(c.MetricsToken) < MinMetricsToken {
			bad("metrics-token", "is too short (want at least %d characters; e.g. openssl rand -hex 32)", MinMetricsToken)
		} else if strings.IndexFunc(c.MetricsToken, func(r rune) bool { return r <= ' ' || r == 0x7f }) >= 0 {
			bad("metrics-token", "must not contain spaces or control characters (it is sent in an HTTP header)")
		}
	}

	if c.UsesPostgres() {
		// Never quoted: the URL may hold a password.
		if u, err := url.Parse(strings.TrimSpace(c.Database)); err != nil || strings.Trim(u.Path, "/") == "" && u.Query().Get("dbname") == "" {
			bad("database", "is not a PostgreSQL URL of a database (want postgres://USER:PASSWORD@HOST:5432/DATABASE)")
		}
	}

	c.PublicURL = strings.TrimRight(c.PublicURL, "/")
	if !listenOK && c.PublicURL == DefaultPublicURL(c.Listen) {
		// Derived from the bad listen address, already reported.
	} else if c.PublicURL == "" {
		bad("public-url", "must not be empty")
	} else if msg := checkPublicURL(c.PublicURL); msg != "" {
		bad("public-url", "%s", msg)
	}

	if c.SMTP.Host != "" {
		if _, _, err := net.SplitHostPort(c.SMTP.Host); err == nil {
			bad("smtp-host", "%q includes a port; give it with --smtp-port", c.SMTP.Host)
		} else if strings.ContainsAny(c.SMTP.Host, " /@") {
			bad("smtp-host", "%q is not a host name", c.SMTP.Host)
		}
		if c.SMTP.Port < 1 || c.SMTP.Port > 65535 {
			bad("smtp-port", "%d is not a port number (want 1-65535)", c.SMTP.Port)
		}
		if c.SMTP.From == "" {
			bad("smtp-from", "is required when --smtp-host is set")
		} else if _, err := mail.ParseAddress(c.SMTP.From); err != nil {
			bad("smtp-from", "%q is not an email address", c.SMTP.From)
		}
	} else if c.SMTP.Port < 0 || c.SMTP.Port > 65535 {
		bad("smtp-port", "%d is not a port number (want 1-65535)", c.SMTP.Port)
	}
	if !c.SMTP.TLS.Valid() {
		bad("smtp-tls", "%q is not one of none, starttls, tls", string(c.SMTP.TLS))
	}

	if c.PendingTTL < MinPendingTTL || c.PendingTTL > MaxPendingTTL {
		if c.PendingTTL <= 0 {
			bad("pending-ttl", "must be positive (want 1m to 365d)")
		} else {
			bad("pending-ttl", "%s is out of range (want 1m to 365d)", humantime.Span(c.PendingTTL))
		}
	}
	if c.Gateway != "netstack" && c.Gateway != "tun" && c.Gateway != "off" {
		bad("gateway", "%q is not one of netstack, tun, off", c.Gateway)
	}
	if c.GatewayLease < MinGatewayLease || c.GatewayLease > MaxGatewayLease {
		bad("gateway-lease", "%s is out of range (want 4s to 1h)", humantime.Span(c.GatewayLease))
	}
	if _, ok := levels[c.LogLevel]; !ok {
		bad("log-level", "%q is not one of debug, info, warn, error", c.LogLevel)
	}
	if strings.TrimSpace(c.DataDir) == "" {
		bad("data-dir", "must not be empty")
	}

	if c.AdminEmail != "" {
		if a, err := mail.ParseAddress(c.AdminEmail); err != nil || a.Address != c.AdminEmail {
			problems = append(problems, fmt.Errorf("%s: %q is not a plain email address (e.g. admin@example.com)", EnvAdminEmail, c.AdminEmail))
		}
	} else if c.AdminPassword != "" {
		problems = append(problems, fmt.Errorf("%s is set but %s is not", EnvAdminPassword, EnvAdminEmail))
	}
	return errors.Join(problems...)
}

// MinMetricsToken is the shortest --metrics-token accepted.
const MinMetricsToken = 16

// checkListen returns what is wrong with a host:port to listen on, or "".
func checkListen(s string) string {
	host, port, err := net.SplitHostPort(s)
	switch {
	case err != nil:
		return fmt.Sprintf("%q is not host:port (e.g. 127.0.0.1:8080 or :8080)", s)
	case !validPort(port):
		return fmt.Sprintf("%q has an invalid port (want 1-65535)", s)
	case strings.ContainsAny(host, " /"):
		return fmt.Sprintf("%q has an invalid host", s)
	}
	return ""
}

func validPort(s string) bool {
	n, err := strconv.Atoi(s)
	return err == nil && n >= 1 && n <= 65535 && s[0] != '+' && s[0] != '-'
}

// checkPublicURL returns what is wrong with s, or "". The URL is shown
// without any password it may hold.
func checkPublicURL(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		if strings.Contains(s, "@") {
			return "is not a valid URL"
		}
		return fmt.Sprintf("%q is not a valid URL", s)
	}
	shown := fmt.Sprintf("%q", u.Redacted())
	switch {
	case u.Scheme != "http" && u.Scheme != "https":
		return shown + " must start with http:// or https://"
	case u.Opaque != "" || u.Host == "" || u.Hostname() == "":
		return shown + " has no host"
	case u.User != nil:
		return shown + " must not contain a user name or password"
	case u.Port() != "" && !validPort(u.Port()):
		return shown + " has an invalid port (want 1-65535)"
	case u.RawQuery != "" || u.ForceQuery:
		return shown + " must not have a query (?…)"
	case u.Fragment != "" || strings.Contains(s, "#"):
		return shown + " must not have a fragment (#…)"
	}
	return ""
}
