package httpapi_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"gatepass.dev/backend/backendtest"
	"gatepass.dev/backend/internal/mail/smtptest"
	"gatepass.dev/backend/internal/store"
	"gatepass.dev/shared/api"
)

// TestAdminGrantAgain: an admin gives the user of a closed request a new
// grant in one call: a new request with the same reason, marked as granted
// again from the old one, approved at once, with both audit rows and the
// user's email. It is refused as any approval is, and while the user holds
// an open request or grant there; nothing is half-written.
func TestAdminGrantAgain(t *testing.T) {
	srv := backendtest.NewServer(t)
	admin := srv.Admin(t)
	alice, aliceUser := srv.NewUser(t, "alice@example.com", api.RoleUser)
	day := int64(86400)
	net := srv.NewNetwork(t, "staging-internal", func(in *api.NetworkInput) { in.MaxDurationSeconds = &day })
	reason := `Deploy <script>alert(1)</script> v2.3`
	old, err := alice.Request(t.Context(), net.ID, reason, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := admin.Approve(t.Context(), old.ID, 8*time.Hour); err != nil {
		t.Fatal(err)
	}

	// Still active: nothing to grant again.
	_, err = admin.GrantAgain(t.Context(), old.ID, time.Hour)
	backendtest.WantStatus(t, "grant again of an active grant", err, http.StatusConflict)
	if _, err := admin.Revoke(t.Context(), old.ID, "done for today"); err != nil {
		t.Fatal(err)
	}
	srv.Advance(time.Hour)

	_, err = admin.GrantAgain(t.Context(), old.ID, 48*time.Hour)
	backendtest.WantStatus(t, "grant again over the network's maximum", err, http.StatusBadRequest)
	_, err = alice.GrantAgain(t.Context(), old.ID, time.Hour)
	backendtest.WantStatus(t, "grant again by a user", err, http.StatusForbidden)
	_, err = admin.GrantAgain(t.Context(), "req_nosuch", time.Hour)
	backendtest.WantStatus(t, "grant again of no request", err, http.StatusNotFound)
	if n := countRequests(t, srv); n != 1 {
		t.Fatalf("refusals wrote requests: %d", n)
	}

	again, err := admin.GrantAgain(t.Context(), old.ID, 4*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if again.ID == old.ID || again.Status != api.StatusApproved || again.Reason != reason || again.AgainOf != old.ID ||
		again.GrantedSeconds != 4*3600 || again.DecidedBy != backendtest.AdminEmail || !again.ExpiresAt.Equal(srv.Now().Add(4*time.Hour).Truncate(time.Millisecond)) {
		t.Errorf("granted again: %+v", again)
	}
	if n := backendtest.NetworkState(t, alice, net.ID); n.State != api.StateActive || n.Request == nil || n.Request.ID != again.ID {
		t.Errorf("the user after a grant again: %+v", n)
	}
	srv.SMTP.WaitFor(t, func(m smtptest.Received) bool {
		return backendtest.MailTo("alice@example.com", "Access approved: staging-internal")(m) && strings.Contains(m.Text(), "4h")
	}, 10*time.Second)
	rows, err := store.ListAudit(t.Context(), srv.DB, store.AuditFilter{TargetID: again.ID, Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 2 || rows[1].Action != "request.create" || rows[1].ActorEmail != backendtest.AdminEmail || rows[1].Details["again_of"] != old.ID ||
		rows[0].Action != "request.approve" || rows[0].Details["duration"] != "4h" {
		t.Errorf("audit rows of a grant again: %+v", rows)
	}

	// An open grant there already.
	_, err = admin.GrantAgain(t.Context(), old.ID, time.Hour)
	backendtest.WantStatus(t, "grant again beside an active grant", err, http.StatusConflict)
	if !strings.Contains(err.Error(), "alice@example.com already has an open request or an active grant on staging-internal") {
		t.Errorf("message: %v", err)
	}

	// Not one's own; not for someone who could not pass the gateway.
	if _, err := admin.Revoke(t.Context(), again.ID, ""); err != nil {
		t.Fatal(err)
	}
	bob, bobUser := srv.NewUser(t, "bob@example.com", api.RoleAdmin)
	bobReq, err := bob.Request(t.Context(), net.ID, "an admin's own", 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := admin.Deny(t.Context(), bobReq.ID, ""); err != nil {
		t.Fatal(err)
	}
	_, err = bob.GrantAgain(t.Context(), bobReq.ID, time.Hour)
	backendtest.WantStatus(t, "grant again of one's own request", err, http.StatusForbidden)

	members := []string{bobUser.ID}
	if _, err := admin.UpdateNetwork(t.Context(), net.ID, api.NetworkInput{MemberIDs: &members}); err != nil {
		t.Fatal(err)
	}
	_, err = admin.GrantAgain(t.Context(), old.ID, time.Hour)
	backendtest.WantStatus(t, "grant again to a non-member", err, http.StatusConflict)
	if !strings.Contains(err.Error(), "not a member") {
		t.Errorf("message: %v", err)
	}
	members = []string{bobUser.ID, aliceUser.ID}
	if _, err := admin.UpdateNetwork(t.Context(), net.ID, api.NetworkInput{MemberIDs: &members}); err != nil {
		t.Fatal(err)
	}
	yes := true
	if _, err := admin.UpdateUser(t.Context(), aliceUser.ID, api.UserPatch{Disabled: &yes}); err != nil {
		t.Fatal(err)
	}
	_, err = admin.GrantAgain(t.Context(), old.ID, time.Hour)
	backendtest.WantStatus(t, "grant again to a disabled user", err, http.StatusConflict)
	off := false
	if _, err := admin.UpdateNetwork(t.Context(), net.ID, api.NetworkInput{JITEnabled: &off}); err != nil {
		t.Fatal(err)
	}
	no := false
	if _, err := admin.UpdateUser(t.Context(), aliceUser.ID, api.UserPatch{Disabled: &no}); err != nil {
		t.Fatal(err)
	}
	_, err = admin.GrantAgain(t.Context(), old.ID, time.Hour)
	backendtest.WantStatus(t, "grant again with JIT off", err, http.StatusConflict)
	if n := countRequests(t, srv); n != 3 {
		t.Errorf("refusals wrote requests: %d, want 3", n)
	}
}

func countRequests(t *testing.T, srv *backendtest.Server) int {
	t.Helper()
	var n int
	if err := srv.DB.QueryRowContext(t.Context(), `SELECT COUNT(*) FROM requests`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}
