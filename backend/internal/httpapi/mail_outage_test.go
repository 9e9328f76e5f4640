package httpapi_test

import (
	"strings"
	"testing"

	"gatepass.dev/backend/backendtest"
	"gatepass.dev/backend/internal/outbox"
	"gatepass.dev/shared/api"
)

// TestResilienceBacklogWhenSMTPReturns: mail that waits because the SMTP
// server was down goes within a probe interval of its return — not at the
// next retry, 30 s after the failure — each email once. While it is still
// down, the probes change nothing.
func TestResilienceBacklogWhenSMTPReturns(t *testing.T) {
	srv := backendtest.NewServer(t)
	admin := srv.Admin(t)
	net := srv.NewNetwork(t, "outage-net")
	users := storeUsers(t, srv, "outage", 5)
	tokens := storeTokens(t, srv, users)
	hc := keepAliveClient(1)

	srv.SMTP.Stop()
	failedAt := srv.Now()
	for _, tok := range tokens {
		if r, err := backendtest.Send(hc, "POST", srv.URL+"/api/v1/networks/"+net.ID+"/requests", tok, "application/json", `{"reason":"while the mail server is down"}`); err != nil || r.Status != 201 {
			t.Fatalf("request: %d %v", r.Status, err)
		}
	}
	backendtest.WaitFailedAttempts(t, admin, len(users))

	srv.Advance(outbox.ProbeInterval) // a probe, still refused
	srv.Advance(outbox.ProbeInterval)
	if got := backendtest.WaitFailedAttempts(t, admin, len(users)); got[0].Attempts != 1 {
		t.Fatalf("after probes of a stopped server: %+v, want still one attempt each", got[0])
	}

	srv.SMTP.Restart()
	srv.Advance(outbox.ProbeInterval)
	for _, u := range users {
		srv.SMTP.WaitFor(t, backendtest.MailTo(backendtest.AdminEmail, u.Email), backendtest.Timeout)
	}
	backendtest.WaitOutboxDrained(t, admin)
	if waited := srv.Now().Sub(failedAt); waited >= outbox.FirstRetry {
		t.Fatalf("the backlog went %s after the failure, not before the retry (%s)", waited, outbox.FirstRetry)
	}
	for _, m := range backendtest.Outbox(t, admin, api.OutboxSent) {
		if m.Attempts != 2 || m.SentAt == nil || !m.SentAt.Equal(failedAt.Add(3*outbox.ProbeInterval)) {
			t.Errorf("email %d: %+v, want sent at the third probe on its second attempt", m.ID, m)
		}
	}
	if n := srv.SMTP.Count(); n != len(users) {
		t.Errorf("%d emails received, want %d", n, len(users))
	}
}

// TestResilienceBacklogAfterRestart: a server restarted while mail waits
// for a retry probes the SMTP server at once and sends the waiting mail
// without waiting for the retry.
func TestResilienceBacklogAfterRestart(t *testing.T) {
	srv := backendtest.NewServer(t)
	admin := srv.Admin(t)
	alice, _ := srv.NewUser(t, "alice@example.com", api.RoleUser)
	net := srv.NewNetwork(t, "restart-net")
	srv.SMTP.Stop()
	if _, err := alice.Request(t.Context(), net.ID, "before the restart", 0); err != nil {
		t.Fatal(err)
	}
	backendtest.WaitFailedAttempts(t, admin, 1)
	srv.Stop()
	srv.SMTP.Restart()
	srv.Restart(t)
	srv.SMTP.WaitFor(t, backendtest.MailTo(backendtest.AdminEmail, "alice@example.com"), backendtest.Timeout)
	if n := srv.SMTP.Count(); n != 1 || !strings.Contains(srv.SMTP.Messages()[0].Subject, "restart-net") {
		t.Errorf("%d emails after the restart: %v", n, srv.SMTP.Messages())
	}
}
