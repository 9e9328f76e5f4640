package main

import (
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"gatepass.dev/backend/backendtest"
	"gatepass.dev/desktop/internal/agent"
	"gatepass.dev/shared/api"
	"gatepass.dev/shared/wgkey"
)

// otherDevice registers another device of the e2e user, from a client of
// its own.
func (h *e2e) otherDevice(name string) api.Device {
	h.t.Helper()
	key, err := wgkey.NewPrivate()
	if err != nil {
		h.t.Fatal(err)
	}
	dev, err := h.srv.Login(h.t, e2eUser, backendtest.UserPassword).RegisterDevice(h.t.Context(), name, key.Public().String())
	if err != nil {
		h.t.Fatalf("register %s: %v", name, err)
	}
	return dev
}

// TestAppDevices: the bound methods list the devices and remove them,
// with errors in words for the user.
func TestAppDevices(t *testing.T) {
	h := newStack(t, nil)
	if _, err := h.app.Devices(); err == nil || !strings.Contains(err.Error(), "Not signed in") {
		t.Errorf("Devices while signed out: %v", err)
	}
	if _, err := h.app.Login(h.srv.URL, e2eUser, backendtest.UserPassword); err != nil {
		t.Fatal(err)
	}
	other := h.otherDevice("desktop")
	list, err := h.app.Devices()
	if err != nil {
		t.Fatal(err)
	}
	cur, ok := list.Current()
	if len(list.Devices) != 2 || !ok || cur.Name != "laptop" {
		t.Fatalf("devices: %+v", list.Devices)
	}
	if _, err := h.app.RemoveDevice("no-such-device"); err == nil || err.Error() != `You have no device named "no-such-device" (nor with that id)` {
		t.Errorf("removing an unknown device: %v", err)
	}
	st, err := h.app.RemoveDevice(other.ID)
	if err != nil || st.Status == nil || !st.Status.SignedIn {
		t.Fatalf("remove the other device: %+v %v", st.Status, err)
	}
	st, err = h.app.RemoveDevice(cur.ID)
	if err != nil || st.Status == nil || st.Status.SignedIn || st.Status.Message != agent.MessageDeviceRemoved {
		t.Fatalf("remove this device: %+v %v", st.Status, err)
	}
}

// TestE2EDevices: Settings lists the devices (this one marked, a hostile
// name as text); removing another one takes it off the list; removing this
// one, after a confirm that says so, leads to the sign-in with the reason;
// signing in again works (with a new key).
func TestE2EDevices(t *testing.T) {
	h := newE2E(t)
	h.signIn()
	this := h.status().Device
	hostile := "desktop " + xss
	other := h.otherDevice(hostile)
	devSel := func(id string) string { return fmt.Sprintf(`[data-testid="devices"] [data-device=%q]`, id) }

	h.run("the devices in settings",
		chromedp.Click(`[data-testid="open-settings"]`, chromedp.ByQuery),
		chromedp.WaitVisible(devSel(this.ID)+` [data-testid="this-device"]`, chromedp.ByQuery),
		chromedp.WaitVisible(devSel(other.ID), chromedp.ByQuery),
	)
	h.shot("devices")
	if got := h.text(devSel(this.ID) + ` [data-testid="device-name"]`); got != "laptop" {
		t.Errorf("this device's name %q", got)
	}
	if got := h.text(devSel(other.ID) + ` [data-testid="device-name"]`); got != hostile {
		t.Errorf("the other device's name %q, want %q", got, hostile)
	}
	if got := h.text(devSel(other.ID) + ` [data-testid="device-meta"]`); !strings.HasSuffix(got, "Last seen never") {
		t.Errorf("the other device's meta %q", got)
	}
	var marked int
	h.eval(`document.querySelectorAll('[data-testid="this-device"]').length`, &marked)
	if marked != 1 {
		t.Errorf("%d devices marked as this device", marked)
	}
	h.noMarkupInjected()

	// Another device: confirm, removed, off the list; this one stays signed in.
	h.run("remove the other device",
		chromedp.Click(devSel(other.ID)+` [data-testid="remove"]`, chromedp.ByQuery),
		chromedp.WaitVisible(devSel(other.ID)+` [data-testid="confirm-remove"]`, chromedp.ByQuery),
		chromedp.Click(devSel(other.ID)+` [data-testid="confirm-remove"]`, chromedp.ByQuery),
		chromedp.WaitNotPresent(devSel(other.ID), chromedp.ByQuery),
	)
	if list, err := h.lc.Devices(t.Context()); err != nil || len(list.Devices) != 1 || list.Devices[0].ID != this.ID {
		t.Fatalf("devices after removing the other: %+v %v", list.Devices, err)
	}
	h.noMarkupInjected()

	// This device: the confirm says it signs out; then the sign-in shows why.
	h.run("remove this device: confirm",
		chromedp.Click(devSel(this.ID)+` [data-testid="remove"]`, chromedp.ByQuery),
		chromedp.WaitVisible(devSel(this.ID)+` [data-testid="confirm-text"]`, chromedp.ByQuery),
	)
	if got := h.text(devSel(this.ID) + ` [data-testid="confirm-text"]`); !strings.Contains(got, "signed out of Gatepass on this computer") {
		t.Errorf("confirm text %q", got)
	}
	h.shot("devices-confirm-this")
	h.run("remove this device",
		chromedp.Click(devSel(this.ID)+` [data-testid="confirm-remove"]`, chromedp.ByQuery),
		chromedp.WaitVisible(`[data-testid="signin"]`, chromedp.ByQuery),
	)
	h.shot("devices-removed-signin")
	if got := h.text(`[data-testid="signin"] [role="status"]`); got != agent.MessageDeviceRemoved {
		t.Errorf("sign-in message %q", got)
	}
	if st := h.status(); st.SignedIn {
		t.Fatal("the agent is still signed in")
	}

	// Signing in again registers this computer with a new key.
	h.signIn()
	if st := h.status(); st.Device == nil || st.Device.ID == this.ID || st.Device.PublicKey == this.PublicKey {
		t.Errorf("device after signing in again: %+v, before %+v", st.Device, this)
	}
}
