package httpapi_test

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"gatepass.dev/backend/backendtest"
	"gatepass.dev/backend/internal/config"
	"gatepass.dev/shared/api"
	"gatepass.dev/shared/client"
)

// topOutboxID is the id of the newest email in the outbox (0 when empty).
// Outbox rows are written in the same transaction as the change they
// report, so comparing it before and after a call tells, without waiting,
// whether the call queued any email.
func topOutboxID(t *testing.T, admin *client.Client) int64 {
	t.Helper()
	msgs := backendtest.Outbox(t, admin, "")
	if len(msgs) == 0 {
		return 0
	}
	return msgs[0].ID // newest first
}

// queuedAfter lists the emails queued after id.
func queuedAfter(t *testing.T, admin *client.Client, id int64) []api.OutboxMessage {
	t.Helper()
	msgs := backendtest.Outbox(t, admin, "")
	var out []api.OutboxMessage
	for _, m := range msgs {
		if m.ID > id {
			out = append(out, m)
		}
	}
	return out
}

// TestLifecycleDenyWithNote: deny with a note → the user is emailed who
// denied it and why; the network offers a new request; the audit has it.
func TestLifecycleDenyWithNote(t *testing.T) {
	srv := backendtest.NewServer(t)
	admin := srv.Admin(t)
	alice, _ := srv.NewUser(t, "alice@example.com", api.RoleUser)
	net := srv.NewNetwork(t, "prod-db")

	req, err := alice.Request(t.Context(), net.ID, "Run the migration", 0)
	if err != nil {
		t.Fatal(err)
	}
	const note = "Use the read replica instead"
	denied, err := admin.Deny(t.Context(), req.ID, "  "+note+"  ")
	if err != nil {
		t.Fatal(err)
	}
	if denied.Status != api.StatusDenied || denied.Note != note || denied.DecidedBy != backendtest.AdminEmail || denied.ExpiresAt != nil {
		t.Fatalf("denied request: %+v", denied)
	}

	m := srv.SMTP.WaitFor(t, backendtest.MailTo("alice@example.com", "denied"), 10*time.Second)
	for _, want := range []string{"prod-db", backendtest.AdminEmail, note} {
		if !strings.Contains(m.Text(), want) || !strings.Contains(m.HTML(), want) {
			t.Errorf("denied email lacks %q:\n%s", want, m.Text())
		}
	}

	n := backendtest.NetworkState(t, alice, net.ID)
	if n.State != api.StateRequest || n.ExpiresAt != nil || n.Request == nil || n.Request.ID != req.ID ||
		n.Request.Status != api.StatusDenied || n.Request.Note != note {
		t.Fatalf("after deny: %+v (request %+v)", n, n.Request)
	}

	audit := backendtest.Audit(t, admin, url.Values{"target": {req.ID}, "action": {"request.deny"}})
	if len(audit) != 1 || audit[0].Details["note"] != note || audit[0].ActorEmail != backendtest.AdminEmail ||
		audit[0].Details["from"] != "pending" || audit[0].Details["to"] != "denied" {
		t.Fatalf("audit of the deny: %+v", audit)
	}

	// Denying again is not possible; a new request is.
	_, err = admin.Deny(t.Context(), req.ID, "again")
	backendtest.WantStatus(t, "deny a denied request", err, 409)
	again, err := alice.Request(t.Context(), net.ID, "Run the migration, replica is down", 0)
	if err != nil {
		t.Fatalf("new request after a deny: %v", err)
	}
	if n := backendtest.NetworkState(t, alice, net.ID); n.State != api.StatePending || n.Request == nil || n.Request.ID != again.ID {
		t.Fatalf("after the new request: %+v", n)
	}
}

