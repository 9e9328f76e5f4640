package httpapi_test

import (
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"gatepass.dev/backend/backendtest"
	"gatepass.dev/shared/api"
)

func ptr[T any](v T) *T { return &v }

// TestGroupsAPI: admins create, list, rename, re-member and delete groups
// with the names scripts use; bad input is a 400 naming the field, a
// taken name a 409, an unknown group a 404, a non-admin a 403; each change
// is audited.
func TestGroupsAPI(t *testing.T) {
	srv := backendtest.NewServer(t)
	admin := srv.Admin(t)
	alice, aliceU := srv.NewUser(t, "alice@example.com", api.RoleUser)
	_, bobU := srv.NewUser(t, "bob@example.com", api.RoleUser)

	raw := backendtest.Do(t, "POST", srv.URL+"/api/v1/admin/groups", admin.Token(), "application/json",
		`{"name": "on-call", "member_ids": ["`+aliceU.ID+`", "`+bobU.ID+`", "`+aliceU.ID+`"]}`)
	if raw.Status != 201 || !strings.Contains(string(raw.Body), `"member_ids":["`) {
		t.Fatalf("create: %d %s", raw.Status, raw.Body)
	}
	groups, err := admin.Groups(t.Context())
	if err != nil || len(groups) != 1 || groups[0].Name != "on-call" || len(groups[0].MemberIDs) != 2 {
		t.Fatalf("list: %+v %v", groups, err)
	}
	g := groups[0]

	_, err = admin.CreateGroup(t.Context(), api.GroupInput{Name: ptr("on-call")})
	backendtest.WantStatus(t, "a taken name", err, 409, "exists")
	e := backendtest.WantStatus(t, "no name", func() error { _, err := admin.CreateGroup(t.Context(), api.GroupInput{}); return err }(), 400, "name")
	if e.Field != "name" {
		t.Errorf("field %q", e.Field)
	}
	_, err = admin.CreateGroup(t.Context(), api.GroupInput{Name: ptr("bad name <script>")})
	backendtest.WantStatus(t, "a bad name", err, 400, "name")
	_, err = admin.CreateGroup(t.Context(), api.GroupInput{Name: ptr("x"), MemberIDs: &[]string{"usr_nobody"}})
	backendtest.WantStatus(t, "an unknown member", err, 400, "member_ids", "usr_nobody")
	_, err = alice.Groups(t.Context())
	backendtest.WantStatus(t, "a user lists groups", err, 403)
	_, err = admin.UpdateGroup(t.Context(), "grp_nope", api.GroupInput{Name: ptr("y")})
	backendtest.WantStatus(t, "an unknown group", err, 404)

	g, err = admin.UpdateGroup(t.Context(), g.ID, api.GroupInput{Name: ptr("db-admins"), MemberIDs: &[]string{bobU.ID}})
	if err != nil || g.Name != "db-admins" || !slices.Equal(g.MemberIDs, []string{bobU.ID}) {
		t.Fatalf("update: %+v %v", g, err)
	}
	if err := admin.DeleteGroup(t.Context(), g.ID); err != nil {
		t.Fatal(err)
	}
	if groups, _ := admin.Groups(t.Context()); len(groups) != 0 {
		t.Fatalf("after delete: %+v", groups)
	}
	for _, action := range []string{"group.create", "group.update", "group.delete"} {
		if rows := backendtest.Audit(t, admin, url.Values{"action": {action}}); len(rows) != 1 {
			t.Errorf("%s: %d audit rows", action, len(rows))
		}
	}
}

