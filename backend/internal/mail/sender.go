package mail

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/base32"
	"fmt"
	"net"
	netmail "net/mail"
	"strings"
	"sync"
	"time"

	gomail "github.com/wneessen/go-mail"
	"github.com/wneessen/go-mail/smtp"

	"gatepass.dev/shared/api"
	"gatepass.dev/shared/brand"
)

// Message is one email to one recipient. The outbox stores one row per
// recipient, so a notification to three admins is three Messages.
type Message struct {
	// To is the recipient, a bare address (see ValidAddress).
	To string
	// Subject is passed through HeaderSafe before use.
	Subject string
	// Text is the text/plain part.
	Text string
	// HTML is the text/html part; when empty the mail is text only.
	HTML string
	// ID, when set, makes the Message-ID: the same ID gives the same
	// Message-ID at every send (the outbox's row, sent again after a
	// crash, is then one message to systems that drop duplicate
	// Message-IDs). Empty: a fresh random Message-ID. Letters, digits, '.'
	// and '-' only.
	ID string
}

// Sender delivers Messages over SMTP with github.com/wneessen/go-mail. It
// holds no connection: every Send dials, delivers one message and quits, so
// configuration changes apply to the next Send. Safe for concurrent use.
type Sender struct {
	// TLSConfig, when set, is cloned as the base of the client TLS
	// configuration for starttls and tls (e.g. RootCAs of a test server).
	// ServerName is always set to Config.Host. Nil means system roots.
	TLSConfig *tls.Config

	now func() time.Time
}

// NewSender returns a Sender that verifies TLS certificates against the
// system roots.
func NewSender() *Sender { return &Sender{now: time.Now} }

// Send delivers m with cfg. It gives up when ctx ends or after cfg.Timeout
// (DefaultTimeout if zero), whichever comes first.
//
// The error says what failed, e.g. "dial smtp 127.0.0.1:2525: connection
// refused" or "send mail to bob@example.com via mx:587: sending SMTP RCPT TO
// command: 550 5.1.1 …". IsPermanent tells whether retrying can help.
func (s *Sender) Send(ctx context.Context, cfg Config, m Message) error {
	if err := cfg.Validate(); err != nil {
		return err
	}
	if err := ValidAddress(m.To); err != nil {
		return fmt.Errorf("send mail: recipient: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("send mail to %s: %w", m.To, err)
	}
	msg, err := s.build(cfg, m)
	if err != nil {
		return err
	}
	return s.session(ctx, cfg, func(client *gomail.Client, conn *smtp.Client) error {
		if err := client.SendWithSMTPClient(conn, msg); err != nil {
			return fmt.Errorf("send mail to %s via %s: %w", m.To, cfg.addr(), err)
		}
		return nil
	})
}

// Probe tells whether the SMTP server of cfg answers: it connects as Send
// does (TCP, TLS, EHLO, STARTTLS and AUTH as configured) and quits without
// sending anything. Its error is worded like Send's and is IsUnreachable.
func (s *Sender) Probe(ctx context.Context, cfg Config) error {
	if err := cfg.Validate(); err != nil {
		return err
	}
	return s.session(ctx, cfg, func(*gomail.Client, *smtp.Client) error { return nil })
}

// session connects to the server of cfg, runs fn on the connection and
// quits, all within cfg's timeout.
func (s *Sender) session(ctx context.Context, cfg Config, fn func(*gomail.Client, *smtp.Client) error) error {
	timeout := cfg.timeout()
	ctx, cancel := context.WithTimeoutCause(ctx, timeout, timeoutError{timeout})
	defer cancel()

	tlsConfig := s.tlsConfig(cfg)
	d := &dialer{ctx: ctx, implicitTLS: cfg.tlsMode() == api.SMTPTLSTLS, tlsConfig: tlsConfig}
	defer d.stop()
	client, err := gomail.NewClient(strings.TrimSpace(cfg.Host), clientOptions(cfg, d, tlsConfig)...)
	if err != nil {
		return fmt.Errorf("smtp client for %s: %w", cfg.addr(), err)
	}

	conn, err := client.DialToSMTPClientWithContext(ctx)
	if err != nil {
		return withCause(ctx, timeout, connectError(cfg.addr(), err))
	}
	err = fn(client, conn)
	// The message is delivered or not by now; a failing QUIT changes nothing.
	_ = client.CloseWithSMTPClient(conn)
	if err != nil {
		return withCause(ctx, timeout, err)
	}
	return nil
}

// build turns m into a go-mail message: multipart/alternative (text, then
// HTML) with From, To, Subject, Date and Message-ID.
func (s *Sender) build(cfg Config, m Message) (*gomail.Msg, error) {
	from, err := cfg.sender()
	if err != nil {
		return nil, err
	}
	msg := gomail.NewMsg(gomail.WithNoDefaultUserAgent())
	msg.FromMailAddress(from)
	msg.ToMailAddress(&netmail.Address{Address: m.To})
	msg.Subject(HeaderSafe(m.Subject))
	now := time.Now
	if s.now != nil {
		now = s.now
	}
	msg.SetDateWithValue(now())
	msg.SetMessageIDWithValue(messageID(from.Address, m.ID))
	msg.SetUserAgent("Gatepass")
	switch {
	case m.HTML == "":
		msg.SetBodyString(gomail.TypeTextPlain, m.Text)
	case m.Text == "":
		msg.SetBodyString(gomail.TypeTextHTML, m.HTML)
	default:
		msg.SetBodyString(gomail.TypeTextPlain, m.Text)
		msg.AddAlternativeString(gomail.TypeTextHTML, m.HTML)
	}
	// The HTML's header shows the brand's mark: it travels inline with the
	// mail (multipart/related), never fetched from anywhere.
	if strings.Contains(m.HTML, "cid:"+brand.MarkCID) {
		if err := msg.EmbedReader(brand.MarkCID, bytes.NewReader(brand.MarkPNG), gomail.WithFileContentType("image/png")); err != nil {
			return nil, err
		}
	}
	return msg, nil
}

func clientOptions(cfg Config, d *dialer, tlsConfig *tls.Config) []gomail.Option {
	opts := []gomail.Option{
		gomail.WithPort(cfg.port()),
		gomail.WithTimeout(cfg.timeout()),
		gomail.WithDialContextFunc(d.dial),
		gomail.WithTLSConfig(tlsConfig),
	}
	encrypted := true
	switch cfg.tlsMode() {
	case api.SMTPTLSStartTLS:
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSMandatory))
	default:
		// none: never STARTTLS. tls: our dialer already did the TLS
		// handshake, so there is nothing left to upgrade.
		encrypted = cfg.tlsMode() == api.SMTPTLSTLS
		opts = append(opts, gomail.WithTLSPolicy(gomail.NoTLS))
	}
	if cfg.Username != "" {
		opts = append(opts,
			gomail.WithUsername(cfg.Username),
			gomail.WithPassword(cfg.Password),
			gomail.WithOpportunisticSMTPAuth(authPreference(encrypted)...))
	}
	return opts
}