// TestLifecycleCancelByRequester: a pending request withdrawn by its
// requester is cancelled, emails nobody, and the network offers a request.
func TestLifecycleCancelByRequester(t *testing.T) {
	srv := backendtest.NewServer(t)
	admin := srv.Admin(t)
	alice, aliceUser := srv.NewUser(t, "alice@example.com", api.RoleUser)
	bob, _ := srv.NewUser(t, "bob@example.com", api.RoleUser)
	net := srv.NewNetwork(t, "staging")

	req, err := alice.Request(t.Context(), net.ID, "Check the logs", 0)
	if err != nil {
		t.Fatal(err)
	}
	// The admins heard of the request; wait for that email so that it is
	// not mistaken for one about the cancel.
	srv.SMTP.WaitFor(t, backendtest.MailTo(backendtest.AdminEmail, "alice@example.com"), 10*time.Second)
	backendtest.WaitOutboxDrained(t, admin)
	before := topOutboxID(t, admin)
	smtpBefore := srv.SMTP.Count()

	// Someone else cannot cancel it; an admin neither (only the requester).
	_, err = bob.Cancel(t.Context(), req.ID)
	backendtest.WantStatus(t, "bob cancels alice's request", err, 403)
	_, err = admin.Cancel(t.Context(), req.ID)
	backendtest.WantStatus(t, "an admin cancels alice's request", err, 403)

	got, err := alice.Cancel(t.Context(), req.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != api.StatusCancelled || got.EndedBy != "alice@example.com" || got.EndedAt == nil {
		t.Fatalf("cancelled request: %+v", got)
	}
	if n := backendtest.NetworkState(t, alice, net.ID); n.State != api.StateRequest || n.Request == nil || n.Request.Status != api.StatusCancelled {
		t.Fatalf("after cancel: %+v", n)
	}
	if queued := queuedAfter(t, admin, before); len(queued) != 0 {
		t.Fatalf("the cancel queued emails: %+v", queued)
	}
	backendtest.WaitOutboxDrained(t, admin)
	if n := srv.SMTP.Count(); n != smtpBefore {
		t.Fatalf("%d emails arrived after the cancel: %+v", n-smtpBefore, srv.SMTP.Messages()[smtpBefore:])
	}
	if audit := backendtest.Audit(t, admin, url.Values{"target": {req.ID}, "action": {"request.cancel"}}); len(audit) != 1 || audit[0].ActorID != aliceUser.ID {
		t.Fatalf("audit of the cancel: %+v", audit)
	}
	// Cancelled is final.
	_, err = alice.Cancel(t.Context(), req.ID)
	backendtest.WantStatus(t, "cancel twice", err, 409)
	_, err = admin.Approve(t.Context(), req.ID, 0)
	backendtest.WantStatus(t, "approve a cancelled request", err, 409)
}

// TestLifecycleRevokeByAdmin: an admin ends an active grant at once, with a
// note that reaches the user.
func TestLifecycleRevokeByAdmin(t *testing.T) {
	srv := backendtest.NewServer(t)
	admin := srv.Admin(t)
	alice, _ := srv.NewUser(t, "alice@example.com", api.RoleUser)
	net := srv.NewNetwork(t, "prod")

	req, err := alice.Request(t.Context(), net.ID, "Incident 4711", 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := admin.Approve(t.Context(), req.ID, 4*time.Hour); err != nil {
		t.Fatal(err)
	}
	if n := backendtest.NetworkState(t, alice, net.ID); n.State != api.StateActive {
		t.Fatalf("after approval: %q", n.State)
	}
	srv.Advance(30 * time.Minute)
	revokedAt := srv.Now()

	const note = "Incident closed, access no longer needed"
	got, err := admin.Revoke(t.Context(), req.ID, note)
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != api.StatusRevoked || got.Note != note || got.EndedAt == nil || !got.EndedAt.Equal(revokedAt) || got.EndedBy != backendtest.AdminEmail {
		t.Fatalf("revoked request: %+v", got)
	}
	// At once: no clock movement, no waiting for the scheduler.
	if n := backendtest.NetworkState(t, alice, net.ID); n.State != api.StateRequest || n.ExpiresAt != nil || n.Request == nil || n.Request.Status != api.StatusRevoked {
		t.Fatalf("right after revoke: %+v", n)
	}

	m := srv.SMTP.WaitFor(t, backendtest.MailTo("alice@example.com", "revoked"), 10*time.Second)
	for _, want := range []string{"prod", note, backendtest.AdminEmail} {
		if !strings.Contains(m.Text(), want) {
			t.Errorf("revoked email lacks %q:\n%s", want, m.Text())
		}
	}
	audit := backendtest.Audit(t, admin, url.Values{"target": {req.ID}, "action": {"request.revoke"}})
	if len(audit) != 1 || audit[0].Details["note"] != note || audit[0].Details["to"] != "revoked" || audit[0].ActorEmail != backendtest.AdminEmail {
		t.Fatalf("audit of the revoke: %+v", audit)
	}

	_, err = admin.Revoke(t.Context(), req.ID, "again")
	backendtest.WantStatus(t, "second revoke", err, 409)
	if audit := backendtest.Audit(t, admin, url.Values{"target": {req.ID}, "action": {"request.revoke"}}); len(audit) != 1 {
		t.Fatalf("the failed second revoke was audited: %+v", audit)
	}
	// A user cannot revoke, not even their own grant (that is release).
	req2, err := alice.Request(t.Context(), net.ID, "Incident 4712", 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := admin.Approve(t.Context(), req2.ID, 0); err != nil {
		t.Fatal(err)
	}
	code, _, err := alice.Raw(t.Context(), "POST", "/api/v1/admin/requests/"+req2.ID+"/revoke", "application/json", []byte(`{}`))
	if err != nil || code != 403 {
		t.Fatalf("a user revokes: %d %v, want 403", code, err)
	}
}

// TestLifecycleRelease: the user gives up an active grant early: revoked,
// audited as a release, and no email at all.
func TestLifecycleRelease(t *testing.T) {
	srv := backendtest.NewServer(t)
	admin := srv.Admin(t)
	alice, aliceUser := srv.NewUser(t, "alice@example.com", api.RoleUser)
	bob, _ := srv.NewUser(t, "bob@example.com", api.RoleUser)
	net := srv.NewNetwork(t, "staging")

	req, err := alice.Request(t.Context(), net.ID, "Deploy", 0)
	if err != nil {
		t.Fatal(err)
	}
	// Release needs an approved request.
	_, err = alice.Release(t.Context(), req.ID)
	backendtest.WantStatus(t, "release a pending request", err, 409)
	if _, err := admin.Approve(t.Context(), req.ID, 2*time.Hour); err != nil {
		t.Fatal(err)
	}
	srv.SMTP.WaitFor(t, backendtest.MailTo("alice@example.com", "approved"), 10*time.Second)
	backendtest.WaitOutboxDrained(t, admin)
	before := topOutboxID(t, admin)
	smtpBefore := srv.SMTP.Count()

	_, err = bob.Release(t.Context(), req.ID)
	backendtest.WantStatus(t, "bob releases alice's grant", err, 403)

	srv.Advance(5 * time.Minute)
	got, err := alice.Release(t.Context(), req.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != api.StatusRevoked || got.EndedBy != "alice@example.com" || got.EndedAt == nil || !got.EndedAt.Equal(srv.Now()) {
		t.Fatalf("released request: %+v", got)
	}
	if n := backendtest.NetworkState(t, alice, net.ID); n.State != api.StateRequest || n.ExpiresAt != nil {
		t.Fatalf("after release: %+v", n)
	}
	audit := backendtest.Audit(t, admin, url.Values{"target": {req.ID}, "action": {"request.release"}})
	if len(audit) != 1 || audit[0].ActorID != aliceUser.ID || audit[0].Details["to"] != "revoked" {
		t.Fatalf("audit of the release: %+v", audit)
	}
	if revokes := backendtest.Audit(t, admin, url.Values{"target": {req.ID}, "action": {"request.revoke"}}); len(revokes) != 0 {
		t.Fatalf("a release was audited as a revoke: %+v", revokes)
	}
	if queued := queuedAfter(t, admin, before); len(queued) != 0 {
		t.Fatalf("the release queued emails: %+v", queued)
	}
	backendtest.WaitOutboxDrained(t, admin)
	if n := srv.SMTP.Count(); n != smtpBefore {
		t.Fatalf("%d emails arrived after the release: %+v", n-smtpBefore, srv.SMTP.Messages()[smtpBefore:])
	}
	_, err = alice.Release(t.Context(), req.ID)
	backendtest.WantStatus(t, "release twice", err, 409)
}

// TestLifecyclePendingTimeout: a request nobody decides on expires after
// the pending TTL, and the user is told.
func TestLifecyclePendingTimeout(t *testing.T) {
	srv := backendtest.NewServer(t, backendtest.WithConfig(func(c *config.Config) { c.PendingTTL = time.Hour }))
	admin := srv.Admin(t)
	alice, _ := srv.NewUser(t, "alice@example.com", api.RoleUser)
	net := srv.NewNetwork(t, "staging")

	req, err := alice.Request(t.Context(), net.ID, "Look at the dashboards", 0)
	if err != nil {
		t.Fatal(err)
	}
	srv.SMTP.WaitFor(t, backendtest.MailTo(backendtest.AdminEmail, "alice@example.com"), 10*time.Second)

	srv.Advance(59 * time.Minute)
	if r, err := alice.GetRequest(t.Context(), req.ID); err != nil || r.Status != api.StatusPending {
		t.Fatalf("a minute before the TTL: %+v %v", r, err)
	}
	srv.Advance(time.Minute)
	backendtest.WaitFor(t, "the pending request to time out", func() bool {
		r, err := alice.GetRequest(t.Context(), req.ID)
		return err == nil && r.Status == api.StatusExpired
	})
	r, _ := alice.GetRequest(t.Context(), req.ID)
	if r.ExpiresAt != nil || r.EndedAt == nil || !r.EndedAt.Equal(req.RequestedAt.Add(time.Hour)) {
		t.Fatalf("timed-out request: %+v", r)
	}
	m := srv.SMTP.WaitFor(t, backendtest.MailTo("alice@example.com", "timed out"), 10*time.Second)
	if !strings.Contains(m.Text(), "staging") {
		t.Errorf("timeout email lacks the network:\n%s", m.Text())
	}
	if n := backendtest.NetworkState(t, alice, net.ID); n.State != api.StateRequest {
		t.Fatalf("after the timeout: %+v", n)
	}
	if audit := backendtest.Audit(t, admin, url.Values{"target": {req.ID}, "action": {"request.timeout"}}); len(audit) != 1 || audit[0].ActorEmail != "system" {
		t.Fatalf("audit of the timeout: %+v", audit)
	}
	_, err = admin.Approve(t.Context(), req.ID, 0)
	backendtest.WantStatus(t, "approve a timed-out request", err, 409)
}

// TestLifecycleStanding: admins and networks without JIT have standing
// access; a request on a network without JIT is refused.
func TestLifecycleStanding(t *testing.T) {
	srv := backendtest.NewServer(t)
	admin := srv.Admin(t)
	alice, _ := srv.NewUser(t, "alice@example.com", api.RoleUser)
	jit := srv.NewNetwork(t, "prod")
	off := false
	open := srv.NewNetwork(t, "office", func(in *api.NetworkInput) { in.JITEnabled = &off })

	if n := backendtest.NetworkState(t, admin, jit.ID); n.State != api.StateStanding || n.ExpiresAt != nil {
		t.Fatalf("admin on a JIT network: %+v", n)
	}
	if n := backendtest.NetworkState(t, alice, jit.ID); n.State != api.StateRequest {
		t.Fatalf("user on a JIT network: %+v", n)
	}
	if n := backendtest.NetworkState(t, alice, open.ID); n.State != api.StateStanding || n.JITEnabled || n.ExpiresAt != nil {
		t.Fatalf("user on a network without JIT: %+v", n)
	}
	_, err := alice.Request(t.Context(), open.ID, "why not", 0)
	backendtest.WantStatus(t, "request on a network without JIT", err, 409)
	if n := backendtest.NetworkState(t, alice, open.ID); n.State != api.StateStanding || n.Request != nil {
		t.Fatalf("after the refused request: %+v", n)
	}

	// Turning JIT on takes the standing access away.
	on := true
	if _, err := admin.UpdateNetwork(t.Context(), open.ID, api.NetworkInput{JITEnabled: &on}); err != nil {
		t.Fatal(err)
	}
	if n := backendtest.NetworkState(t, alice, open.ID); n.State != api.StateRequest {
		t.Fatalf("after JIT was turned on: %+v", n)
	}
}

// TestLifecycleApproveDurations: no duration → the network's default; over
// the maximum → 400 and still pending; exactly the maximum → approved.
func TestLifecycleApproveDurations(t *testing.T) {
	srv := backendtest.NewServer(t)
	admin := srv.Admin(t)
	alice, _ := srv.NewUser(t, "alice@example.com", api.RoleUser)
	def, max := int64(2*3600), int64(24*3600)
	net := srv.NewNetwork(t, "lab", func(in *api.NetworkInput) {
		in.DefaultDurationSeconds, in.MaxDurationSeconds = &def, &max
	})

	req, err := alice.Request(t.Context(), net.ID, "first", 0)
	if err != nil {
		t.Fatal(err)
	}
	got, err := admin.Approve(t.Context(), req.ID, 0)
	if err != nil {
		t.Fatal(err)
	}
	if want := srv.Now().Add(2 * time.Hour); got.GrantedSeconds != def || got.ExpiresAt == nil || !got.ExpiresAt.Equal(want) {
		t.Fatalf("approved without a duration: %+v, want %ds until %s", got, def, want)
	}
	if _, err := alice.Release(t.Context(), req.ID); err != nil {
		t.Fatal(err)
	}

	req, err = alice.Request(t.Context(), net.ID, "second", 0)
	if err != nil {
		t.Fatal(err)
	}
	_, err = admin.Approve(t.Context(), req.ID, 24*time.Hour+time.Second)
	backendtest.WantStatus(t, "approve over the maximum", err, 400)
	if r, err := admin.AdminRequest(t.Context(), req.ID); err != nil || r.Status != api.StatusPending || r.ExpiresAt != nil {
		t.Fatalf("after the refused approval: %+v %v", r, err)
	}
	if audit := backendtest.Audit(t, admin, url.Values{"target": {req.ID}, "action": {"request.approve"}}); len(audit) != 0 {
		t.Fatalf("the refused approval was audited: %+v", audit)
	}
	got, err = admin.Approve(t.Context(), req.ID, 24*time.Hour)
	if err != nil {
		t.Fatalf("approve for exactly the maximum: %v", err)
	}
	if got.GrantedSeconds != max || !got.ExpiresAt.Equal(srv.Now().Add(24*time.Hour)) {
		t.Fatalf("approved for the maximum: %+v", got)
	}
}

// TestLifecycleOneOpenRequest: a user has at most one open request per
// network.
func TestLifecycleOneOpenRequest(t *testing.T) {
	srv := backendtest.NewServer(t)
	admin := srv.Admin(t)
	alice, _ := srv.NewUser(t, "alice@example.com", api.RoleUser)
	bob, _ := srv.NewUser(t, "bob@example.com", api.RoleUser)
	net := srv.NewNetwork(t, "prod")
	other := srv.NewNetwork(t, "staging")

	req, err := alice.Request(t.Context(), net.ID, "one", 0)
	if err != nil {
		t.Fatal(err)
	}
	_, err = alice.Request(t.Context(), net.ID, "two", 0)
	backendtest.WantStatus(t, "second request while pending", err, 409)
	// Other networks and other users are not affected.
	if _, err := alice.Request(t.Context(), other.ID, "elsewhere", 0); err != nil {
		t.Fatalf("request on another network: %v", err)
	}
	if _, err := bob.Request(t.Context(), net.ID, "bob's", 0); err != nil {
		t.Fatalf("another user's request: %v", err)
	}
	if _, err := admin.Approve(t.Context(), req.ID, 0); err != nil {
		t.Fatal(err)
	}
	_, err = alice.Request(t.Context(), net.ID, "three", 0)
	backendtest.WantStatus(t, "second request while approved", err, 409)

	list, err := alice.MyRequests(t.Context(), client.RequestQuery{Network: net.ID})
	if err != nil {
		t.Fatal(err)
	}
	if len(list.Requests) != 1 || list.Requests[0].ID != req.ID {
		t.Fatalf("alice's requests on the network: %+v", list.Requests)
	}
}

// TestLifecycleDisableUser: disabling a user ends their grant and pending
// request, and signs them out for good.
func TestLifecycleDisableUser(t *testing.T) {
	srv := backendtest.NewServer(t)
	admin := srv.Admin(t)
	alice, aliceUser := srv.NewUser(t, "alice@example.com", api.RoleUser)
	bob, _ := srv.NewUser(t, "bob@example.com", api.RoleUser)
	prod := srv.NewNetwork(t, "prod")
	staging := srv.NewNetwork(t, "staging")

	active, err := alice.Request(t.Context(), prod.ID, "deploy", 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := admin.Approve(t.Context(), active.ID, 0); err != nil {
		t.Fatal(err)
	}
	pending, err := alice.Request(t.Context(), staging.ID, "test", 0)
	if err != nil {
		t.Fatal(err)
	}
	bobs, err := bob.Request(t.Context(), prod.ID, "bob too", 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := admin.Approve(t.Context(), bobs.ID, 0); err != nil {
		t.Fatal(err)
	}

	yes := true
	u, err := admin.UpdateUser(t.Context(), aliceUser.ID, api.UserPatch{Disabled: &yes})
	if err != nil {
		t.Fatal(err)
	}
	if !u.Disabled {
		t.Fatalf("updated user: %+v", u)
	}
	if r, err := admin.AdminRequest(t.Context(), active.ID); err != nil || r.Status != api.StatusRevoked || r.EndedBy != backendtest.AdminEmail {
		t.Fatalf("alice's grant after disabling: %+v %v", r, err)
	}
	if r, err := admin.AdminRequest(t.Context(), pending.ID); err != nil || r.Status != api.StatusDenied {
		t.Fatalf("alice's pending request after disabling: %+v %v", r, err)
	}
	if audit := backendtest.Audit(t, admin, url.Values{"target": {active.ID}, "action": {"request.revoke"}}); len(audit) != 1 {
		t.Fatalf("audit of the revoke by disabling: %+v", audit)
	}
	if audit := backendtest.Audit(t, admin, url.Values{"target": {pending.ID}, "action": {"request.deny"}}); len(audit) != 1 {
		t.Fatalf("audit of the deny by disabling: %+v", audit)
	}
	// Bob is untouched.
	if n := backendtest.NetworkState(t, bob, prod.ID); n.State != api.StateActive {
		t.Fatalf("bob after alice was disabled: %+v", n)
	}

	_, err = alice.MyNetworks(t.Context())
	backendtest.WantStatus(t, "alice's token after disabling", err, 401)
	_, err = alice.Request(t.Context(), prod.ID, "let me back in", 0)
	backendtest.WantStatus(t, "alice requests after disabling", err, 401)
	_, err = srv.Client().Login(t.Context(), "alice@example.com", backendtest.UserPassword)
	backendtest.WantStatus(t, "alice logs in after disabling", err, 401)

	users, err := admin.Users(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	for _, x := range users {
		if x.ID == aliceUser.ID && !x.Disabled {
			t.Fatalf("alice is not shown as disabled: %+v", x)
		}
	}

	// Enabled again, she signs in anew: the old token stays revoked, and
	// the ended requests stay ended.
	no := false
	if _, err := admin.UpdateUser(t.Context(), aliceUser.ID, api.UserPatch{Disabled: &no}); err != nil {
		t.Fatal(err)
	}
	_, err = alice.MyNetworks(t.Context())
	backendtest.WantStatus(t, "alice's old token after re-enabling", err, 401)
	again := srv.Login(t, "alice@example.com", backendtest.UserPassword)
	if n := backendtest.NetworkState(t, again, prod.ID); n.State != api.StateRequest {
		t.Fatalf("alice re-enabled: %+v", n)
	}
}