// TestGroupMembership: a network's member groups make their users members
// (they can request, and a JIT-off network's gateway admits their device
// at once); removing a user from the group, removing the group from the
// network, or deleting the group ends their grants in the same change —
// revoked with the reason, mailed, the peer gone when the call returns.
func TestGroupMembership(t *testing.T) {
	srv := backendtest.NewServer(t)
	admin := srv.Admin(t)
	alice, aliceU := srv.NewUser(t, "alice@example.com", api.RoleUser)
	bob, bobU := srv.NewUser(t, "bob@example.com", api.RoleUser)
	g, err := admin.CreateGroup(t.Context(), api.GroupInput{Name: ptr("on-call"), MemberIDs: &[]string{aliceU.ID}})
	if err != nil {
		t.Fatal(err)
	}
	n := srv.NewNetwork(t, "office-network", func(in *api.NetworkInput) { in.MemberGroupIDs = &[]string{g.ID} })
	if n.AllUsers || !slices.Equal(n.MemberGroupIDs, []string{g.ID}) || len(n.MemberIDs) != 0 {
		t.Fatalf("a network with member groups only: %+v", n)
	}
	_, err = bob.Request(t.Context(), n.ID, "not in the group", 0)
	backendtest.WantStatus(t, "a request of a non-member", err, 403, "not a member")

	t.Run("removed from the group", func(t *testing.T) {
		dev, grant := grantWithDevice(t, srv, admin, alice, n.ID)
		if _, err := admin.UpdateGroup(t.Context(), g.ID, api.GroupInput{MemberIDs: &[]string{}}); err != nil {
			t.Fatal(err)
		}
		if onGateway(srv, n.ID, dev.PublicKey) {
			t.Fatal("the peer stayed after its user left the group")
		}
		if r := adminRequest(t, admin, grant.ID); r.Status != api.StatusRevoked || r.Note != "removed from office-network" {
			t.Fatalf("grant: %s %q", r.Status, r.Note)
		}
		srv.SMTP.WaitFor(t, backendtest.MailTo("alice@example.com", "revoked"), 10*time.Second)
		if _, err := admin.UpdateGroup(t.Context(), g.ID, api.GroupInput{MemberIDs: &[]string{aliceU.ID}}); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("group removed from the network", func(t *testing.T) {
		_, grant := grantWithDevice(t, srv, admin, alice, n.ID)
		if _, err := admin.UpdateNetwork(t.Context(), n.ID, api.NetworkInput{MemberGroupIDs: &[]string{}}); err != nil {
			t.Fatal(err)
		}
		if r := adminRequest(t, admin, grant.ID); r.Status != api.StatusRevoked {
			t.Fatalf("grant: %s", r.Status)
		}
		if _, err := admin.UpdateNetwork(t.Context(), n.ID, api.NetworkInput{MemberGroupIDs: &[]string{g.ID}}); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("group deleted", func(t *testing.T) {
		dev, grant := grantWithDevice(t, srv, admin, alice, n.ID)
		if err := admin.DeleteGroup(t.Context(), g.ID); err != nil {
			t.Fatal(err)
		}
		if onGateway(srv, n.ID, dev.PublicKey) {
			t.Fatal("the peer stayed after the group was deleted")
		}
		if r := adminRequest(t, admin, grant.ID); r.Status != api.StatusRevoked {
			t.Fatalf("grant: %s", r.Status)
		}
		if got, err := admin.UpdateNetwork(t.Context(), n.ID, api.NetworkInput{}); err != nil || len(got.MemberGroupIDs) != 0 {
			t.Fatalf("the network still names the deleted group: %+v %v", got.MemberGroupIDs, err)
		}
	})
	t.Run("standing access through a group", func(t *testing.T) {
		staff, err := admin.CreateGroup(t.Context(), api.GroupInput{Name: ptr("staff")})
		if err != nil {
			t.Fatal(err)
		}
		open := srv.NewNetwork(t, "lobby", func(in *api.NetworkInput) {
			in.JITEnabled = ptr(false)
			in.MemberGroupIDs = &[]string{staff.ID}
		})
		dev, err := bob.RegisterDevice(t.Context(), "laptop", newDeviceKey(t))
		if err != nil {
			t.Fatal(err)
		}
		if onGateway(srv, open.ID, dev.PublicKey) {
			t.Fatal("bob passes before he is in the group")
		}
		if _, err := admin.UpdateGroup(t.Context(), staff.ID, api.GroupInput{MemberIDs: &[]string{bobU.ID}}); err != nil {
			t.Fatal(err)
		}
		if !onGateway(srv, open.ID, dev.PublicKey) {
			t.Fatal("bob's device is not on the JIT-off network's gateway once he is in its member group")
		}
		if st := backendtest.NetworkState(t, bob, "lobby"); st.State != api.StateStanding {
			t.Fatalf("bob's state on lobby: %s", st.State)
		}
	})
}
