package agent_test

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gatepass.dev/backend/backendtest"
	"gatepass.dev/desktop/internal/agent"
	"gatepass.dev/desktop/internal/localapi"
	"gatepass.dev/shared/api"
	"gatepass.dev/shared/client"
	"gatepass.dev/shared/wgkey"
)

// otherDevice registers another device of the harness's user from a
// client of its own (its token is bound to that device) and returns it
// with its private key.
func (h *harness) otherDevice(name string) (api.Device, wgkey.Key) {
	h.t.Helper()
	key, err := wgkey.NewPrivate()
	if err != nil {
		h.t.Fatal(err)
	}
	c := h.srv.Login(h.t, userEmail, backendtest.UserPassword)
	dev, err := c.RegisterDevice(h.t.Context(), name, key.Public().String())
	if err != nil {
		h.t.Fatalf("register %s: %v", name, err)
	}
	return dev, key
}

// keyFile returns the agent's one private key file and its key.
func (h *harness) keyFile() (string, wgkey.Key) {
	h.t.Helper()
	keys, _ := filepath.Glob(filepath.Join(h.dir, "keys", "*.key"))
	if len(keys) != 1 {
		h.t.Fatalf("key files: %v", keys)
	}
	b, err := os.ReadFile(keys[0])
	if err != nil {
		h.t.Fatal(err)
	}
	k, err := wgkey.Parse(strings.TrimSpace(string(b)))
	if err != nil {
		h.t.Fatal(err)
	}
	return keys[0], k
}

func wantAPIError(t *testing.T, what string, err error, status int, field, msg string) {
	t.Helper()
	ae, ok := err.(*api.Error)
	if !ok || ae.Status != status || ae.Field != field || !strings.Contains(ae.Message, msg) {
		t.Fatalf("%s: %#v, want %d (field %q) saying %q", what, err, status, field, msg)
	}
}

