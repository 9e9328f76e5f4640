package web_test

import (
	"net/url"
	"strings"
	"testing"

	"gatepass.dev/backend/backendtest"
	"gatepass.dev/shared/wgkey"
)

// TestUserDevicesPage: an admin sees a user's devices on the user's page
// and revokes one; the device leaves the user's list and its token is
// signed out. Hostile device names are shown as text.
func TestUserDevicesPage(t *testing.T) {
	srv := demoServer(t)
	user := contractor(t, srv)
	k1, _ := wgkey.NewPrivate()
	k2, _ := wgkey.NewPrivate()
	laptop, err := user.RegisterDevice(t.Context(), `<script>alert(1)</script>`, k1.Public().String())
	if err != nil {
		t.Fatal(err)
	}
	other := contractor(t, srv)
	desktop, err := other.RegisterDevice(t.Context(), "desktop", k2.Public().String())
	if err != nil {
		t.Fatal(err)
	}
	me, _ := user.Me(t.Context())
	c := newWebClient(t, srv)
	c.signIn(backendtest.AdminEmail, backendtest.AdminPassword)
	if p := c.get("/admin/users"); !strings.Contains(p.Body, `href="/admin/users/`+me.ID+`"`) {
		t.Fatal("the users page does not link to the user's page")
	}
	p := c.get("/admin/users/" + me.ID)
	if p.Status != 200 || !strings.Contains(p.Body, "desktop") || !strings.Contains(p.Body, strings.ReplaceAll(k2.Public().String(), "+", "&#43;")) {
		t.Fatalf("the user page: %d\n%s", p.Status, p.Body)
	}
	if strings.Contains(p.Body, "<script>alert(1)") || !strings.Contains(p.Body, "&lt;script&gt;alert(1)&lt;/script&gt;") {
		t.Fatal("a device name is not escaped")
	}
	kind, text := c.flash(c.post("/admin/devices/"+desktop.ID+"/remove", url.Values{"next": {"/admin/users/" + me.ID}}))
	if kind != "ok" || !strings.Contains(text, "Revoked the device desktop") {
		t.Fatalf("revoke: %s %q", kind, text)
	}
	devs, err := user.Devices(t.Context())
	if err != nil || len(devs) != 1 || devs[0].ID != laptop.ID {
		t.Fatalf("devices after the revocation: %+v %v", devs, err)
	}
	if _, err := other.Me(t.Context()); err == nil {
		t.Fatal("the revoked device's token still works")
	}
	if kind, _ := c.flash(c.post("/admin/devices/"+desktop.ID+"/remove", nil)); kind != "error" {
		t.Fatal("revoking twice did not say so")
	}
	if p := c.get("/admin/users/usr_nobody"); p.Status != 404 {
		t.Fatalf("an unknown user's page: %d", p.Status)
	}
}
