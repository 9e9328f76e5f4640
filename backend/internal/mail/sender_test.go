package mail_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net"
	netmail "net/mail"
	"net/textproto"
	"strings"
	"testing"
	"time"

	"gatepass.dev/backend/backendtest"
	"gatepass.dev/backend/internal/mail"
	"gatepass.dev/backend/internal/mail/smtptest"
	"gatepass.dev/shared/api"
	"gatepass.dev/shared/brand"
)

const wait = 10 * time.Second

func plainConfig(srv *smtptest.Server) mail.Config {
	return mail.Config{
		Host: srv.Host(), Port: srv.Port(), From: "Gatepass <gatepass@example.com>",
		TLS: api.SMTPTLSNone, Timeout: 5 * time.Second,
	}
}

func TestSendPlain(t *testing.T) {
	srv := smtptest.Start(t)
	m := allMessages("")["new_request"]
	if err := mail.NewSender().Send(t.Context(), plainConfig(srv), m); err != nil {
		t.Fatalf("Send: %v", err)
	}
	r := srv.WaitFor(t, backendtest.MailTo("admin@example.com", ""), wait)

	if r.From != "gatepass@example.com" {
		t.Errorf("envelope from = %q", r.From)
	}
	if r.Subject != m.Subject {
		t.Errorf("subject = %q, want %q", r.Subject, m.Subject)
	}
	from, err := r.Header.AddressList("From")
	if err != nil || len(from) != 1 || from[0].Address != "gatepass@example.com" || from[0].Name != "Gatepass" {
		t.Errorf("From = %v, %v", from, err)
	}
	to, err := r.Header.AddressList("To")
	if err != nil || len(to) != 1 || to[0].Address != "admin@example.com" {
		t.Errorf("To = %v, %v", to, err)
	}
	if _, err := r.Header.Date(); err != nil {
		t.Errorf("Date: %v", err)
	}
	if id := r.Header.Get("Message-Id"); !strings.HasPrefix(id, "<") || !strings.HasSuffix(id, "@example.com>") {
		t.Errorf("Message-ID = %q", id)
	}
	// multipart/related: the alternative text and HTML, and the brand's
	// mark that the HTML shows inline.
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "multipart/related" {
		t.Errorf("Content-Type = %q", r.Header.Get("Content-Type"))
	}
	if text := r.Text(); text != strings.ReplaceAll(m.Text, "\n", "\r\n") && text != m.Text {
		t.Errorf("text part differs:\n got %q\nwant %q", text, m.Text)
	}
	if html := r.HTML(); !strings.Contains(html, "Review request") || !strings.Contains(html, publicURL+"/admin/requests/req_x") {
		t.Errorf("HTML part lacks the review button:\n%s", html)
	}
	if srv.Count() != 1 {
		t.Errorf("Count = %d", srv.Count())
	}
}