func TestDevicesListMarksThisDevice(t *testing.T) {
	h := newHarness(t, hopt{})
	ctx := t.Context()
	other, _ := h.otherDevice("desktop")
	_, key := h.keyFile()
	list, err := h.lc.Devices(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(list.Devices) != 2 {
		t.Fatalf("devices: %+v", list.Devices)
	}
	cur, ok := list.Current()
	if !ok || cur.Name != "laptop" || cur.PublicKey != key.Public().String() || cur.ID != h.a.Status().Device.ID {
		t.Fatalf("this device: %+v (%v)", cur, ok)
	}
	for _, d := range list.Devices {
		if d.ID == other.ID && (d.Current || d.Name != "desktop") {
			t.Errorf("the other device: %+v", d)
		}
		if d.CreatedAt.IsZero() || d.Addresses[h.net.ID] == "" {
			t.Errorf("device %s lacks created_at or its address: %+v", d.Name, d)
		}
	}
	if !list.ServerTime.Equal(h.srv.Now()) {
		t.Errorf("server_time %v, want the server's %v", list.ServerTime, h.srv.Now())
	}
	// Signed out: no list.
	if _, err := h.lc.Logout(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := h.lc.Devices(ctx); client.StatusOf(err) != http.StatusUnauthorized {
		t.Errorf("devices while signed out: %v", err)
	}
	if _, err := h.lc.RemoveDevice(ctx, other.ID); client.StatusOf(err) != http.StatusUnauthorized {
		t.Errorf("remove while signed out: %v", err)
	}
}

func TestRemoveAnotherDevice(t *testing.T) {
	h := newHarness(t, hopt{})
	ctx := t.Context()
	h.requestAndApprove(4 * time.Hour)
	h.waitTunnel(netName, true)
	other, _ := h.otherDevice("desktop")
	twin1, _ := h.otherDevice("twin")
	twin2, _ := h.otherDevice("twin")

	// By name.
	st, err := h.lc.RemoveDevice(ctx, "desktop")
	if err != nil {
		t.Fatalf("remove desktop: %v", err)
	}
	if !st.SignedIn || st.Message != "" {
		t.Fatalf("removing another device changed this one: %+v", st)
	}
	// A name of two devices is refused, naming their ids; an unknown one is 404.
	_, err = h.lc.RemoveDevice(ctx, "twin")
	wantAPIError(t, "ambiguous name", err, http.StatusBadRequest, "device", "2 of your devices are named \"twin\"")
	if !strings.Contains(err.Error(), twin1.ID) || !strings.Contains(err.Error(), twin2.ID) {
		t.Errorf("the ambiguity names no ids: %v", err)
	}
	_, err = h.lc.RemoveDevice(ctx, "desktop")
	wantAPIError(t, "removed twice", err, http.StatusNotFound, "", `no device named "desktop"`)
	// By id.
	if _, err := h.lc.RemoveDevice(ctx, twin2.ID); err != nil {
		t.Fatalf("remove by id: %v", err)
	}
	list, err := h.lc.Devices(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, d := range list.Devices {
		names = append(names, d.Name)
		if d.ID == other.ID || d.ID == twin2.ID {
			t.Errorf("removed device still listed: %+v", d)
		}
	}
	if len(list.Devices) != 2 {
		t.Errorf("devices after the removals: %v", names)
	}
	// This machine is untouched: still signed in, its tunnel still works.
	if _, up := h.tb.IsUp(netName); !up {
		t.Fatal("this device's tunnel went down")
	}
	h.mustGet()
	// The removed device's key is never taken again.
	_, err = h.user.RegisterDevice(ctx, "desktop", other.PublicKey)
	wantAPIError(t, "a removed key", err, http.StatusBadRequest, "public_key", "removed")
}

func TestRemoveThisDeviceSignsOutAndSignInMakesANewKey(t *testing.T) {
	h := newHarness(t, hopt{})
	ctx := t.Context()
	h.requestAndApprove(4 * time.Hour)
	h.waitTunnel(netName, true)
	h.mustGet()
	keyPath, oldKey := h.keyFile()
	oldTok, err := (&agent.FileStore{Path: filepath.Join(h.dir, "credentials.json")}).Get(h.srv.URL, userEmail)
	if err != nil {
		t.Fatal(err)
	}
	this := h.a.Status().Device

	st, err := h.lc.RemoveDevice(ctx, "laptop")
	if err != nil {
		t.Fatalf("remove this device: %v", err)
	}
	if st.SignedIn || st.Message != agent.MessageDeviceRemoved || len(st.Networks) != 0 || st.Device != nil {
		t.Fatalf("after removing this device: %+v", st)
	}
	if _, up := h.tb.IsUp(netName); up {
		t.Fatal("tunnel up after this device was removed")
	}
	h.mustNotGet()
	if _, err := (&agent.FileStore{Path: filepath.Join(h.dir, "credentials.json")}).Get(h.srv.URL, userEmail); err == nil {
		t.Error("the revoked token is still stored")
	}
	if _, err := os.Stat(filepath.Join(h.dir, "session.json")); !os.IsNotExist(err) {
		t.Errorf("session.json kept: %v", err)
	}
	if _, err := client.New(h.srv.URL, client.WithToken(oldTok)).MyNetworks(ctx); client.StatusOf(err) != http.StatusUnauthorized {
		t.Errorf("the token of the removed device still works: %v", err)
	}
	backendtest.WaitFor(t, "the peer gone from the gateway", func() bool {
		peers, err := h.admin.Peers(ctx, h.net.ID)
		return err == nil && len(peers) == 0
	})
	// The message stays (a late 401 of the watch does not reword it).
	if st := h.a.Status(); st.Message != agent.MessageDeviceRemoved {
		t.Errorf("message %q", st.Message)
	}

	// Signing in again: the backend refuses the old key (a removed
	// device's), so the agent makes a new key pair and registers it.
	h.login()
	_, newKey := h.keyFile()
	if newKey == oldKey || newKey.Public() == oldKey.Public() {
		t.Fatal("the key was not replaced")
	}
	st = h.a.Status()
	if !st.SignedIn || st.Message != "" || st.Device == nil || st.Device.ID == this.ID || st.Device.PublicKey != newKey.Public().String() {
		t.Fatalf("after signing in again: %+v (device %+v)", st, st.Device)
	}
	list, err := h.lc.Devices(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if cur, ok := list.Current(); len(list.Devices) != 1 || !ok || cur.PublicKey != newKey.Public().String() {
		t.Fatalf("devices after signing in again: %+v", list.Devices)
	}
	_, err = h.user.RegisterDevice(ctx, "laptop", oldKey.Public().String())
	wantAPIError(t, "the old key", err, http.StatusBadRequest, "public_key", "removed")
	if b, _ := os.ReadFile(keyPath); strings.TrimSpace(string(b)) != newKey.String() {
		t.Error("the key file does not hold the new key")
	}
	// The grant outlived the device: the tunnel comes back with the new key.
	h.waitTunnel(netName, true)
	cfg, _ := h.tb.IsUp(netName)
	if cfg.PrivateKey != newKey {
		t.Error("the tunnel does not use the new key")
	}
	h.mustGet()
}

// A session resumed with a key the backend refuses (here another user's
// device's: a copied state dir) registers a new key pair on its own.
func TestResumedSessionReplacesARefusedKey(t *testing.T) {
	h := newHarness(t, hopt{})
	ctx := t.Context()
	h.requestAndApprove(4 * time.Hour)
	h.waitTunnel(netName, true)
	h.a.Close()
	h.waitTunnel(netName, false)

	stranger, _ := h.srv.NewUser(t, "bob@example.com", api.RoleUser)
	theirs, err := wgkey.NewPrivate()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := stranger.RegisterDevice(ctx, "bobs-pc", theirs.Public().String()); err != nil {
		t.Fatal(err)
	}
	keyPath, _ := h.keyFile()
	if err := os.WriteFile(keyPath, []byte(theirs.String()+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	// The saved session forgets its device, so the resumed one registers.
	sp := filepath.Join(h.dir, "session.json")
	b, err := os.ReadFile(sp)
	if err != nil {
		t.Fatal(err)
	}
	var ss map[string]any
	if err := json.Unmarshal(b, &ss); err != nil {
		t.Fatal(err)
	}
	ss["device_id"] = ""
	b, _ = json.Marshal(ss)
	if err := os.WriteFile(sp, b, 0o600); err != nil {
		t.Fatal(err)
	}

	a2 := h.newAgent(h.tb)
	st := waitStatus(t, a2, "resumed, registered and connected", func(st localapi.Status) bool {
		return st.SignedIn && st.Device != nil && st.Device.ID != "" && netOf(st, netName).Connected
	})
	_, key := h.keyFile()
	if key == theirs || st.Device.PublicKey != key.Public().String() {
		t.Fatalf("device %+v, key file %s, refused key %s", st.Device, key.Public(), theirs.Public())
	}
	cfg, _ := h.tb.IsUp(netName)
	if cfg.PrivateKey != key {
		t.Error("the tunnel does not use the new key")
	}
	h.mustGet()
}

func TestDeviceLimitRefusalIsShownAsIs(t *testing.T) {
	h := newHarness(t, hopt{noLogin: true})
	ctx := t.Context()
	one := 1
	if _, err := h.admin.UpdateSettings(ctx, api.SettingsInput{MaxDevicesPerUser: &one}); err != nil {
		t.Fatal(err)
	}
	h.otherDevice("desktop")
	_, err := h.lc.Login(ctx, h.srv.URL, userEmail, backendtest.UserPassword)
	wantAPIError(t, "sign-in over the device limit", err, http.StatusConflict, "", "gatepassd devices remove")
	if st := h.a.Status(); st.SignedIn {
		t.Fatalf("signed in over the device limit: %+v", st)
	}
	// No new key for a refusal that is not about the key.
	_, key := h.keyFile()
	_, err = h.lc.Login(ctx, h.srv.URL, userEmail, backendtest.UserPassword)
	wantAPIError(t, "second sign-in over the device limit", err, http.StatusConflict, "", "1 devices")
	if _, again := h.keyFile(); again != key {
		t.Error("a device-limit refusal replaced the key")
	}
	// With room again, the same key is registered.
	two := 2
	if _, err := h.admin.UpdateSettings(ctx, api.SettingsInput{MaxDevicesPerUser: &two}); err != nil {
		t.Fatal(err)
	}
	h.login()
	if st := h.a.Status(); st.Device == nil || st.Device.PublicKey != key.Public().String() {
		t.Errorf("device after room was made: %+v", st.Device)
	}
}

// A resumed session whose new key cannot be registered (the device limit)
// says why in the status.
func TestResumedSessionOverTheDeviceLimitSaysSo(t *testing.T) {
	h := newHarness(t, hopt{})
	ctx := t.Context()
	h.a.Close()
	keyPath, _ := h.keyFile()
	if err := os.Remove(keyPath); err != nil { // a new key is a new device
		t.Fatal(err)
	}
	one := 1
	if _, err := h.admin.UpdateSettings(ctx, api.SettingsInput{MaxDevicesPerUser: &one}); err != nil {
		t.Fatal(err)
	}
	a2 := h.newAgent(h.tb)
	st := waitStatus(t, a2, "the refusal shown", func(st localapi.Status) bool { return st.Message != "" })
	if !st.SignedIn || !strings.HasPrefix(st.Message, "This device could not be registered: ") ||
		!strings.Contains(st.Message, "you have 1 devices registered") || !strings.Contains(st.Message, "gatepassd devices remove") {
		t.Fatalf("status: signed in %v, message %q", st.SignedIn, st.Message)
	}
}
