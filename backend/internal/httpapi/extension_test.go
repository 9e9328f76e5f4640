package httpapi_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"gatepass.dev/backend/backendtest"
	"gatepass.dev/shared/api"
	"gatepass.dev/shared/client"
)

// TestExtension: a user with an active grant asks for more time; it is a
// request of kind extension that the network's approvers decide (here two
// of them, "1 of 2" on the way); when granted, the grant's expires_at
// moves and the tunnel never drops — the gateway device's peer is never
// removed nor added again, and leaves at the new expiry; the user sees the
// pending extension and how much more the grant may grow; the network's
// maximum caps the whole grant; a second pending extension is a 409.
func TestExtension(t *testing.T) {
	var uapi uapiLog
	srv := backendtest.NewServer(t, backendtest.WithGatewayBackend(uapi.wrap))
	admin := srv.Admin(t)
	carol, carolU := srv.NewUser(t, "carol@example.com", api.RoleUser)
	dana, danaU := srv.NewUser(t, "dana@example.com", api.RoleUser)
	erik, erikU := srv.NewUser(t, "erik@example.com", api.RoleUser)
	n := srv.NewNetwork(t, "production-db", func(in *api.NetworkInput) {
		in.MemberIDs = &[]string{carolU.ID}
		in.ApproverIDs = &[]string{danaU.ID, erikU.ID}
		in.RequiredApprovals = ptr(2)
		in.MaxDurationSeconds = ptr(int64(8 * 3600))
	})
	dev := registerDevice(t, carol)
	grant := request(t, carol, n.ID, "migration", 0)
	if _, err := dana.Approve(t.Context(), grant.ID, 2*time.Hour); err != nil {
		t.Fatal(err)
	}
	grant, err := erik.Approve(t.Context(), grant.ID, 2*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if !onGateway(srv, n.ID, dev.PublicKey) || uapi.added(t, dev.PublicKey) != 1 {
		t.Fatalf("the grant's peer: on the gateway %v, added %d times", onGateway(srv, n.ID, dev.PublicKey), uapi.added(t, dev.PublicKey))
	}
	firstEnd := *grant.ExpiresAt
	srv.Advance(90 * time.Minute)
	if st := backendtest.NetworkState(t, carol, "production-db"); st.MaxExtensionSeconds != 6*3600 || st.Extension != nil {
		t.Fatalf("before: max extension %d, extension %+v", st.MaxExtensionSeconds, st.Extension)
	}

	_, err = carol.Extend(t.Context(), grant.ID, "more time", 7*time.Hour)
	backendtest.WantStatus(t, "past the network's maximum", err, 400, "duration_seconds", "at most 6h more")
	_, err = carol.Extend(t.Context(), grant.ID, "", time.Hour)
	backendtest.WantStatus(t, "no reason", err, 400, "reason")
	_, err = carol.Extend(t.Context(), grant.ID, "more", 0)
	backendtest.WantStatus(t, "no duration", err, 400, "duration_seconds", "required")
	_, err = dana.Extend(t.Context(), grant.ID, "not mine", time.Hour)
	backendtest.WantStatus(t, "someone else's grant", err, 404)

	raw := backendtest.Do(t, "POST", srv.URL+"/api/v1/requests/"+grant.ID+"/extend", carol.Token(), "application/json",
		`{"reason": "the migration runs long", "duration_seconds": 3600}`)
	if raw.Status != 201 || !strings.Contains(string(raw.Body), `"kind":"extension"`) || !strings.Contains(string(raw.Body), `"grant_id":"`+grant.ID+`"`) ||
		!strings.Contains(string(raw.Body), `"status":"pending"`) {
		t.Fatalf("extend: %d %s", raw.Status, raw.Body)
	}
	st := backendtest.NetworkState(t, carol, "production-db")
	if st.State != api.StateActive || st.Extension == nil || st.Extension.Status != api.StatusPending || st.Request.ID != grant.ID {
		t.Fatalf("the window's view of a pending extension: %+v", st)
	}
	ext := *st.Extension
	_, err = carol.Extend(t.Context(), grant.ID, "and more", time.Hour)
	backendtest.WantStatus(t, "a second pending extension", err, 409, "pending extension")
	m := srv.SMTP.WaitFor(t, backendtest.MailTo("dana@example.com", "Extension request: carol@example.com → production-db (+1h)"), 10*time.Second)
	if !strings.Contains(m.Text(), "the migration runs long") {
		t.Errorf("the extension email lacks the reason:\n%s", m.Text())
	}

	half, err := dana.Approve(t.Context(), ext.ID, 0)
	if err != nil {
		t.Fatal(err)
	}
	if half.Status != api.StatusPending || len(half.Approvals) != 1 {
		t.Fatalf("one approval of the extension: %+v", half)
	}
	if got := adminRequest(t, admin, grant.ID); !got.ExpiresAt.Equal(firstEnd) {
		t.Fatal("one approval of two moved the grant")
	}
	done, err := erik.Approve(t.Context(), ext.ID, 0)
	if err != nil {
		t.Fatal(err)
	}
	wantStatus(t, "the extension after two approvals", done, api.StatusApproved)
	if done.GrantedSeconds != 3600 || done.ExpiresAt != nil {
		t.Fatalf("the approved extension: %+v", done)
	}
	got := adminRequest(t, admin, grant.ID)
	if !got.ExpiresAt.Equal(firstEnd.Add(time.Hour)) || got.GrantedSeconds != 3*3600 || got.Status != api.StatusApproved {
		t.Fatalf("the grant after the extension: expires %v granted %d", got.ExpiresAt, got.GrantedSeconds)
	}
	st = backendtest.NetworkState(t, carol, "production-db")
	if !st.ExpiresAt.Equal(firstEnd.Add(time.Hour)) || st.MaxExtensionSeconds != 5*3600 || st.Extension.Status != api.StatusApproved {
		t.Fatalf("the window after the extension: %+v", st)
	}
	m = srv.SMTP.WaitFor(t, backendtest.MailTo("carol@example.com", "Access extended: production-db"), 10*time.Second)
	if !strings.Contains(m.Text(), "extended by 1h") || !strings.Contains(m.Text(), "(2 of 2)") {
		t.Errorf("the extended email:\n%s", m.Text())
	}
	if rows := auditOf(t, admin, grant.ID, "request.extend"); len(rows) != 1 || rows[0].Details["extension"] != ext.ID || rows[0].Details["added"] != "1h" {
		t.Fatalf("audit of the extension on the grant: %+v", rows)
	}

	// The old end passes: the peer stays, never removed nor re-added.
	srv.Advance(firstEnd.Sub(srv.Now()))
	backendtest.WaitFor(t, "the gateway to wake at the old end", func() bool { return srv.Gateway.NextWake().After(firstEnd) })
	if !onGateway(srv, n.ID, dev.PublicKey) || uapi.removed(t, dev.PublicKey) || uapi.added(t, dev.PublicKey) != 1 {
		t.Fatalf("the peer after the old end: on %v, removed %v, added %d times",
			onGateway(srv, n.ID, dev.PublicKey), uapi.removed(t, dev.PublicKey), uapi.added(t, dev.PublicKey))
	}
	srv.Advance(time.Hour)
	backendtest.WaitFor(t, "the peer to leave at the new end", func() bool { return !onGateway(srv, n.ID, dev.PublicKey) })
	backendtest.WaitFor(t, "the grant to expire", func() bool { return adminRequest(t, admin, grant.ID).Status == api.StatusExpired })
}

// TestExtensionRulesAndEnds: an extension follows the same rules as a
// request — a rule of "up to 2 h" extends a 1 h grant by 1 h at once but
// not by 2 h (the whole grant counts); a denied extension leaves the grant
// as it was (emailed as "more time"); a pending extension ends with its
// grant; a grant at the network's maximum cannot be extended.
func TestExtensionRulesAndEnds(t *testing.T) {
	srv := backendtest.NewServer(t)
	admin := srv.Admin(t)
	alice, aliceU := srv.NewUser(t, "alice@example.com", api.RoleUser)
	n := srv.NewNetwork(t, "office-network", func(in *api.NetworkInput) { in.MaxDurationSeconds = ptr(int64(4 * 3600)) })
	rule := autoApprove("on-call")
	rule.UserIDs, rule.MaxDurationSeconds = &[]string{aliceU.ID}, ptr(int64(7200))
	createRule(t, admin, n.ID, rule)

	grant := request(t, alice, n.ID, "paged", time.Hour)
	wantStatus(t, "the grant", grant, api.StatusApproved)
	ext, err := alice.Extend(t.Context(), grant.ID, "still on it", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if ext.Status != api.StatusApproved || ext.Rule != "on-call" {
		t.Fatalf("an extension within the rule: %+v", ext)
	}
	if got := adminRequest(t, admin, grant.ID); got.GrantedSeconds != 7200 {
		t.Fatalf("the grant after the rule's extension: %d s", got.GrantedSeconds)
	}
	ext, err = alice.Extend(t.Context(), grant.ID, "and more", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	wantStatus(t, "an extension past the rule's 2h", ext, api.StatusPending)
	denied, err := admin.Deny(t.Context(), ext.ID, "hand over to the next shift")
	if err != nil {
		t.Fatal(err)
	}
	wantStatus(t, "denied", denied, api.StatusDenied)
	if got := adminRequest(t, admin, grant.ID); got.GrantedSeconds != 7200 || got.Status != api.StatusApproved {
		t.Fatalf("a denied extension changed the grant: %+v", got)
	}
	m := srv.SMTP.WaitFor(t, backendtest.MailTo("alice@example.com", "Access denied"), 10*time.Second)
	if !strings.Contains(m.Text(), "more time on office-network") {
		t.Errorf("the denial of an extension:\n%s", m.Text())
	}

	// A pending extension ends with its grant.
	ext, err = alice.Extend(t.Context(), grant.ID, "one more", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := alice.Release(t.Context(), grant.ID); err != nil {
		t.Fatal(err)
	}
	if got := adminRequest(t, admin, ext.ID); got.Status != api.StatusExpired {
		t.Fatalf("the pending extension of a released grant: %s", got.Status)
	}
	_, err = alice.Extend(t.Context(), grant.ID, "after the end", time.Hour)
	backendtest.WantStatus(t, "extending an ended grant", err, 409, "only an active grant")

	// At the network's maximum (past the request rate limit's window).
	srv.Advance(16 * time.Minute)
	if err := admin.DeleteRule(t.Context(), mustRules(t, admin, n.ID)[0].ID); err != nil {
		t.Fatal(err)
	}
	long := request(t, alice, n.ID, "long", 4*time.Hour)
	long, err = admin.Approve(t.Context(), long.ID, 4*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	_, err = alice.Extend(t.Context(), long.ID, "more", time.Minute)
	backendtest.WantStatus(t, "a grant at the maximum", err, 409, "maximum")

	// The grant's expiry ends a pending extension too.
	_, err = admin.Revoke(t.Context(), long.ID, "")
	if err != nil {
		t.Fatal(err)
	}
	short := request(t, alice, n.ID, "short", time.Hour)
	short, err = admin.Approve(t.Context(), short.ID, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	ext, err = alice.Extend(t.Context(), short.ID, "more", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	srv.Advance(time.Hour)
	backendtest.WaitFor(t, "the extension to end with its grant", func() bool { return adminRequest(t, admin, ext.ID).Status == api.StatusExpired })
}

func mustRules(t *testing.T, admin *client.Client, networkID string) []api.Rule {
	t.Helper()
	rules, err := admin.Rules(t.Context(), networkID)
	if err != nil {
		t.Fatal(err)
	}
	return rules
}

// TestExtensionEndsWithSettledGrant: removing a member whose grant has a
// pending extension revokes the grant and ends the extension with it, in
// the same change (no conflict between the two); so does deleting the
// network.
func TestExtensionEndsWithSettledGrant(t *testing.T) {
	srv := backendtest.NewServer(t)
	admin := srv.Admin(t)
	alice, aliceU := srv.NewUser(t, "alice@example.com", api.RoleUser)
	_, bobU := srv.NewUser(t, "bob@example.com", api.RoleUser)
	for _, del := range []bool{false, true} {
		n := srv.NewNetwork(t, fmt.Sprintf("net-%v", del), func(in *api.NetworkInput) { in.MemberIDs = &[]string{aliceU.ID, bobU.ID} })
		grant := request(t, alice, n.ID, "work", 0)
		if _, err := admin.Approve(t.Context(), grant.ID, time.Hour); err != nil {
			t.Fatal(err)
		}
		srv.Advance(time.Minute) // the extension is requested after its grant
		ext, err := alice.Extend(t.Context(), grant.ID, "more", time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		if del {
			err = admin.DeleteNetwork(t.Context(), n.ID)
		} else {
			_, err = admin.UpdateNetwork(t.Context(), n.ID, api.NetworkInput{MemberIDs: &[]string{bobU.ID}})
		}
		if err != nil {
			t.Fatalf("delete=%v: %v", del, err)
		}
		if del {
			continue // its requests are gone with it
		}
		if g := adminRequest(t, admin, grant.ID); g.Status != api.StatusRevoked {
			t.Fatalf("the grant: %s", g.Status)
		}
		// Denied as the member's own (when the loop meets it first) or
		// expired with its grant: ended either way.
		if e := adminRequest(t, admin, ext.ID); e.Status != api.StatusExpired && e.Status != api.StatusDenied {
			t.Fatalf("the extension: %s", e.Status)
		}
	}
}