func TestSendNeverInjectsHeaders(t *testing.T) {
	srv := smtptest.Start(t)
	s := mail.NewSender()
	cfg := plainConfig(srv)

	raw := mail.Message{To: "alice@example.com", Subject: "Hello\r\nBcc: evil@example.com", Text: "hi", HTML: "<p>hi</p>"}
	built := mail.NewRequestMessage("bob@example.com", mail.NewRequestData{
		RequesterName: "Mallory\r\nBcc: evil@example.com", RequesterEmail: "mallory@example.com\r\nBcc: evil2@example.com",
		Network: "net\r\nSubject: second", Reason: "x",
	})
	for _, m := range []mail.Message{raw, built} {
		if err := s.Send(t.Context(), cfg, m); err != nil {
			t.Fatalf("Send(%q): %v", m.Subject, err)
		}
		r := srv.WaitFor(t, backendtest.MailTo(m.To, ""), wait)
		msg, err := netmail.ReadMessage(bytes.NewReader(r.Data))
		if err != nil {
			t.Fatalf("parse received message: %v", err)
		}
		if v, ok := msg.Header["Bcc"]; ok {
			t.Errorf("Bcc header injected: %q", v)
		}
		if got := len(msg.Header["Subject"]); got != 1 {
			t.Errorf("%d Subject headers, want 1", got)
		}
		if len(r.To) != 1 {
			t.Errorf("envelope recipients = %q", r.To)
		}
		if strings.ContainsAny(r.Subject, "\r\n") || !strings.Contains(r.Subject, "Bcc: evil") {
			t.Errorf("subject = %q, want the text kept on one line", r.Subject)
		}
	}
	if n := srv.Count(); n != 2 {
		t.Errorf("received %d messages, want 2", n)
	}

	evilFrom := cfg
	evilFrom.From = "Evil\r\nBcc: evil@example.com <gatepass@example.com>"
	if err := s.Send(t.Context(), evilFrom, raw); err == nil {
		t.Error("Send with CRLF in From succeeded")
	}
	if err := s.Send(t.Context(), cfg, mail.Message{To: "alice@example.com\r\nBcc: evil@example.com", Subject: "x", Text: "x"}); !mail.IsPermanent(err) {
		t.Errorf("Send to CRLF address = %v, want a permanent error", err)
	}
}

func TestSendConnectionRefusedIsTemporary(t *testing.T) {
	srv := smtptest.Start(t)
	srv.Stop()
	s := mail.NewSender()
	m := mail.TestMessage("admin@example.com", publicURL)

	err := s.Send(t.Context(), plainConfig(srv), m)
	if err == nil {
		t.Fatal("Send to a stopped server succeeded")
	}
	if want := fmt.Sprintf("dial smtp %s: connection refused", srv.Addr()); err.Error() != want {
		t.Errorf("error = %q, want %q", err, want)
	}
	if mail.IsPermanent(err) {
		t.Errorf("IsPermanent(%v) = true", err)
	}

	srv.Restart()
	if err := s.Send(t.Context(), plainConfig(srv), m); err != nil {
		t.Fatalf("Send after Restart: %v", err)
	}
	srv.WaitFor(t, nil, wait)
}

func TestSendRejectedRecipientIsPermanent(t *testing.T) {
	srv := smtptest.Start(t)
	srv.RejectRecipient("gone@example.com")
	err := mail.NewSender().Send(t.Context(), plainConfig(srv), mail.TestMessage("gone@example.com", publicURL))
	if err == nil {
		t.Fatal("Send to a rejected recipient succeeded")
	}
	if !mail.IsPermanent(err) {
		t.Errorf("IsPermanent(%v) = false", err)
	}
	if !strings.Contains(err.Error(), "550") || !strings.Contains(err.Error(), "gone@example.com") {
		t.Errorf("error does not say what happened: %v", err)
	}
	if srv.Count() != 0 {
		t.Errorf("rejected message was recorded")
	}
}

func TestSendDataFailures(t *testing.T) {
	srv := smtptest.Start(t)
	s := mail.NewSender()
	m := mail.TestMessage("admin@example.com", publicURL)

	srv.FailNext(1, 451)
	err := s.Send(t.Context(), plainConfig(srv), m)
	if err == nil || mail.IsPermanent(err) || !strings.Contains(err.Error(), "451") {
		t.Errorf("after 451: err = %v, permanent = %v; want a temporary error", err, mail.IsPermanent(err))
	}
	if err := s.Send(t.Context(), plainConfig(srv), m); err != nil {
		t.Errorf("retry after one 451: %v", err)
	}

	srv.FailNext(1, 554)
	err = s.Send(t.Context(), plainConfig(srv), m)
	if !mail.IsPermanent(err) {
		t.Errorf("after 554: err = %v, want a permanent error", err)
	}
	if n := srv.Count(); n != 1 {
		t.Errorf("received %d messages, want 1", n)
	}
}

