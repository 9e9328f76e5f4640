package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"gatepass.dev/backend/backendtest"
	"gatepass.dev/shared/api"
)

// TestFullDiskPages: while the disk is full, pages are still shown (a
// session's activity, which is a write, waits), and an action answers the
// 503 page that says the server cannot save, with Retry-After, changing
// nothing. With space again the action works.
func TestFullDiskPages(t *testing.T) {
	backendtest.SkipOnPostgres(t, "a full disk under the SQLite file (PostgreSQL's outage: TestPostgresUnreachable)")
	disk := backendtest.NewDisk(t, "32m")
	srv := demoServer(t, backendtest.WithDataDir(disk.Dir))
	req := pendingDemoRequest(t, srv)
	admin := srv.Admin(t)
	c := newWebClient(t, srv)
	c.signIn(backendtest.AdminEmail, backendtest.AdminPassword)
	if _, err := srv.DB.ExecContext(t.Context(), `PRAGMA wal_checkpoint(TRUNCATE)`); err != nil {
		t.Fatal(err)
	}
	disk.Fill(t)

	srv.Advance(2 * time.Minute) // the session's activity is due to be written
	for _, path := range []string{"/admin/requests", "/admin/requests/" + req.ID, "/admin/outbox"} {
		if p := c.get(path); p.Status != http.StatusOK {
			t.Errorf("GET %s on a full disk: %d", path, p.Status)
		}
	}
	grant := url.Values{"duration": {"3600"}, "next": {"/admin/requests/" + req.ID}}
	p := c.post("/admin/requests/"+req.ID+"/grant", grant)
	if p.Status != http.StatusServiceUnavailable || p.Header.Get("Retry-After") != "10" ||
		!strings.Contains(p.Body, "The server cannot save changes right now") || !strings.Contains(p.Body, "Nothing was changed") {
		t.Errorf("grant on a full disk: %d Retry-After %q\n%s", p.Status, p.Header.Get("Retry-After"), p.Body)
	}
	if r, err := admin.AdminRequest(t.Context(), req.ID); err != nil || r.Status != api.StatusPending {
		t.Errorf("request after the failed grant: %+v %v, want still pending", r, err)
	}

	disk.Free(t)
	if p := c.post("/admin/requests/"+req.ID+"/grant", grant); p.Status != http.StatusSeeOther {
		t.Errorf("grant after freeing the disk: %d", p.Status)
	}
	if got := requestStatus(t, srv, req.ID); got != api.StatusApproved {
		t.Errorf("request after the grant: %s", got)
	}
}
