package httpapi_test

import (
	"strings"
	"testing"
	"time"

	"gatepass.dev/backend/backendtest"
	"gatepass.dev/shared/api"
	"gatepass.dev/shared/client"
)

// twoApprovers sets up production-db: required_approvals 2, approvers
// dana (named) and erik (through the group db-admins), members carol and
// dana; and staging (no approvers) that carol may use too.
type twoApprovers struct {
	srv               *backendtest.Server
	admin             *client.Client
	carol, dana, erik *client.Client
	carolU, danaU     api.User
	erikU             api.User
	prod, staging     api.Network
}

func newTwoApprovers(t *testing.T) twoApprovers {
	var f twoApprovers
	f.srv = backendtest.NewServer(t)
	f.admin = f.srv.Admin(t)
	f.carol, f.carolU = f.srv.NewUser(t, "carol@example.com", api.RoleUser)
	f.dana, f.danaU = f.srv.NewUser(t, "dana@example.com", api.RoleUser)
	f.erik, f.erikU = f.srv.NewUser(t, "erik@example.com", api.RoleUser)
	dbAdmins, err := f.admin.CreateGroup(t.Context(), api.GroupInput{Name: ptr("db-admins"), MemberIDs: &[]string{f.erikU.ID}})
	if err != nil {
		t.Fatal(err)
	}
	f.prod = f.srv.NewNetwork(t, "production-db", func(in *api.NetworkInput) {
		in.MemberIDs = &[]string{f.carolU.ID, f.danaU.ID}
		in.ApproverIDs = &[]string{f.danaU.ID}
		in.ApproverGroupIDs = &[]string{dbAdmins.ID}
		in.RequiredApprovals = ptr(2)
	})
	f.staging = f.srv.NewNetwork(t, "staging-internal")
	return f
}