func TestSendAuth(t *testing.T) {
	srv := smtptest.Start(t)
	srv.RequireAuth("mailer", "s3cret")
	s := mail.NewSender()
	m := mail.TestMessage("admin@example.com", publicURL)

	cfg := plainConfig(srv)
	if err := s.Send(t.Context(), cfg, m); err == nil || mail.IsPermanent(err) {
		t.Errorf("without credentials: err = %v, want a temporary error", err)
	}
	cfg.Username, cfg.Password = "mailer", "wrong"
	cfg.AllowInsecureAuth = true // the test server speaks no TLS
	if err := s.Send(t.Context(), cfg, m); err == nil || mail.IsPermanent(err) || !strings.Contains(err.Error(), "535") {
		t.Errorf("wrong password: err = %v, want a temporary 535 error", err)
	}
	cfg.Password = "s3cret"
	if err := s.Send(t.Context(), cfg, m); err != nil {
		t.Fatalf("with credentials: %v", err)
	}
	srv.WaitFor(t, nil, wait)
}

// TestSendRefusesAuthWithoutTLS: with a username and TLS none, Send fails
// with ErrInsecureAuth (temporary) before it connects: the server never
// sees the credentials. Allowed explicitly, it authenticates in clear.
func TestSendRefusesAuthWithoutTLS(t *testing.T) {
	const password = "Clear-Text-Secret-9"
	srv := smtptest.Start(t)
	srv.RequireAuth("mailer", password)
	s := mail.NewSender()
	m := mail.TestMessage("admin@example.com", publicURL)
	cfg := plainConfig(srv)
	cfg.Username, cfg.Password = "mailer", password

	err := s.Send(t.Context(), cfg, m)
	if !errors.Is(err, mail.ErrInsecureAuth) || mail.IsPermanent(err) {
		t.Fatalf("auth over a plain connection: err = %v, want a temporary ErrInsecureAuth", err)
	}
	for _, want := range []string{srv.Addr(), "unencrypted", "STARTTLS or TLS", "allow authentication without encryption"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("the error %q lacks %q", err, want)
		}
	}
	if got := srv.Transcript(); got != "" {
		t.Errorf("Send connected although it refused to authenticate:\n%s", got)
	}
	if err := cfg.Validate(); !errors.Is(err, mail.ErrInsecureAuth) {
		t.Errorf("Validate = %v, want ErrInsecureAuth", err)
	}

	cfg.AllowInsecureAuth = true
	if err := s.Send(t.Context(), cfg, m); err != nil {
		t.Fatalf("with insecure auth allowed: %v", err)
	}
	srv.WaitFor(t, nil, wait)
	if !strings.Contains(srv.Transcript(), "AUTH PLAIN") {
		t.Errorf("the transcript does not show the allowed AUTH:\n%s", srv.Transcript())
	}
}

func TestSendSTARTTLS(t *testing.T) {
	srv := smtptest.Start(t, smtptest.WithSTARTTLS())
	m := mail.TestMessage("admin@example.com", publicURL)
	cfg := plainConfig(srv)
	cfg.TLS = api.SMTPTLSStartTLS

	if err := mail.NewSender().Send(t.Context(), cfg, m); err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Errorf("untrusted certificate: err = %v", err)
	}
	s := mail.NewSender()
	s.TLSConfig = srv.ClientTLSConfig()
	if err := s.Send(t.Context(), cfg, m); err != nil {
		t.Fatalf("Send with STARTTLS: %v", err)
	}
	srv.WaitFor(t, nil, wait)

	plain := smtptest.Start(t)
	cfg = plainConfig(plain)
	cfg.TLS = api.SMTPTLSStartTLS
	err := s.Send(t.Context(), cfg, m)
	if err == nil || !strings.Contains(err.Error(), "STARTTLS") || mail.IsPermanent(err) {
		t.Errorf("server without STARTTLS: err = %v, want a temporary STARTTLS error", err)
	}
}

