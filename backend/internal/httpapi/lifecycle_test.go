package httpapi_test

import (
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"gatepass.dev/backend/backendtest"
	"gatepass.dev/shared/api"
)

// TestLifecycleApproveExpire is the API end to end: request → admin email
// with a working review link → approve → user email → active with the
// right expiry → the clock passes expiry → expired, expiry email.
func TestLifecycleApproveExpire(t *testing.T) {
	srv := backendtest.NewServer(t)
	admin := srv.Admin(t)
	alice, _ := srv.NewUser(t, "alice@example.com", api.RoleUser)
	net := srv.NewNetwork(t, "staging-internal")

	if got := backendtest.NetworkState(t, alice, net.ID); got.State != api.StateRequest {
		t.Fatalf("before any request: state %q, want request", got.State)
	}
	req, err := alice.Request(t.Context(), net.ID, "  Deploy the v2.3 release  ", 2*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if req.Status != api.StatusPending || req.Reason != "Deploy the v2.3 release" || req.DurationSeconds != 7200 {
		t.Fatalf("new request: %+v", req)
	}
	if got := backendtest.NetworkState(t, alice, net.ID); got.State != api.StatePending || got.Request == nil || got.Request.ID != req.ID {
		t.Fatalf("after request: %+v", got)
	}

	// The admin is emailed with a direct link to review this request.
	m := srv.SMTP.WaitFor(t, backendtest.MailTo(backendtest.AdminEmail, "alice@example.com"), 10*time.Second)
	for _, want := range []string{"alice@example.com", "staging-internal", "Deploy the v2.3 release"} {
		if !strings.Contains(m.Text(), want) || !strings.Contains(m.HTML(), want) {
			t.Errorf("admin email lacks %q:\n%s", want, m.Text())
		}
	}
	link := regexp.MustCompile(`https?://\S+/admin/requests/[a-z0-9_]+`).FindString(m.Text())
	if link == "" {
		t.Fatalf("no review link in the admin email:\n%s", m.Text())
	}
	u, err := url.Parse(link)
	if err != nil || !strings.HasPrefix(link, srv.URL+"/admin/requests/") {
		t.Fatalf("review link %q is not on the public URL %s", link, srv.URL)
	}
	reviewed, err := admin.AdminRequest(t.Context(), strings.TrimPrefix(u.Path, "/admin/requests/"))
	if err != nil || reviewed.ID != req.ID {
		t.Fatalf("the review link does not lead to the request: %v %+v", err, reviewed)
	}

	// Approve for one hour; the clock starts at approval, not at request time.
	srv.Advance(10 * time.Minute)
	approvedAt := srv.Now()
	got, err := admin.Approve(t.Context(), req.ID, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	wantExp := approvedAt.Add(time.Hour)
	if got.Status != api.StatusApproved || got.ExpiresAt == nil || !got.ExpiresAt.Equal(wantExp) || got.DecidedBy != backendtest.AdminEmail {
		t.Fatalf("approved: %+v (want expiry %s)", got, wantExp)
	}
	m = srv.SMTP.WaitFor(t, backendtest.MailTo("alice@example.com", "approved"), 10*time.Second)
	if !strings.Contains(m.Text(), "staging-internal") || !strings.Contains(m.Text(), backendtest.AdminEmail) {
		t.Errorf("approval email lacks the network or the approver:\n%s", m.Text())
	}
	n := backendtest.NetworkState(t, alice, net.ID)
	if n.State != api.StateActive || n.ExpiresAt == nil || !n.ExpiresAt.Equal(wantExp) {
		t.Fatalf("after approval: state %q expires %v, want active at %s", n.State, n.ExpiresAt, wantExp)
	}

	// One second before expiry it is still active; past it, expired.
	srv.Advance(time.Hour - 10*time.Second)
	if n := backendtest.NetworkState(t, alice, net.ID); n.State != api.StateActive {
		t.Fatalf("10 s before expiry: %q", n.State)
	}
	srv.Advance(10 * time.Second)
	backendtest.WaitFor(t, "the grant to expire", func() bool {
		r, err := alice.GetRequest(t.Context(), req.ID)
		return err == nil && r.Status == api.StatusExpired
	})
	if n := backendtest.NetworkState(t, alice, net.ID); n.State != api.StateRequest || n.ExpiresAt != nil {
		t.Fatalf("after expiry: %+v", n)
	}
	srv.SMTP.WaitFor(t, backendtest.MailTo("alice@example.com", "expired"), 10*time.Second)

	// The audit trail has every step.
	audit, err := admin.Audit(t.Context(), url.Values{"target": {req.ID}})
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, e := range audit.Entries {
		actions = append([]string{e.Action}, actions...)
	}
	if strings.Join(actions, ",") != "request.create,request.approve,request.expire" {
		t.Fatalf("audit actions %v", actions)
	}
	// A new request is possible again.
	if _, err := alice.Request(t.Context(), net.ID, "again", 0); err != nil {
		t.Fatalf("request after expiry: %v", err)
	}
}