// TestTwoApprovals: a request on a network that needs two approvals is
// mailed to its approvers (not the admins); the first approval answers
// 200 with the request still pending, "1 of 2" in the JSON, the
// requester's view and the emails; the same approver again is a 409; the
// second, distinct approver grants it for the shorter of the two
// durations; a deny by any approver ends another one.
func TestTwoApprovals(t *testing.T) {
	f := newTwoApprovers(t)
	srv, admin := f.srv, f.admin
	dev := registerDevice(t, f.carol)
	req := request(t, f.carol, f.prod.ID, "migrate the orders table", 4*time.Hour)
	if req.RequiredApprovals != 2 || req.Kind != api.KindAccess || len(req.Approvals) != 0 {
		t.Fatalf("new request: %+v", req)
	}
	srv.SMTP.WaitFor(t, backendtest.MailTo("dana@example.com", "Access request: carol@example.com"), 10*time.Second)
	m := srv.SMTP.WaitFor(t, backendtest.MailTo("erik@example.com", "Access request: carol@example.com"), 10*time.Second)
	if !strings.Contains(m.Text(), "2 from distinct approvers") {
		t.Errorf("the approvers' email does not say two approvals are needed:\n%s", m.Text())
	}
	if n := mailsTo(t, srv, admin, backendtest.AdminEmail, "Access request"); n != 0 {
		t.Errorf("the admin was emailed %d times about a network with approvers", n)
	}

	raw := backendtest.Do(t, "POST", srv.URL+"/api/v1/admin/requests/"+req.ID+"/approve", f.dana.Token(), "application/json", `{"duration_seconds": 7200}`)
	if raw.Status != 200 {
		t.Fatalf("first approval: %d %s", raw.Status, raw.Body)
	}
	for _, want := range []string{`"status":"pending"`, `"required_approvals":2`, `"approvals":[{"user_id":"` + f.danaU.ID + `","by":"dana@example.com"`} {
		if !strings.Contains(string(raw.Body), want) {
			t.Errorf("the first approval's answer lacks %s:\n%s", want, raw.Body)
		}
	}
	if st := backendtest.NetworkState(t, f.carol, "production-db"); st.State != api.StatePending || len(st.Request.Approvals) != 1 || st.Request.RequiredApprovals != 2 {
		t.Fatalf("carol's view after one approval: %s %+v", st.State, st.Request)
	}
	if onGateway(srv, f.prod.ID, dev.PublicKey) {
		t.Fatal("one approval of two put the peer on the gateway")
	}
	m = srv.SMTP.WaitFor(t, backendtest.MailTo("carol@example.com", "Approval 1 of 2"), 10*time.Second)
	if !strings.Contains(m.Text(), "dana@example.com approved your request") || !strings.Contains(m.Text(), "1 more") {
		t.Errorf("the requester's progress email:\n%s", m.Text())
	}
	srv.SMTP.WaitFor(t, backendtest.MailTo("erik@example.com", "Approval 1 of 2: carol@example.com"), 10*time.Second)
	if n := mailsTo(t, srv, admin, "dana@example.com", "Approval 1 of 2"); n != 0 {
		t.Errorf("the approver who approved got %d progress emails", n)
	}

	_, err := f.dana.Approve(t.Context(), req.ID, time.Hour)
	backendtest.WantStatus(t, "the same approver twice", err, 409, "approved this request already")

	got, err := f.erik.Approve(t.Context(), req.ID, 3*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	wantStatus(t, "after two approvals", got, api.StatusApproved)
	if got.GrantedSeconds != 7200 || len(got.Approvals) != 2 || !got.ExpiresAt.Equal(srv.Now().Add(2*time.Hour)) {
		t.Fatalf("the grant is not the shorter approval: %+v", got)
	}
	if !onGateway(srv, f.prod.ID, dev.PublicKey) {
		t.Fatal("the grant's peer is not on the gateway")
	}
	m = srv.SMTP.WaitFor(t, backendtest.MailTo("carol@example.com", "Access approved"), 10*time.Second)
	if !strings.Contains(m.Text(), "(2 of 2)") {
		t.Errorf("the approved email does not say 2 of 2:\n%s", m.Text())
	}
	if rows := auditOf(t, admin, req.ID, "request.approve"); len(rows) != 2 || rows[0].Details["approvals"] != "2 of 2" || rows[1].Details["approvals"] != "1 of 2" {
		t.Fatalf("approval audit rows: %+v", rows)
	}

	if _, err := f.carol.Release(t.Context(), req.ID); err != nil {
		t.Fatal(err)
	}
	second := request(t, f.carol, f.prod.ID, "again", 0)
	if _, err := f.erik.Approve(t.Context(), second.ID, 0); err != nil {
		t.Fatal(err)
	}
	denied, err := f.dana.Deny(t.Context(), second.ID, "not during the freeze")
	if err != nil {
		t.Fatal(err)
	}
	wantStatus(t, "a deny after one approval", denied, api.StatusDenied)
}

// TestApproversAuthorization: an approver who is not an admin sees and
// decides only their networks' requests through the API — the queue lists
// nothing else, another network's request is not found and cannot be
// approved — and never their own; revoking stays with the admins; a user
// who approves nothing gets 403 on the queue; and a network without
// approvers goes to the admins, as before.
func TestApproversAuthorization(t *testing.T) {
	f := newTwoApprovers(t)
	srv, admin := f.srv, f.admin
	onProd := request(t, f.carol, f.prod.ID, "prod work", 0)
	onStaging := request(t, f.carol, f.staging.ID, "staging work", 0)

	list, err := f.dana.AdminRequests(t.Context(), client.RequestQuery{})
	if err != nil {
		t.Fatal(err)
	}
	if len(list.Requests) != 1 || list.Requests[0].ID != onProd.ID || list.Total != 1 {
		t.Fatalf("dana's queue: %+v", list)
	}
	_, err = f.dana.AdminRequest(t.Context(), onStaging.ID)
	backendtest.WantStatus(t, "another network's request", err, 404)
	_, err = f.dana.Approve(t.Context(), onStaging.ID, 0)
	backendtest.WantStatus(t, "approving another network's request", err, 403, "approver of network staging-internal")
	if got := adminRequest(t, admin, onStaging.ID); got.Status != api.StatusPending || len(got.Approvals) != 0 {
		t.Fatalf("the refused approval changed the request: %+v", got)
	}
	_, err = f.carol.AdminRequests(t.Context(), client.RequestQuery{})
	backendtest.WantStatus(t, "a user's queue", err, 403, "admins and approvers")

	// Dana's own request goes to the other approver, never to her.
	own := request(t, f.dana, f.prod.ID, "my own", 0)
	_, err = f.dana.Approve(t.Context(), own.ID, 0)
	backendtest.WantStatus(t, "own request", err, 403, "own request")
	srv.SMTP.WaitFor(t, backendtest.MailTo("erik@example.com", "Access request: dana@example.com"), 10*time.Second)
	if n := mailsTo(t, srv, admin, "dana@example.com", "Access request: dana@example.com"); n != 0 {
		t.Errorf("dana was emailed about her own request")
	}
	if n := countMail(srv, backendtest.AdminEmail, "Access request: carol@example.com → staging-internal"); n != 1 {
		t.Errorf("the admin got %d emails of the staging request (no approvers there)", n)
	}

	// Approvers approve and deny; the admins revoke.
	if _, err := f.dana.Approve(t.Context(), onProd.ID, 0); err != nil {
		t.Fatal(err)
	}
	grant, err := f.erik.Approve(t.Context(), onProd.ID, 0)
	if err != nil {
		t.Fatal(err)
	}
	_, err = f.erik.Revoke(t.Context(), grant.ID, "")
	backendtest.WantStatus(t, "an approver revokes", err, 403, "for admins")
	if _, err := admin.Revoke(t.Context(), grant.ID, "done"); err != nil {
		t.Fatal(err)
	}
}