func TestSendImplicitTLS(t *testing.T) {
	srv := smtptest.Start(t, smtptest.WithImplicitTLS())
	srv.RequireAuth("mailer", "s3cret")
	s := mail.NewSender()
	s.TLSConfig = srv.ClientTLSConfig()
	cfg := plainConfig(srv)
	cfg.TLS = api.SMTPTLSTLS
	cfg.Username, cfg.Password = "mailer", "s3cret"
	if err := s.Send(t.Context(), cfg, mail.TestMessage("admin@example.com", publicURL)); err != nil {
		t.Fatalf("Send with implicit TLS: %v", err)
	}
	srv.WaitFor(t, nil, wait)

	plain := smtptest.Start(t)
	cfg.Host, cfg.Port = plain.Host(), plain.Port()
	if err := s.Send(t.Context(), cfg, mail.TestMessage("admin@example.com", publicURL)); err == nil || !strings.Contains(err.Error(), "tls handshake") {
		t.Errorf("implicit TLS against a plain server: err = %v", err)
	}
}

func TestSendTimesOut(t *testing.T) {
	// A server that accepts the connection and never says a word.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ln.Close() })
	held := make(chan net.Conn, 1)
	go func() {
		c, err := ln.Accept()
		if err == nil {
			held <- c
		}
	}()
	t.Cleanup(func() {
		select {
		case c := <-held:
			_ = c.Close()
		default:
		}
	})

	addr := ln.Addr().(*net.TCPAddr)
	cfg := mail.Config{Host: "127.0.0.1", Port: addr.Port, From: "gp@example.com", TLS: api.SMTPTLSNone, Timeout: 300 * time.Millisecond}
	start := time.Now()
	err = mail.NewSender().Send(t.Context(), cfg, mail.TestMessage("admin@example.com", publicURL))
	if err == nil {
		t.Fatal("Send to a silent server succeeded")
	}
	if elapsed := time.Since(start); elapsed > 5*time.Second {
		t.Errorf("Send took %s, want about the 300ms timeout", elapsed)
	}
	if mail.IsPermanent(err) {
		t.Errorf("timeout is permanent: %v", err)
	}
	if !strings.Contains(err.Error(), "timed out after 300ms") || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("error does not say it timed out: %v", err)
	}
	if testing.Verbose() {
		t.Logf("error: %v", err)
	}
}

func TestSendRespectsContext(t *testing.T) {
	srv := smtptest.Start(t)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	err := mail.NewSender().Send(ctx, plainConfig(srv), mail.TestMessage("admin@example.com", publicURL))
	if !errors.Is(err, context.Canceled) || mail.IsPermanent(err) {
		t.Errorf("Send with a canceled context = %v", err)
	}
	if srv.Count() != 0 {
		t.Error("message sent despite canceled context")
	}
}

func TestSendValidation(t *testing.T) {
	s := mail.NewSender()
	m := mail.TestMessage("admin@example.com", publicURL)
	if err := s.Send(t.Context(), mail.Config{}, m); !errors.Is(err, mail.ErrNotConfigured) || mail.IsPermanent(err) {
		t.Errorf("unconfigured: %v", err)
	}
	srv := smtptest.Start(t)
	m.To = "Admin <admin@example.com>"
	err := s.Send(t.Context(), plainConfig(srv), m)
	if !errors.Is(err, mail.ErrInvalidAddress) || !mail.IsPermanent(err) {
		t.Errorf("invalid recipient: %v", err)
	}
	if mail.IsPermanent(nil) {
		t.Error("IsPermanent(nil)")
	}
}