// authPreference lists the SASL mechanisms to try, best first. Without TLS
// the admin chose a plain connection (e.g. a relay on localhost), so PLAIN
// and LOGIN are allowed there too, after the challenge-response ones.
func authPreference(encrypted bool) []gomail.SMTPAuthType {
	if encrypted {
		return []gomail.SMTPAuthType{
			gomail.SMTPAuthSCRAMSHA256, gomail.SMTPAuthSCRAMSHA1, gomail.SMTPAuthCramMD5,
			gomail.SMTPAuthPlain, gomail.SMTPAuthLogin,
		}
	}
	return []gomail.SMTPAuthType{
		gomail.SMTPAuthSCRAMSHA256, gomail.SMTPAuthSCRAMSHA1, gomail.SMTPAuthCramMD5,
		gomail.SMTPAuthPlainNoEnc, gomail.SMTPAuthLoginNoEnc,
	}
}

func (s *Sender) tlsConfig(cfg Config) *tls.Config {
	var c *tls.Config
	if s.TLSConfig != nil {
		c = s.TLSConfig.Clone()
	} else {
		c = &tls.Config{}
	}
	c.ServerName = strings.TrimSpace(cfg.Host)
	if c.MinVersion == 0 {
		c.MinVersion = tls.VersionTLS12
	}
	return c
}

// dialer opens the TCP (and for implicit TLS, the TLS) connection and closes
// it when the Send's context ends, which unblocks any pending read or write:
// go-mail itself only watches the context while dialing.
type dialer struct {
	ctx         context.Context
	implicitTLS bool
	tlsConfig   *tls.Config

	mu    sync.Mutex
	stops []func() bool
}

func (d *dialer) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	var nd net.Dialer
	conn, err := nd.DialContext(ctx, network, addr)
	if err != nil {
		return nil, &dialError{addr: addr, err: err}
	}
	if d.implicitTLS {
		tc := tls.Client(conn, d.tlsConfig)
		if err := tc.HandshakeContext(ctx); err != nil {
			_ = conn.Close()
			return nil, &dialError{tls: true, addr: addr, err: err}
		}
		conn = tc
	}
	stop := context.AfterFunc(d.ctx, func() { _ = conn.Close() })
	d.mu.Lock()
	d.stops = append(d.stops, stop)
	d.mu.Unlock()
	return conn, nil
}

func (d *dialer) stop() {
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, stop := range d.stops {
		stop()
	}
}

// messageID returns a Message-ID body (without angle brackets) in the
// domain of the sender address: of id when it is set, else fresh.
func messageID(from, id string) string {
	domain := "gatepass.invalid"
	if i := strings.LastIndexByte(from, '@'); i >= 0 && i < len(from)-1 {
		domain = from[i+1:]
	}
	if id != "" && strings.Trim(id, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-") == "" {
		return "gatepass." + id + "@" + domain
	}
	var b [15]byte
	_, _ = rand.Read(b[:])
	return "gatepass." + strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b[:])) + "@" + domain
}
