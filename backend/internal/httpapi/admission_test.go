package httpapi_test

import (
	"context"
	"database/sql"
	"net/http"
	"strings"
	"testing"
	"time"

	"gatepass.dev/backend/backendtest"
	"gatepass.dev/backend/internal/store"
	"gatepass.dev/shared/api"
	"gatepass.dev/shared/client"
)

// onGateway reports whether a network's WireGuard device has a peer with
// this key: the device's own state (IpcGet), not the reconciler's books.
func onGateway(srv *backendtest.Server, networkID, key string) bool {
	_, ok := srv.Gateway.DevicePeers(networkID)[key]
	return ok
}

// grantWithDevice gives user a device and an approved grant on the network.
func grantWithDevice(t *testing.T, srv *backendtest.Server, admin, user *client.Client, networkID string) (api.Device, api.Request) {
	t.Helper()
	dev, err := user.RegisterDevice(t.Context(), "laptop", newDeviceKey(t))
	if err != nil {
		t.Fatal(err)
	}
	req, err := user.Request(t.Context(), networkID, "maintenance window", 0)
	if err != nil {
		t.Fatal(err)
	}
	if req, err = admin.Approve(t.Context(), req.ID, time.Hour); err != nil {
		t.Fatal(err)
	}
	if !onGateway(srv, networkID, dev.PublicKey) {
		t.Fatal("the granted device is not on the gateway")
	}
	return dev, req
}