// TestSendShowsTheMark: the HTML's header shows the brand's mark, sent with
// the mail as an inline PNG (Content-ID gatepass-mark.png); a mail without
// HTML carries no image.
func TestSendShowsTheMark(t *testing.T) {
	srv := smtptest.Start(t)
	m := allMessages("")["approved"]
	if !strings.Contains(m.HTML, `<img src="cid:`+brand.MarkCID+`"`) {
		t.Fatalf("the HTML does not show the mark:\n%s", m.HTML)
	}
	if err := mail.NewSender().Send(t.Context(), plainConfig(srv), m); err != nil {
		t.Fatal(err)
	}
	r := srv.WaitFor(t, backendtest.MailTo("alice@example.com", ""), wait)
	parts := leafParts(t, r.Header.Get("Content-Type"), bytes.NewReader(bodyOf(t, r.Data)))
	var found bool
	for _, p := range parts {
		if p.header.Get("Content-Id") == "<"+brand.MarkCID+">" {
			found = true
			if ct := p.header.Get("Content-Type"); !strings.HasPrefix(ct, "image/png") {
				t.Errorf("the mark's Content-Type %q", ct)
			}
			if !bytes.Equal(p.body, brand.MarkPNG) {
				t.Error("the inline image is not the brand's mark")
			}
		}
	}
	if !found || !strings.Contains(r.HTML(), "cid:"+brand.MarkCID) {
		t.Errorf("no inline mark in %d parts", len(parts))
	}
	if !strings.Contains(r.HTML(), "solid "+brand.Light("accent")) || !strings.Contains(r.HTML(), "background-color:"+brand.Light("bg")) {
		t.Error("the HTML is not in the brand's colours")
	}

	text := mail.Message{To: "bob@example.com", Subject: "plain", Text: "hello"}
	if err := mail.NewSender().Send(t.Context(), plainConfig(srv), text); err != nil {
		t.Fatal(err)
	}
	r = srv.WaitFor(t, backendtest.MailTo("bob@example.com", ""), wait)
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "text/plain" {
		t.Errorf("a text-only mail is %q", r.Header.Get("Content-Type"))
	}
}

type leaf struct {
	header textproto.MIMEHeader
	body   []byte
}

func bodyOf(t *testing.T, data []byte) []byte {
	t.Helper()
	msg, err := netmail.ReadMessage(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(msg.Body)
	return b
}

// leafParts walks a MIME tree and returns its leaves, bodies decoded from
// base64.
func leafParts(t *testing.T, contentType string, body io.Reader) []leaf {
	t.Helper()
	mt, params, err := mime.ParseMediaType(contentType)
	if err != nil || !strings.HasPrefix(mt, "multipart/") {
		return nil
	}
	var out []leaf
	mr := multipart.NewReader(body, params["boundary"])
	for {
		p, err := mr.NextRawPart()
		if err != nil {
			return out
		}
		if sub := p.Header.Get("Content-Type"); strings.HasPrefix(sub, "multipart/") {
			out = append(out, leafParts(t, sub, p)...)
			continue
		}
		raw, _ := io.ReadAll(p)
		if strings.EqualFold(p.Header.Get("Content-Transfer-Encoding"), "base64") {
			raw, _ = base64.StdEncoding.DecodeString(strings.NewReplacer("\r", "", "\n", "").Replace(string(raw)))
		}
		out = append(out, leaf{header: p.Header, body: raw})
	}
}

// TestMessageIDOfID: a message's ID makes its Message-ID, the same at
// every send; without one (or with one that is not a plain token) every
// send has a fresh Message-ID.
func TestMessageIDOfID(t *testing.T) {
	srv := smtptest.Start(t)
	s := mail.NewSender()
	ids := map[string]int{}
	for _, id := range []string{"outbox-7-1700000000000", "outbox-7-1700000000000", "", "", "x>\r\nBcc: a@b"} {
		m := mail.Message{To: "admin@example.com", Subject: "s", Text: "t", ID: id}
		if err := s.Send(t.Context(), plainConfig(srv), m); err != nil {
			t.Fatal(err)
		}
	}
	backendtest.WaitFor(t, "five messages", func() bool { return srv.Count() == 5 })
	for _, r := range srv.Messages() {
		ids[r.Header.Get("Message-Id")]++
		if len(r.To) != 1 {
			t.Errorf("recipients %v", r.To)
		}
	}
	if ids["<gatepass.outbox-7-1700000000000@example.com>"] != 2 || len(ids) != 4 {
		t.Errorf("Message-IDs %v: want the ID's twice and three fresh ones", ids)
	}
}
