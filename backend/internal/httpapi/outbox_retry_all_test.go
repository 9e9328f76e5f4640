package httpapi_test

import (
	"net/http"
	"strconv"
	"testing"

	"gatepass.dev/backend/backendtest"
	"gatepass.dev/backend/internal/store"
	"gatepass.dev/shared/api"
)

// TestAdminRetryUndeliverable: POST /api/v1/admin/outbox/retry-undeliverable
// queues every undeliverable email again, answers how many, and is
// audited (in words too); only admins may.
func TestAdminRetryUndeliverable(t *testing.T) {
	srv := backendtest.NewServer(t, backendtest.WithoutSMTP())
	admin := srv.Admin(t)
	alice, _ := srv.NewUser(t, "alice@example.com", api.RoleUser)
	net := srv.NewNetwork(t, "staging-internal")
	if _, err := alice.Request(t.Context(), net.ID, "deploy", 0); err != nil {
		t.Fatal(err)
	}
	var waiting []api.OutboxMessage
	backendtest.WaitFor(t, "an undeliverable email", func() bool {
		var err error
		waiting, err = admin.Outbox(t.Context(), api.OutboxUndeliverable)
		return err == nil && len(waiting) > 0
	})
	_, err := alice.RetryUndeliverable(t.Context())
	backendtest.WantStatus(t, "a user's retry", err, http.StatusForbidden)

	n, err := admin.RetryUndeliverable(t.Context())
	if err != nil || n != len(waiting) {
		t.Fatalf("retried %d (%v), want %d", n, err, len(waiting))
	}
	rows, err := store.ListAudit(t.Context(), srv.DB, store.AuditFilter{Action: "outbox.retry_undeliverable", Limit: 10})
	if err != nil || len(rows) != 1 || rows[0].Details["count"] != strconv.Itoa(n) || rows[0].ActorEmail != backendtest.AdminEmail {
		t.Fatalf("audit: %v %+v", err, rows)
	}
	want := "Admin queued " + strconv.Itoa(n) + " undeliverable emails again"
	if n == 1 {
		want = "Admin queued 1 undeliverable email again"
	}
	res, err := admin.Audit(t.Context(), map[string][]string{"action": {"outbox.retry_undeliverable"}})
	if err != nil || len(res.Entries) != 1 || res.Entries[0].Text != want {
		t.Errorf("audit in words: %v %+v, want %q", err, res.Entries, want)
	}
}