// TestRemovedMemberLosesGrantAndPeer: removing a member from a network
// revokes their grant with a reason they see, audits and mails it, and
// takes the peer off the gateway when the change returns; the tunnel
// config is refused with the reason.
func TestRemovedMemberLosesGrantAndPeer(t *testing.T) {
	srv := backendtest.NewServer(t)
	admin := srv.Admin(t)
	alice, aliceU := srv.NewUser(t, "alice@example.com", api.RoleUser)
	_, bobU := srv.NewUser(t, "bob@example.com", api.RoleUser)
	members := []string{aliceU.ID, bobU.ID}
	n := srv.NewNetwork(t, "office-network", func(in *api.NetworkInput) { in.MemberIDs = &members })
	dev, req := grantWithDevice(t, srv, admin, alice, n.ID)

	only := []string{bobU.ID}
	if _, err := admin.UpdateNetwork(t.Context(), n.ID, api.NetworkInput{MemberIDs: &only}); err != nil {
		t.Fatal(err)
	}
	if onGateway(srv, n.ID, dev.PublicKey) {
		t.Fatal("a removed member's peer is still on the gateway after the change returned")
	}
	got, err := admin.AdminRequest(t.Context(), req.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != api.StatusRevoked || got.Note != "removed from office-network" {
		t.Fatalf("the grant after the removal: %s note %q", got.Status, got.Note)
	}
	m := srv.SMTP.WaitFor(t, backendtest.MailTo("alice@example.com", "revoked"), 10*time.Second)
	if !strings.Contains(m.Text(), "removed from office-network") {
		t.Fatalf("the revocation email does not say why:\n%s", m.Text())
	}
	audit, err := admin.Audit(t.Context(), map[string][]string{"target": {req.ID}, "action": {"request.revoke"}})
	if err != nil || len(audit.Entries) != 1 || audit.Entries[0].Details["cause"] != "not_member" {
		t.Fatalf("audit of the revocation: %+v %v", audit.Entries, err)
	}
	_, err = alice.Tunnel(t.Context(), n.ID, dev.ID)
	backendtest.WantStatus(t, "tunnel config of a removed member", err, 403, "not a member")
}

// TestAllUsersToMemberListEndsOthers: switching a network from all users
// to a member list ends the grants and pending requests of everyone else.
func TestAllUsersToMemberListEndsOthers(t *testing.T) {
	srv := backendtest.NewServer(t)
	admin := srv.Admin(t)
	alice, _ := srv.NewUser(t, "alice@example.com", api.RoleUser)
	carol, _ := srv.NewUser(t, "carol@example.com", api.RoleUser)
	_, bobU := srv.NewUser(t, "bob@example.com", api.RoleUser)
	n := srv.NewNetwork(t, "staging-internal")
	dev, grant := grantWithDevice(t, srv, admin, alice, n.ID)
	pending, err := carol.Request(t.Context(), n.ID, "deploy", 0)
	if err != nil {
		t.Fatal(err)
	}

	only := []string{bobU.ID}
	if _, err := admin.UpdateNetwork(t.Context(), n.ID, api.NetworkInput{MemberIDs: &only}); err != nil {
		t.Fatal(err)
	}
	if onGateway(srv, n.ID, dev.PublicKey) {
		t.Fatal("the peer stayed")
	}
	for _, c := range []struct {
		id   string
		want api.RequestStatus
	}{{grant.ID, api.StatusRevoked}, {pending.ID, api.StatusDenied}} {
		r, err := admin.AdminRequest(t.Context(), c.id)
		if err != nil || r.Status != c.want || r.Note != "removed from staging-internal" {
			t.Fatalf("request %s: %+v %v, want %s with the reason", c.id, r, err, c.want)
		}
	}
	srv.SMTP.WaitFor(t, backendtest.MailTo("carol@example.com", "denied"), 10*time.Second)
}

// TestApproveNonMemberRefused: a pending request of someone who is not (or
// no longer) a member cannot be approved: 409 with a clear message, and no
// peer is added.
func TestApproveNonMemberRefused(t *testing.T) {
	srv := backendtest.NewServer(t)
	admin := srv.Admin(t)
	alice, aliceU := srv.NewUser(t, "alice@example.com", api.RoleUser)
	_, bobU := srv.NewUser(t, "bob@example.com", api.RoleUser)
	only := []string{bobU.ID}
	n := srv.NewNetwork(t, "office-network", func(in *api.NetworkInput) { in.MemberIDs = &only })
	dev, err := alice.RegisterDevice(t.Context(), "laptop", newDeviceKey(t))
	if err != nil {
		t.Fatal(err)
	}
	// A request that slipped in before the membership changed (written
	// directly: through the API the change would have ended it).
	id := store.NewID("req")
	err = srv.DB.Tx(context.Background(), func(tx *sql.Tx) error {
		return store.InsertRequest(t.Context(), tx, store.Request{ID: id, NetworkID: n.ID, UserID: aliceU.ID,
			Status: api.StatusPending, Reason: "print the Q3 report", RequestedAt: srv.Now()})
	})
	if err != nil {
		t.Fatal(err)
	}
	_, err = admin.Approve(t.Context(), id, time.Hour)
	backendtest.WantStatus(t, "approving a non-member", err, http.StatusConflict, "alice@example.com is not a member of network office-network")
	if r, _ := admin.AdminRequest(t.Context(), id); r.Status != api.StatusPending {
		t.Fatalf("the refused approval changed the request: %s", r.Status)
	}
	if onGateway(srv, n.ID, dev.PublicKey) {
		t.Fatal("a non-member's device is on the gateway")
	}
}

// TestDeletedNetworkTellsItsUsers: deleting a network ends its grants with
// an email that says so.
func TestDeletedNetworkTellsItsUsers(t *testing.T) {
	srv := backendtest.NewServer(t)
	admin := srv.Admin(t)
	alice, _ := srv.NewUser(t, "alice@example.com", api.RoleUser)
	n := srv.NewNetwork(t, "zero-path")
	grantWithDevice(t, srv, admin, alice, n.ID)
	if err := admin.DeleteNetwork(t.Context(), n.ID); err != nil {
		t.Fatal(err)
	}
	m := srv.SMTP.WaitFor(t, backendtest.MailTo("alice@example.com", "revoked"), 10*time.Second)
	if !strings.Contains(m.Text(), "network zero-path was deleted") {
		t.Fatalf("the email does not say the network was deleted:\n%s", m.Text())
	}
}

// TestRoleChangeDropsStandingPeer: an admin has standing access to a JIT
// network; made a user, their peer leaves at once (they need a grant now).
func TestRoleChangeDropsStandingPeer(t *testing.T) {
	srv := backendtest.NewServer(t)
	admin := srv.Admin(t)
	ops, opsU := srv.NewUser(t, "ops@example.com", api.RoleAdmin)
	n := srv.NewNetwork(t, "staging-internal")
	dev, err := ops.RegisterDevice(t.Context(), "laptop", newDeviceKey(t))
	if err != nil {
		t.Fatal(err)
	}
	if !onGateway(srv, n.ID, dev.PublicKey) {
		t.Fatal("an admin's device has no standing peer")
	}
	role := api.RoleUser
	if _, err := admin.UpdateUser(t.Context(), opsU.ID, api.UserPatch{Role: &role}); err != nil {
		t.Fatal(err)
	}
	if onGateway(srv, n.ID, dev.PublicKey) {
		t.Fatal("a former admin's standing peer stayed")
	}
	_, err = ops.Tunnel(t.Context(), n.ID, dev.ID)
	backendtest.WantStatus(t, "tunnel config of a former admin", err, 403, "no valid grant")
}

// TestRemovedDeviceLeavesTheGateway: removing a device takes its peer off
// at once, signs out the token it was registered with, frees its address,
// and its key cannot come back.
func TestRemovedDeviceLeavesTheGateway(t *testing.T) {
	srv := backendtest.NewServer(t)
	admin := srv.Admin(t)
	alice, _ := srv.NewUser(t, "alice@example.com", api.RoleUser)
	n := srv.NewNetwork(t, "office-network")
	dev, req := grantWithDevice(t, srv, admin, alice, n.ID)

	if err := alice.RemoveDevice(t.Context(), dev.ID); err != nil {
		t.Fatal(err)
	}
	if onGateway(srv, n.ID, dev.PublicKey) {
		t.Fatal("a removed device's peer stayed")
	}
	if _, err := alice.MyNetworks(t.Context()); client.StatusOf(err) != 401 {
		t.Fatalf("the token registered with the removed device still works: %v", err)
	}
	if r, _ := admin.AdminRequest(t.Context(), req.ID); r.Status != api.StatusApproved {
		t.Fatalf("removing a device ended the user's grant: %s", r.Status)
	}
	alice = srv.Login(t, "alice@example.com", backendtest.UserPassword)
	_, err := alice.RegisterDevice(t.Context(), "laptop", dev.PublicKey)
	backendtest.WantStatus(t, "re-registering a removed key", err, 400, "removed")
	again, err := alice.RegisterDevice(t.Context(), "laptop", newDeviceKey(t))
	if err != nil {
		t.Fatal(err)
	}
	if again.Addresses[n.ID] != dev.Addresses[n.ID] {
		t.Fatalf("the removed device's address %s is not free again: the new device got %s", dev.Addresses[n.ID], again.Addresses[n.ID])
	}
	if !onGateway(srv, n.ID, again.PublicKey) {
		t.Fatal("the new device of a valid grant is not on the gateway")
	}
}
