package smtptest_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"gatepass.dev/backend/internal/mail/smtptest"
)

const raw = "From: a@example.com\r\n" +
	"To: b@example.com\r\n" +
	"Subject: =?UTF-8?q?Gr=C3=BC=C3=9Fe?=\r\n" +
	"MIME-Version: 1.0\r\n" +
	"Content-Type: multipart/alternative; boundary=XYZ\r\n" +
	"\r\n" +
	"--XYZ\r\n" +
	"Content-Type: text/plain; charset=UTF-8\r\n" +
	"Content-Transfer-Encoding: quoted-printable\r\n" +
	"\r\n" +
	"caf=C3=A9 soft=\r\nbreak\r\n" +
	"--XYZ\r\n" +
	"Content-Type: text/html; charset=UTF-8\r\n" +
	"Content-Transfer-Encoding: base64\r\n" +
	"\r\n" +
	"PHA+aGVsbG88\r\nL3A+\r\n" +
	"--XYZ--\r\n"

// send delivers raw over plain SMTP (smtp.SendMail insists on STARTTLS),
// authenticating first when auth is not nil.
func send(srv *smtptest.Server, to string, auth ...sasl.Client) error {
	c, err := smtp.Dial(srv.Addr())
	if err != nil {
		return err
	}
	defer c.Close()
	for _, a := range auth {
		if err := c.Auth(a); err != nil {
			return err
		}
	}
	if err := c.SendMail("a@example.com", []string{to}, strings.NewReader(raw)); err != nil {
		return err
	}
	return c.Quit()
}

func TestReceivedParsing(t *testing.T) {
	srv := smtptest.Start(t)
	if err := send(srv, "b@example.com"); err != nil {
		t.Fatal(err)
	}
	r := srv.WaitFor(t, func(r smtptest.Received) bool { return r.To[0] == "b@example.com" }, 5*time.Second)
	if r.From != "a@example.com" || r.Subject != "Grüße" {
		t.Errorf("from = %q, subject = %q", r.From, r.Subject)
	}
	if got := r.Text(); got != "café softbreak" {
		t.Errorf("Text() = %q", got)
	}
	if got := r.HTML(); got != "<p>hello</p>" {
		t.Errorf("HTML() = %q", got)
	}
	if got := r.HeaderValues("subject"); len(got) != 1 {
		t.Errorf("HeaderValues(subject) = %q", got)
	}
	if got := srv.Messages(); len(got) != 1 || srv.Count() != 1 {
		t.Errorf("Messages() = %d, Count() = %d", len(got), srv.Count())
	}
}

func TestStopRestartSamePort(t *testing.T) {
	srv := smtptest.Start(t)
	addr := srv.Addr()
	srv.Stop()
	srv.Stop() // idempotent
	if err := send(srv, "b@example.com"); err == nil {
		t.Fatal("send to a stopped server succeeded")
	}
	srv.Restart()
	if srv.Addr() != addr {
		t.Errorf("address changed from %s to %s", addr, srv.Addr())
	}
	if err := send(srv, "b@example.com"); err != nil {
		t.Fatalf("send after restart: %v", err)
	}
	srv.WaitFor(t, nil, 5*time.Second)
}

func TestRejectAndFail(t *testing.T) {
	srv := smtptest.Start(t)
	srv.RejectRecipient("Gone@Example.com")
	var se *smtp.SMTPError
	if err := send(srv, "gone@example.com"); !errors.As(err, &se) || se.Code != 550 {
		t.Errorf("rejected recipient: %v", err)
	}
	srv.FailNext(2, 451)
	for i := range 2 {
		if err := send(srv, "b@example.com"); !errors.As(err, &se) || se.Code != 451 {
			t.Errorf("failure %d: %v", i+1, err)
		}
	}
	if err := send(srv, "b@example.com"); err != nil {
		t.Errorf("after the injected failures: %v", err)
	}
	if n := srv.Count(); n != 1 {
		t.Errorf("Count() = %d, want 1", n)
	}
}

func TestRequireAuth(t *testing.T) {
	srv := smtptest.Start(t)
	srv.RequireAuth("u", "p")
	var se *smtp.SMTPError
	if err := send(srv, "b@example.com"); !errors.As(err, &se) || se.Code != 530 {
		t.Errorf("without auth: %v", err)
	}
	if err := send(srv, "b@example.com", sasl.NewPlainClient("", "u", "x")); !errors.As(err, &se) || se.Code != 535 {
		t.Errorf("wrong password: %v", err)
	}
	if err := send(srv, "b@example.com", sasl.NewPlainClient("", "u", "p")); err != nil {
		t.Errorf("with auth: %v", err)
	}
	if tr := srv.Transcript(); !strings.Contains(tr, "AUTH PLAIN") || !strings.Contains(tr, "MAIL FROM") {
		t.Errorf("the transcript lacks the session:\n%s", tr)
	}
}

// fakeTB records Fatalf instead of stopping the test.
type fakeTB struct {
	testing.TB
	fatal string
}

func (f *fakeTB) Helper() {}
func (f *fakeTB) Fatalf(format string, args ...any) {
	f.fatal = fmt.Sprintf(format, args...)
}

func TestWaitForTimeoutDumpsMessages(t *testing.T) {
	srv := smtptest.Start(t)
	if err := send(srv, "b@example.com"); err != nil {
		t.Fatal(err)
	}
	srv.WaitFor(t, nil, 5*time.Second)
	ftb := &fakeTB{TB: t}
	srv.WaitFor(ftb, func(r smtptest.Received) bool { return false }, 50*time.Millisecond)
	if !strings.Contains(ftb.fatal, "no matching message within 50ms") || !strings.Contains(ftb.fatal, `subject="Grüße"`) {
		t.Errorf("timeout report = %q", ftb.fatal)
	}
}

func TestWaitForWakesOnNewMessage(t *testing.T) {
	srv := smtptest.Start(t)
	errc := make(chan error, 1)
	go func() { errc <- send(srv, "late@example.com") }()
	r := srv.WaitFor(t, func(r smtptest.Received) bool { return r.To[0] == "late@example.com" }, 5*time.Second)
	if r.Subject != "Grüße" {
		t.Errorf("subject = %q", r.Subject)
	}
	if err := <-errc; err != nil {
		t.Error(err)
	}
}
