package httpapi_test

import (
	"strings"
	"testing"
	"time"

	"gatepass.dev/backend/backendtest"
	"gatepass.dev/shared/api"
)

// TestPatterns: the request page's patterns count a user's requests on a
// network in the last 30 days, how they went and the durations granted,
// and hint at a rule when people approved every one of several, and at a
// longer duration when the grants ran out back to back; an approver of
// another network cannot see them.
func TestPatterns(t *testing.T) {
	srv := backendtest.NewServer(t)
	admin := srv.Admin(t)
	alice, aliceU := srv.NewUser(t, "alice@example.com", api.RoleUser)
	dana, danaU := srv.NewUser(t, "dana@example.com", api.RoleUser)
	n := srv.NewNetwork(t, "production-db")
	srv.NewNetwork(t, "other", func(in *api.NetworkInput) { in.ApproverIDs = &[]string{danaU.ID} })

	old := request(t, alice, n.ID, "long ago", 0)
	if _, err := admin.Approve(t.Context(), old.ID, time.Hour); err != nil {
		t.Fatal(err)
	}
	srv.Advance(40 * 24 * time.Hour) // out of the window (and past the tokens' 30 days)
	backendtest.WaitFor(t, "the old grant to expire", func() bool { return adminRequest(t, srv.Admin(t), old.ID).Status == api.StatusExpired })
	admin, alice, dana = srv.Admin(t), srv.Login(t, "alice@example.com", backendtest.UserPassword), srv.Login(t, "dana@example.com", backendtest.UserPassword)
	// Three grants of 1h, each asked for again within minutes of the
	// previous one's end.
	var last api.Request
	for range 3 {
		r := request(t, alice, n.ID, "batch job", time.Hour)
		if _, err := admin.Approve(t.Context(), r.ID, time.Hour); err != nil {
			t.Fatal(err)
		}
		srv.Advance(time.Hour + 5*time.Minute)
		backendtest.WaitFor(t, "the grant to expire", func() bool { return adminRequest(t, admin, r.ID).Status == api.StatusExpired })
		last = r
	}
	cur := request(t, alice, n.ID, "batch job", 2*time.Hour)

	p, err := admin.Patterns(t.Context(), cur.ID)
	if err != nil {
		t.Fatal(err)
	}
	if p.Requests != 4 || p.Approved != 3 || p.Denied != 0 || len(p.GrantedSeconds) != 3 || p.MedianGrantedSeconds != 3600 || p.MaxGrantedSeconds != 3600 ||
		p.UserID != aliceU.ID || p.NetworkID != n.ID {
		t.Fatalf("patterns: %+v", p)
	}
	kinds := map[string]string{}
	for _, h := range p.Hints {
		kinds[h.Kind] = h.Message
	}
	if !strings.Contains(kinds[api.HintRule], "people approved every one") {
		t.Errorf("no rule hint: %+v", p.Hints)
	}
	if !strings.Contains(kinds[api.HintLongerDuration], "a grant of 3h would serve") {
		t.Errorf("no longer-duration hint: %+v", p.Hints)
	}
	_, err = dana.Patterns(t.Context(), last.ID)
	backendtest.WantStatus(t, "an approver of another network", err, 404)

	// Once a rule serves her, the rule hint goes.
	rule := autoApprove("batch")
	rule.UserIDs = &[]string{aliceU.ID}
	createRule(t, admin, n.ID, rule)
	p, err = admin.Patterns(t.Context(), cur.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range p.Hints {
		if h.Kind == api.HintRule {
			t.Errorf("a rule hint although a rule serves her: %s", h.Message)
		}
	}
}
