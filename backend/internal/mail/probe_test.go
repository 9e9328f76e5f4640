package mail_test

import (
	"errors"
	"strings"
	"testing"

	"gatepass.dev/backend/internal/mail"
	"gatepass.dev/backend/internal/mail/smtptest"
)

// TestProbe: Probe connects (with AUTH when configured) and quits without
// sending; its failures to connect are IsUnreachable, worded like Send's.
func TestProbe(t *testing.T) {
	srv := smtptest.Start(t)
	s := mail.NewSender()
	cfg := plainConfig(srv)
	if err := s.Probe(t.Context(), cfg); err != nil {
		t.Fatalf("probe of a running server: %v", err)
	}
	if n := srv.Count(); n != 0 {
		t.Errorf("the probe delivered %d messages", n)
	}

	srv.RequireAuth("gatepass", "right-password")
	cfg.Username, cfg.Password = "gatepass", "wrong-password"
	cfg.AllowInsecureAuth = true // the test server speaks no TLS
	if err := s.Probe(t.Context(), cfg); err == nil || !mail.IsUnreachable(err) {
		t.Errorf("probe with a wrong password: %v, want an unreachable error", err)
	}
	cfg.Password = "right-password"
	if err := s.Probe(t.Context(), cfg); err != nil {
		t.Errorf("probe with AUTH: %v", err)
	}

	srv.Stop()
	err := s.Probe(t.Context(), cfg)
	if !mail.IsUnreachable(err) || !strings.Contains(err.Error(), "dial smtp "+srv.Addr()+": connection refused") {
		t.Errorf("probe of a stopped server: %v", err)
	}
	if err := s.Probe(t.Context(), mail.Config{}); !errors.Is(err, mail.ErrNotConfigured) || mail.IsUnreachable(err) {
		t.Errorf("probe without settings: %v", err)
	}
}

// TestUnreachableOnlyBeforeTheMessage: a refused connection is
// unreachable; a refusal of the message (4xx or 5xx after DATA, 5xx for a
// recipient) is not — the server answers.
func TestUnreachableOnlyBeforeTheMessage(t *testing.T) {
	srv := smtptest.Start(t)
	s := mail.NewSender()
	cfg := plainConfig(srv)
	m := mail.Message{To: "alice@example.com", Subject: "hi", Text: "hi"}

	srv.FailNext(1, 451)
	if err := s.Send(t.Context(), cfg, m); err == nil || mail.IsUnreachable(err) {
		t.Errorf("451 after DATA: %v, want a failure that is not unreachable", err)
	}
	srv.RejectRecipient("bob@example.com")
	if err := s.Send(t.Context(), cfg, mail.Message{To: "bob@example.com", Subject: "hi", Text: "hi"}); err == nil || mail.IsUnreachable(err) {
		t.Errorf("550 for the recipient: %v, want a failure that is not unreachable", err)
	}
	srv.Stop()
	if err := s.Send(t.Context(), cfg, m); !mail.IsUnreachable(err) || mail.IsPermanent(err) {
		t.Errorf("refused connection: %v, want unreachable and temporary", err)
	}
}
