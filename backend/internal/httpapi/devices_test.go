package httpapi_test

import (
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"net/http"
	"testing"
	"time"

	"gatepass.dev/backend/backendtest"
	"gatepass.dev/shared/api"
	"gatepass.dev/shared/client"
)

// TestDeviceLimit: a user may register at most the device limit (a
// setting, default 5); one more is a 409 that says how to make room, and
// removing one makes room.
func TestDeviceLimit(t *testing.T) {
	srv := backendtest.NewServer(t)
	admin := srv.Admin(t)
	alice, _ := srv.NewUser(t, "alice@example.com", api.RoleUser)
	var devs []api.Device
	for i := range 5 {
		d, err := alice.RegisterDevice(t.Context(), fmt.Sprintf("junk-%d", i), newDeviceKey(t))
		if err != nil {
			t.Fatalf("device %d: %v", i+1, err)
		}
		devs = append(devs, d)
	}
	_, err := alice.RegisterDevice(t.Context(), "one too many", newDeviceKey(t))
	backendtest.WantStatus(t, "the sixth device", err, http.StatusConflict, "5 devices registered, the most allowed: remove one")
	if err := alice.RemoveDevice(t.Context(), devs[0].ID); err != nil {
		t.Fatal(err)
	}
	// Removing the device this token registered signs it out.
	alice = srv.Login(t, "alice@example.com", backendtest.UserPassword)
	if _, err := alice.RegisterDevice(t.Context(), "new laptop", newDeviceKey(t)); err != nil {
		t.Fatalf("after removing one: %v", err)
	}

	// The limit is a setting.
	two := 2
	st, err := admin.UpdateSettings(t.Context(), api.SettingsInput{MaxDevicesPerUser: &two})
	if err != nil || st.MaxDevicesPerUser != 2 {
		t.Fatalf("set the limit: %+v %v", st, err)
	}
	bob, _ := srv.NewUser(t, "bob@example.com", api.RoleUser)
	for range 2 {
		if _, err := bob.RegisterDevice(t.Context(), "laptop", newDeviceKey(t)); err != nil {
			t.Fatal(err)
		}
	}
	_, err = bob.RegisterDevice(t.Context(), "third", newDeviceKey(t))
	backendtest.WantStatus(t, "over a lowered limit", err, http.StatusConflict, "2 devices")
	zero := 0
	_, err = admin.UpdateSettings(t.Context(), api.SettingsInput{MaxDevicesPerUser: &zero})
	backendtest.WantStatus(t, "a limit of 0", err, http.StatusBadRequest, "max_devices_per_user")
}

// TestFullRangeDoesNotBlockOtherNetworks: a network whose address range is
// full does not stop registrations (the device gets addresses elsewhere);
// its tunnel config says it is full; a removed device's address is free
// again.
func TestFullRangeDoesNotBlockOtherNetworks(t *testing.T) {
	srv := backendtest.NewServer(t)
	admin := srv.Admin(t)
	alice, _ := srv.NewUser(t, "alice@example.com", api.RoleUser)
	bob, _ := srv.NewUser(t, "bob@example.com", api.RoleUser)
	small := srv.NewNetwork(t, "lab", func(in *api.NetworkInput) { in.CIDR = new("10.90.0.0/29"); in.JITEnabled = new(false) })
	wide := srv.NewNetwork(t, "office-network", func(in *api.NetworkInput) { in.JITEnabled = new(false) })

	// A /29 has five addresses for devices (.2–.6): alice fills them.
	var filled []api.Device
	for i := range 5 {
		d, err := alice.RegisterDevice(t.Context(), fmt.Sprintf("junk-%d", i), newDeviceKey(t))
		if err != nil {
			t.Fatal(err)
		}
		if d.Addresses[small.ID] == "" {
			t.Fatalf("device %d got no address in the small network: %v", i, d.Addresses)
		}
		filled = append(filled, d)
	}
	d, err := bob.RegisterDevice(t.Context(), "laptop", newDeviceKey(t))
	if err != nil {
		t.Fatalf("a full network stopped a registration: %v", err)
	}
	if _, ok := d.Addresses[small.ID]; ok || d.Addresses[wide.ID] == "" {
		t.Fatalf("bob's addresses %v: want one in office-network only", d.Addresses)
	}
	if _, err := bob.Tunnel(t.Context(), wide.ID, d.ID); err != nil {
		t.Fatalf("the tunnel of the network with room: %v", err)
	}
	_, err = bob.Tunnel(t.Context(), small.ID, d.ID)
	backendtest.WantStatus(t, "the tunnel of the full network", err, http.StatusConflict, "is full")

	// An admin removes one of alice's junk devices: its address is free.
	if err := admin.AdminRemoveDevice(t.Context(), filled[2].ID); err != nil {
		t.Fatal(err)
	}
	cfg, err := bob.Tunnel(t.Context(), small.ID, d.ID)
	if err != nil || cfg.Address != filled[2].Addresses[small.ID] {
		t.Fatalf("after the removal bob got %q (%v), want the freed %s", cfg.Address, err, filled[2].Addresses[small.ID])
	}
}

