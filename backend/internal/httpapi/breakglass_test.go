package httpapi_test

import (
	"strings"
	"testing"
	"time"

	"gatepass.dev/backend/backendtest"
	"gatepass.dev/shared/api"
	"gatepass.dev/shared/client"
)

// TestBreakGlass: on a network that allows it, a member of an allowed
// group gets access at once with a mandatory reason, for at most the
// break-glass maximum; every approver is alerted at once; the grant is
// flagged review_required (and listed by ?review=required) until an
// approver other than its user acknowledges it (audited); every audit row
// of it is flagged. Others, longer wishes, no reason, networks that do not
// allow it are refused.
func TestBreakGlass(t *testing.T) {
	srv := backendtest.NewServer(t)
	admin := srv.Admin(t)
	carol, carolU := srv.NewUser(t, "carol@example.com", api.RoleUser)
	bob, bobU := srv.NewUser(t, "bob@example.com", api.RoleUser)
	dana, danaU := srv.NewUser(t, "dana@example.com", api.RoleUser)
	_, erikU := srv.NewUser(t, "erik@example.com", api.RoleUser)
	oncall, err := admin.CreateGroup(t.Context(), api.GroupInput{Name: ptr("on-call"), MemberIDs: &[]string{carolU.ID}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = admin.CreateNetwork(t.Context(), api.NetworkInput{Name: ptr("x"), CIDR: ptr("10.99.0.0/24"),
		BreakGlass: &api.BreakGlassInput{Enabled: ptr(true)}})
	backendtest.WantStatus(t, "break-glass without groups", err, 400, "break_glass.group_ids")
	n := srv.NewNetwork(t, "production-db", func(in *api.NetworkInput) {
		in.MemberIDs = &[]string{carolU.ID, bobU.ID}
		in.ApproverIDs = &[]string{danaU.ID, erikU.ID}
		in.RequiredApprovals = ptr(2)
		in.BreakGlass = &api.BreakGlassInput{Enabled: ptr(true), GroupIDs: &[]string{oncall.ID}, MaxDurationSeconds: ptr(int64(3600))}
	})
	if !n.BreakGlass.Enabled || n.BreakGlass.MaxDurationSeconds != 3600 || len(n.BreakGlass.GroupIDs) != 1 {
		t.Fatalf("the network's break_glass: %+v", n.BreakGlass)
	}
	other := srv.NewNetwork(t, "staging-internal")
	if st := backendtest.NetworkState(t, carol, "production-db"); st.BreakGlass == nil || st.BreakGlass.MaxDurationSeconds != 3600 {
		t.Fatalf("carol's window does not offer break-glass: %+v", st.BreakGlass)
	}
	if st := backendtest.NetworkState(t, bob, "production-db"); st.BreakGlass != nil {
		t.Fatalf("bob's window offers break-glass: %+v", st.BreakGlass)
	}

	_, err = bob.BreakGlass(t.Context(), n.ID, "db down", 0)
	backendtest.WantStatus(t, "not in an allowed group", err, 403, "break-glass groups")
	_, err = carol.BreakGlass(t.Context(), other.ID, "db down", 0)
	backendtest.WantStatus(t, "a network without break-glass", err, 403, "not enabled")
	_, err = carol.BreakGlass(t.Context(), n.ID, "  ", 0)
	backendtest.WantStatus(t, "no reason", err, 400, "reason")
	_, err = carol.BreakGlass(t.Context(), n.ID, "db down", 2*time.Hour)
	backendtest.WantStatus(t, "over the cap", err, 400, "duration_seconds", "break-glass maximum of 1h")

	dev := registerDevice(t, carol)
	pending := request(t, carol, n.ID, "routine", 0)
	raw := backendtest.Do(t, "POST", srv.URL+"/api/v1/networks/"+n.ID+"/break-glass", carol.Token(), "application/json",
		`{"reason": "orders DB down <script>alert(1)</script>", "duration_seconds": 1800}`)
	if raw.Status != 201 {
		t.Fatalf("break-glass: %d %s", raw.Status, raw.Body)
	}
	for _, want := range []string{`"kind":"break_glass"`, `"status":"approved"`, `"rule":"break-glass"`, `"review_required":true`, `"granted_seconds":1800`} {
		if !strings.Contains(string(raw.Body), want) {
			t.Errorf("the break-glass answer lacks %s: %s", want, raw.Body)
		}
	}
	if !onGateway(srv, n.ID, dev.PublicKey) {
		t.Fatal("the break-glass grant's peer is not on the gateway")
	}
	if got := adminRequest(t, admin, pending.ID); got.Status != api.StatusCancelled {
		t.Fatalf("the pending request superseded by break-glass: %s", got.Status)
	}
	var bg api.Request
	list, err := admin.AdminRequests(t.Context(), client.RequestQuery{})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range list.Requests {
		if r.Kind == api.KindBreakGlass {
			bg = r
		}
	}
	for _, to := range []string{"dana@example.com", "erik@example.com"} {
		m := srv.SMTP.WaitFor(t, backendtest.MailTo(to, "Break-glass access: carol@example.com → production-db"), 10*time.Second)
		if !strings.Contains(m.Text(), "orders DB down") || strings.Contains(m.HTML(), "<script>") || !strings.Contains(m.HTML(), "/admin/requests/"+bg.ID) {
			t.Errorf("the alert to %s:\n%s", to, m.HTML())
		}
	}
	_, err = carol.BreakGlass(t.Context(), n.ID, "again", 0)
	backendtest.WantStatus(t, "while the grant lasts", err, 409, "grant on network production-db already")

	review := backendtest.Do(t, "GET", srv.URL+"/api/v1/admin/requests?review=required", dana.Token(), "", "")
	if review.Status != 200 || !strings.Contains(string(review.Body), bg.ID) || !strings.Contains(string(review.Body), `"total":1`) {
		t.Fatalf("the review queue: %d %s", review.Status, review.Body)
	}
	_, err = carol.Acknowledge(t.Context(), bg.ID, "")
	backendtest.WantStatus(t, "its user acknowledges", err, 403)
	acked, err := dana.Acknowledge(t.Context(), bg.ID, "checked with the incident channel")
	if err != nil {
		t.Fatal(err)
	}
	if acked.ReviewRequired || acked.ReviewedBy != "dana@example.com" || acked.ReviewedAt == nil || acked.Status != api.StatusApproved {
		t.Fatalf("acknowledged: %+v", acked)
	}
	_, err = dana.Acknowledge(t.Context(), bg.ID, "")
	backendtest.WantStatus(t, "twice", err, 409)
	rows := backendtest.Audit(t, admin, map[string][]string{"target": {bg.ID}})
	actions := map[string]bool{}
	for _, r := range rows {
		actions[r.Action] = true
		if r.Details["break_glass"] != "true" {
			t.Errorf("an audit row of the break-glass access is not flagged: %+v", r)
		}
	}
	for _, a := range []string{"request.create", "request.approve", "request.acknowledge"} {
		if !actions[a] {
			t.Errorf("no %s audit row: %v", a, actions)
		}
	}
	srv.Advance(30 * time.Minute)
	backendtest.WaitFor(t, "the break-glass peer to leave", func() bool { return !onGateway(srv, n.ID, dev.PublicKey) })
}
