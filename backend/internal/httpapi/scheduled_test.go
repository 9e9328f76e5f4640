package httpapi_test

import (
	"strings"
	"testing"
	"time"

	"gatepass.dev/backend/backendtest"
	"gatepass.dev/shared/api"
)

// TestScheduledAccess: a request for later is decided in advance; its
// grant runs from starts_at; until then the user's state is "scheduled"
// with starts_at (the window's "Access starts in 2h 10m"), the tunnel
// config is refused and the gateway has no peer; at starts_at — to the
// second, on the gateway's own timer — the peer appears and the user's
// stream turns active; at expires_at the peer leaves.
func TestScheduledAccess(t *testing.T) {
	srv := backendtest.NewServer(t)
	admin := srv.Admin(t)
	carol, _ := srv.NewUser(t, "carol@example.com", api.RoleUser)
	n := srv.NewNetwork(t, "office-network")
	dev := registerDevice(t, carol)
	start := srv.Now().Add(2*time.Hour + 10*time.Minute)

	raw := backendtest.Do(t, "POST", srv.URL+"/api/v1/networks/"+n.ID+"/requests", carol.Token(), "application/json",
		`{"reason": "maintenance window", "duration_seconds": 3600, "starts_at": "`+start.Format(time.RFC3339)+`"}`)
	if raw.Status != 201 || !strings.Contains(string(raw.Body), `"starts_at":"`+start.Format(time.RFC3339)+`"`) {
		t.Fatalf("scheduled request: %d %s", raw.Status, raw.Body)
	}
	st := backendtest.NetworkState(t, carol, "office-network")
	if st.State != api.StatePending || st.StartsAt == nil || !st.StartsAt.Equal(start) {
		t.Fatalf("pending scheduled: %s %v", st.State, st.StartsAt)
	}
	m := srv.SMTP.WaitFor(t, backendtest.MailTo(backendtest.AdminEmail, "Access request: carol"), 10*time.Second)
	if !strings.Contains(m.Text(), "Starts:") {
		t.Errorf("the admin's email does not say when access starts:\n%s", m.Text())
	}
	grant, err := admin.Approve(t.Context(), st.Request.ID, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if !grant.ExpiresAt.Equal(start.Add(time.Hour)) || grant.StartsAt == nil || !grant.StartsAt.Equal(start) {
		t.Fatalf("the grant does not run from its start: %+v", grant)
	}
	st = backendtest.NetworkState(t, carol, "office-network")
	if st.State != api.StateScheduled || st.StartsAt == nil || !st.StartsAt.Equal(start) || st.ExpiresAt != nil {
		t.Fatalf("approved for later: state %s starts %v expires %v", st.State, st.StartsAt, st.ExpiresAt)
	}
	_, err = carol.Tunnel(t.Context(), n.ID, dev.ID)
	backendtest.WantStatus(t, "tunnel before the start", err, 403, "no valid grant")
	m = srv.SMTP.WaitFor(t, backendtest.MailTo("carol@example.com", "Access approved"), 10*time.Second)
	if !strings.Contains(m.Text(), "Starts:") {
		t.Errorf("the approval email does not say when access starts:\n%s", m.Text())
	}
	stream := evWatch(t, carol)
	stream.next(t, "snapshot")

	srv.Advance(start.Add(-time.Second).Sub(srv.Now()))
	// The gateway reconciled a second before the start (its periodic
	// resync) and armed its own timer for the start.
	backendtest.WaitFor(t, "the gateway's timer at the start", func() bool { return srv.Gateway.NextWake().Equal(start) })
	if onGateway(srv, n.ID, dev.PublicKey) {
		t.Fatal("the peer is on the gateway a second before the start")
	}
	srv.Advance(time.Second) // exactly starts_at
	backendtest.WaitFor(t, "the peer at starts_at", func() bool { return onGateway(srv, n.ID, dev.PublicKey) })
	for {
		ev := stream.next(t, "the start")
		if ev.Type == api.EventNetwork && ev.Network.ID == n.ID && ev.Network.State == api.StateActive {
			break
		}
	}
	if _, err := carol.Tunnel(t.Context(), n.ID, dev.ID); err != nil {
		t.Fatalf("tunnel after the start: %v", err)
	}

	srv.Advance(time.Hour)
	backendtest.WaitFor(t, "the peer to leave at expires_at", func() bool { return !onGateway(srv, n.ID, dev.PublicKey) })
	backendtest.WaitFor(t, "the grant to expire", func() bool { return adminRequest(t, admin, grant.ID).Status == api.StatusExpired })
}

// TestScheduledPendingPastStart: a scheduled request nobody decided before
// its start expires then (emailed), and can no longer be approved; a
// start in the past or too far ahead is a 400.
func TestScheduledPendingPastStart(t *testing.T) {
	srv := backendtest.NewServer(t)
	admin := srv.Admin(t)
	carol, _ := srv.NewUser(t, "carol@example.com", api.RoleUser)
	n := srv.NewNetwork(t, "office-network")
	start := srv.Now().Add(30 * time.Minute)
	r, err := carol.RequestWith(t.Context(), n.ID, api.NewRequest{Reason: "later", StartsAt: &start})
	if err != nil {
		t.Fatal(err)
	}
	srv.Advance(30 * time.Minute)
	backendtest.WaitFor(t, "the undecided request to expire at its start", func() bool {
		return adminRequest(t, admin, r.ID).Status == api.StatusExpired
	})
	srv.SMTP.WaitFor(t, backendtest.MailTo("carol@example.com", "timed out"), 10*time.Second)
	_, err = admin.Approve(t.Context(), r.ID, 0)
	backendtest.WantStatus(t, "approving it now", err, 409)
	if rows := auditOf(t, admin, r.ID, "request.timeout"); len(rows) != 1 || rows[0].Details["why"] != "its start passed undecided" {
		t.Fatalf("audit: %+v", rows)
	}

	past := srv.Now().Add(-time.Minute)
	_, err = carol.RequestWith(t.Context(), n.ID, api.NewRequest{Reason: "x", StartsAt: &past})
	backendtest.WantStatus(t, "a start in the past", err, 400, "starts_at", "future")
	far := srv.Now().Add(100 * 24 * time.Hour)
	_, err = carol.RequestWith(t.Context(), n.ID, api.NewRequest{Reason: "x", StartsAt: &far})
	backendtest.WantStatus(t, "a start too far ahead", err, 400, "starts_at")
}