// lowOrderPoints are Curve25519 public keys of small order (0, 1, the
// points of order 8, p-1, p, p+1): the shared secret with any of them is
// predictable.
var lowOrderPoints = []string{
	"0000000000000000000000000000000000000000000000000000000000000000",
	"0100000000000000000000000000000000000000000000000000000000000000",
	"e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800",
	"5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157",
	"ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
	"edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
	"eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
}

// TestDeviceKeyRefusals: a gateway's own key, another device's key, a
// removed device's key and invalid curve points are each a 400 that says
// why.
func TestDeviceKeyRefusals(t *testing.T) {
	srv := backendtest.NewServer(t)
	alice, _ := srv.NewUser(t, "alice@example.com", api.RoleUser)
	bob, _ := srv.NewUser(t, "bob@example.com", api.RoleUser)
	n := srv.NewNetwork(t, "office-network", func(in *api.NetworkInput) { in.JITEnabled = new(false) })
	d, err := alice.RegisterDevice(t.Context(), "laptop", newDeviceKey(t))
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := alice.Tunnel(t.Context(), n.ID, d.ID)
	if err != nil {
		t.Fatal(err)
	}
	_, err = bob.RegisterDevice(t.Context(), "x", cfg.GatewayPublicKey)
	backendtest.WantStatus(t, "a gateway's key", err, 400, "gateway's public key")
	_, err = bob.RegisterDevice(t.Context(), "x", d.PublicKey)
	backendtest.WantStatus(t, "another device's key", err, 400, "another device")
	for _, h := range lowOrderPoints {
		b, _ := hex.DecodeString(h)
		_, err = bob.RegisterDevice(t.Context(), "x", base64.StdEncoding.EncodeToString(b))
		backendtest.WantStatus(t, "low-order point "+h, err, 400, "not a usable Curve25519 key")
	}
	if devs, _ := bob.Devices(t.Context()); len(devs) != 0 {
		t.Fatalf("a refused key was stored: %+v", devs)
	}
}

// TestDeviceList: users list their own devices (this device marked, last
// seen when it opened its stream or fetched a tunnel), and remove only
// their own; admins list and remove anyone's.
func TestDeviceList(t *testing.T) {
	srv := backendtest.NewServer(t)
	admin := srv.Admin(t)
	alice, aliceU := srv.NewUser(t, "alice@example.com", api.RoleUser)
	bob, _ := srv.NewUser(t, "bob@example.com", api.RoleUser)
	n := srv.NewNetwork(t, "office-network", func(in *api.NetworkInput) { in.JITEnabled = new(false) })
	laptop, err := alice.RegisterDevice(t.Context(), "laptop", newDeviceKey(t))
	if err != nil {
		t.Fatal(err)
	}
	other := srv.Login(t, "alice@example.com", backendtest.UserPassword)
	desktop, err := other.RegisterDevice(t.Context(), "desktop", newDeviceKey(t))
	if err != nil {
		t.Fatal(err)
	}
	srv.Advance(time.Minute)
	if _, err := alice.Tunnel(t.Context(), n.ID, laptop.ID); err != nil {
		t.Fatal(err)
	}
	devs, err := alice.Devices(t.Context())
	if err != nil || len(devs) != 2 {
		t.Fatalf("alice's devices: %+v %v", devs, err)
	}
	for _, d := range devs {
		switch d.ID {
		case laptop.ID:
			if !d.Current || d.LastSeenAt == nil || !d.LastSeenAt.Equal(srv.Now()) {
				t.Errorf("the laptop, seen now through this token: %+v", d)
			}
		case desktop.ID:
			if d.Current || d.LastSeenAt != nil {
				t.Errorf("the desktop, never seen, another token's: %+v", d)
			}
		}
	}
	// Bob cannot remove or even see alice's device.
	err = bob.RemoveDevice(t.Context(), laptop.ID)
	backendtest.WantStatus(t, "removing another user's device", err, 404, "no device")
	listed, err := admin.UserDevices(t.Context(), aliceU.ID)
	if err != nil || len(listed) != 2 {
		t.Fatalf("the admin's list: %+v %v", listed, err)
	}
	if err := admin.AdminRemoveDevice(t.Context(), desktop.ID); err != nil {
		t.Fatal(err)
	}
	if devs, _ := alice.Devices(t.Context()); len(devs) != 1 || devs[0].ID != laptop.ID {
		t.Fatalf("after the admin removed the desktop: %+v", devs)
	}
	if _, err := other.Devices(t.Context()); client.StatusOf(err) != 401 {
		t.Fatalf("the desktop's token still works: %v", err)
	}
	audit, err := admin.Audit(t.Context(), map[string][]string{"action": {"device.remove"}})
	if err != nil || len(audit.Entries) != 1 || audit.Entries[0].ActorEmail != backendtest.AdminEmail || audit.Entries[0].Details["user"] != "alice@example.com" {
		t.Fatalf("the removal's audit row: %+v %v", audit.Entries, err)
	}
}
