package web_test

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/csv"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"gatepass.dev/backend/backendtest"
	"gatepass.dev/shared/api"
)

var flashText = regexp.MustCompile(`(?s)<div class="flash flash-(ok|error)"[^>]*>(.*?)</div>`)

// flash follows a POST's redirect and returns the outcome message shown.
func (c *webClient) flash(p page_) (kind, text string) {
	c.t.Helper()
	if p.Status != http.StatusSeeOther {
		c.t.Fatalf("want a redirect after the POST, got %d\n%s", p.Status, p.Body)
	}
	next := c.get(p.Header.Get("Location"))
	m := flashText.FindStringSubmatch(next.Body)
	if m == nil {
		c.t.Fatalf("no outcome message on %s", p.Header.Get("Location"))
	}
	return m[1], m[2]
}

// TestGrantLimits: the server re-validates the duration: above the
// network's maximum, zero, or garbage is refused with a message and
// changes nothing; a custom duration within the maximum works.
func TestGrantLimits(t *testing.T) {
	srv := demoServer(t)
	req := pendingDemoRequest(t, srv)
	day := int64(86400)
	if _, err := srv.Admin(t).UpdateNetwork(t.Context(), req.NetworkID, api.NetworkInput{MaxDurationSeconds: &day, DefaultDurationSeconds: &day}); err != nil {
		t.Fatal(err)
	}
	c := newWebClient(t, srv)
	c.signIn(backendtest.AdminEmail, backendtest.AdminPassword)
	page := c.get("/admin/requests/" + req.ID)
	if strings.Contains(page.Body, `value="604800"`) || strings.Contains(page.Body, `value="2592000"`) {
		t.Error("presets above the network's maximum (1d) are offered")
	}
	if !regexp.MustCompile(`value="86400" checked`).MatchString(page.Body) {
		t.Error("the network's default (1d) is not preselected")
	}
	path := "/admin/requests/" + req.ID + "/grant"
	for _, f := range []url.Values{
		{"duration": {"604800"}},
		{"duration": {"custom"}, "custom_amount": {"25"}, "custom_unit": {"h"}},
		{"duration": {"custom"}, "custom_amount": {"0"}, "custom_unit": {"h"}},
		{"duration": {"custom"}, "custom_amount": {"1"}, "custom_unit": {"y"}},
		{"duration": {"-5"}},
		{"duration": {"abc"}},
		{},
	} {
		f.Set("next", "/admin/requests/"+req.ID)
		kind, text := c.flash(c.post(path, f))
		if kind != "error" || !strings.Contains(text, "Access was not granted") {
			t.Errorf("grant %v: %s %q", f, kind, text)
		}
		if got := requestStatus(t, srv, req.ID); got != api.StatusPending {
			t.Fatalf("grant %v changed the request to %s", f, got)
		}
	}
	kind, text := c.flash(c.post(path, url.Values{"duration": {"custom"}, "custom_amount": {"90"}, "custom_unit": {"m"}, "next": {"/admin/requests/" + req.ID}}))
	if kind != "ok" || !strings.Contains(text, "for 1h 30m") {
		t.Errorf("custom grant: %s %q", kind, text)
	}
	r, _ := srv.Admin(t).AdminRequest(t.Context(), req.ID)
	if r.Status != api.StatusApproved || r.GrantedSeconds != 5400 {
		t.Errorf("after the custom grant: %+v", r)
	}
	// Deciding twice: the second is told what happened.
	kind, text = c.flash(c.post("/admin/requests/"+req.ID+"/deny", url.Values{"next": {"/admin/requests"}}))
	if kind != "error" || !strings.Contains(text, "it is approved by admin@example.com") {
		t.Errorf("deny of an approved request: %s %q", kind, text)
	}
}

// TestInviteFlow: invite by email → the email's link opens the set-password
// page (opening it changes nothing) → the password is set → the user signs
// in; the link is then used up.
func TestInviteFlow(t *testing.T) {
	srv := demoServer(t)
	c := newWebClient(t, srv)
	c.signIn(backendtest.AdminEmail, backendtest.AdminPassword)
	kind, text := c.flash(c.post("/admin/users", url.Values{"email": {"Dana@Example.com"}, "name": {"Dana Lee"}, "role": {"user"}}))
	if kind != "ok" || !strings.Contains(text, "Invited dana@example.com") {
		t.Fatalf("invite: %s %q", kind, text)
	}
	if rows := srv.AuditRows(t, "user.invite"); len(rows) != 1 || rows[0].ActorEmail != backendtest.AdminEmail {
		t.Errorf("invite audit: %+v", rows)
	}
	m := srv.SMTP.WaitFor(t, backendtest.MailTo("dana@example.com", ""), 10*time.Second)
	link := regexp.MustCompile(`https?://\S+/invite\?token=[A-Za-z0-9_-]+`).FindString(m.Text())
	if !strings.HasPrefix(link, srv.URL+"/invite?token=") {
		t.Fatalf("no invitation link in:\n%s", m.Text())
	}
	path := strings.TrimPrefix(link, srv.URL)
	dana := newWebClient(t, srv)
	for range 2 { // opening it twice changes nothing
		p := dana.get(path)
		if p.Status != 200 || !strings.Contains(p.Body, "Set your password") || !strings.Contains(p.Body, "dana@example.com") {
			t.Fatalf("invitation page: %d", p.Status)
		}
	}
	token := strings.TrimPrefix(path, "/invite?token=")
	if p := dana.post("/invite", url.Values{"token": {token}, "password": {"short"}, "confirm": {"short"}}); p.Status != 400 || !strings.Contains(p.Body, "at least 10") {
		t.Errorf("short password: %d", p.Status)
	}
	if p := dana.post("/invite", url.Values{"token": {token}, "password": {"Walnut-Cobalt-Sierra-19"}, "confirm": {"Walnut-Cobalt-Sierra-20"}}); p.Status != 400 {
		t.Errorf("differing passwords: %d", p.Status)
	}
	if p := dana.post("/invite", url.Values{"token": {token}, "password": {"Walnut-Cobalt-Sierra-19"}, "confirm": {"Walnut-Cobalt-Sierra-19"}}); p.Status != 200 || !strings.Contains(p.Body, "Password set") {
		t.Fatalf("set password: %d\n%s", p.Status, p.Body)
	}
	srv.Login(t, "dana@example.com", "Walnut-Cobalt-Sierra-19")
	if p := newWebClient(t, srv).get(path); p.Status != 404 || !strings.Contains(p.Body, "invalid, used or expired") {
		t.Errorf("used invitation link: %d", p.Status)
	}
	// A bad invitation is shown next to the form.
	p := c.post("/admin/users", url.Values{"email": {"not-an-email"}, "role": {"user"}})
	if p.Status != 400 || !strings.Contains(p.Body, "is not an email address") || !strings.Contains(p.Body, `value="not-an-email"`) {
		t.Errorf("bad invite: %d", p.Status)
	}
}

// TestDisableUser: disabling ends the user's grants and pending requests
// (through the lifecycle: audit rows and emails) and signs them out.
func TestDisableUser(t *testing.T) {
	srv := demoServer(t)
	user := contractor(t, srv)
	c := newWebClient(t, srv)
	c.signIn(backendtest.AdminEmail, backendtest.AdminPassword)
	me, err := user.Me(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	kind, text := c.flash(c.post("/admin/users/"+me.ID, url.Values{"op": {"disable"}}))
	if kind != "ok" || !strings.Contains(text, "contractor@example.com is disabled") {
		t.Fatalf("disable: %s %q", kind, text)
	}
	if n := len(srv.AuditRows(t, "request.revoke")); n != 1 {
		t.Errorf("revoke rows: %d", n)
	}
	if n := len(srv.AuditRows(t, "request.deny")); n != 1 {
		t.Errorf("deny rows: %d", n)
	}
	srv.SMTP.WaitFor(t, backendtest.MailTo("contractor@example.com", "Access revoked: zero-path"), 10*time.Second)
	if _, err := user.MyNetworks(t.Context()); err == nil {
		t.Error("a disabled user's token still works")
	}
	// Admins cannot disable or demote themselves.
	admin, _ := srv.Admin(t).Me(t.Context())
	if kind, text := c.flash(c.post("/admin/users/"+admin.ID, url.Values{"op": {"disable"}})); kind != "error" || !strings.Contains(text, "cannot disable your own") {
		t.Errorf("self-disable: %s %q", kind, text)
	}
	if kind, _ := c.flash(c.post("/admin/users/"+me.ID, url.Values{"op": {"enable"}})); kind != "ok" {
		t.Error("enable failed")
	}
	if kind, text := c.flash(c.post("/admin/users/"+me.ID, url.Values{"op": {"role"}, "role": {"admin"}})); kind != "ok" || !strings.Contains(text, "is now admin") {
		t.Errorf("role change: %s %q", kind, text)
	}
}

// TestSettingsPage: settings are saved (audited without the password); the
// password is write-only; the test email reports the SMTP server's answer.
func TestSettingsPage(t *testing.T) {
	srv := demoServer(t)
	c := newWebClient(t, srv)
	c.signIn(backendtest.AdminEmail, backendtest.AdminPassword)
	cur := srv.Settings.Get()
	form := url.Values{"public_url": {srv.URL}, "smtp_host": {cur.SMTP.Host}, "smtp_port": {itoa(cur.SMTP.Port)}, "smtp_tls": {"none"},
		"smtp_from": {"Gatepass <gatepass@example.com>"}, "smtp_username": {"mailer"}, "smtp_password": {"s3cret-pa55"}}
	if kind, text := c.flash(c.post("/admin/settings", form)); kind != "ok" {
		t.Fatalf("save: %q", text)
	}
	if got := srv.Settings.Get().SMTP; got.Username != "mailer" || got.Password != "s3cret-pa55" {
		t.Errorf("saved SMTP: %+v", got)
	}
	page := c.get("/admin/settings")
	if strings.Contains(page.Body, "s3cret-pa55") || !strings.Contains(page.Body, "stored — leave empty to keep") {
		t.Error("the settings page shows the password, or not that one is stored")
	}
	form.Set("smtp_password", "")
	c.flash(c.post("/admin/settings", form))
	if srv.Settings.Get().SMTP.Password != "s3cret-pa55" {
		t.Error("an empty password field cleared the stored password")
	}
	for _, row := range srv.AuditRows(t, "settings.update") {
		if strings.Contains(row.Details["changed"]+row.Details["password"], "s3cret") {
			t.Errorf("the audit row holds the password: %+v", row)
		}
	}
	bad := url.Values{"public_url": {"ftp://x"}, "smtp_host": {"h"}, "smtp_from": {"x@example.com"}, "smtp_tls": {"none"}}
	if p := c.post("/admin/settings", bad); p.Status != 400 || !strings.Contains(p.Body, "public_url") {
		t.Errorf("bad settings: %d", p.Status)
	}
	// Remove the username (the test SMTP server takes no auth), then test.
	form.Set("smtp_username", "")
	form.Set("smtp_password_clear", "on")
	c.flash(c.post("/admin/settings", form))
	kind, text := c.flash(c.post("/admin/settings/test-email", url.Values{"to": {"ops@example.com"}}))
	if kind != "ok" || !strings.Contains(text, "sent to ops@example.com: the SMTP server accepted it") {
		t.Errorf("test email: %s %q", kind, text)
	}
	srv.SMTP.WaitFor(t, backendtest.MailTo("ops@example.com", "test"), 10*time.Second)
	// A dead SMTP server: the answer is the error.
	form.Set("smtp_port", "1")
	c.flash(c.post("/admin/settings", form))
	kind, text = c.flash(c.post("/admin/settings/test-email", url.Values{"to": {"ops@example.com"}}))
	if kind != "error" || !strings.Contains(text, "The test email failed") {
		t.Errorf("test email to a dead server: %s %q", kind, text)
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

// TestOutboxAndAudit: an undeliverable email is listed and retried; the
// audit log filters and exports CSV.
func TestOutboxAndAudit(t *testing.T) {
	srv := demoServer(t, backendtest.WithoutSMTP())
	c := newWebClient(t, srv)
	c.signIn(backendtest.AdminEmail, backendtest.AdminPassword)
	var id string
	backendtest.WaitFor(t, "an undeliverable email", func() bool {
		p := c.get("/admin/outbox?status=undeliverable")
		m := regexp.MustCompile(`action="/admin/outbox/(\d+)/retry"`).FindStringSubmatch(p.Body)
		if m != nil {
			id = m[1]
		}
		return m != nil
	})
	kind, text := c.flash(c.post("/admin/outbox/"+id+"/retry", url.Values{"next": {"/admin/outbox"}}))
	if kind != "ok" || !strings.Contains(text, "Queued the email") {
		t.Errorf("retry: %s %q", kind, text)
	}
	if n := len(srv.AuditRows(t, "outbox.retry")); n != 1 {
		t.Errorf("outbox.retry rows: %d", n)
	}
	if kind, _ := c.flash(c.post("/admin/outbox/999999/retry", url.Values{"next": {"/admin/outbox"}})); kind != "error" {
		t.Error("retry of no email")
	}

	p := c.get("/admin/audit?action=request.&q=staging")
	if p.Status != 200 || !strings.Contains(p.Body, "request.create") || strings.Contains(p.Body, "<code>outbox.retry</code>") {
		t.Errorf("filtered audit page: %d", p.Status)
	}
	exp := c.get("/admin/audit?action=request.&format=csv")
	if exp.Status != 200 || !strings.HasPrefix(exp.Header.Get("Content-Type"), "text/csv") || !strings.Contains(exp.Header.Get("Content-Disposition"), "attachment") {
		t.Fatalf("CSV export: %d %q", exp.Status, exp.Header.Get("Content-Type"))
	}
	rows, err := csv.NewReader(strings.NewReader(exp.Body)).ReadAll()
	if err != nil || len(rows) < 4 || rows[0][4] != "action" {
		t.Fatalf("CSV: %v %d rows", err, len(rows))
	}
	for _, r := range rows[1:] {
		if !strings.HasPrefix(r[4], "request.") {
			t.Errorf("CSV row outside the filter: %q", r)
		}
	}
	if p := c.get("/admin/audit?since=2026-11-01&until=2026-11-30"); p.Status != 200 || !strings.Contains(p.Body, "request.create") {
		t.Errorf("audit by dates: %d", p.Status)
	}
	if p := c.get("/admin/audit?since=yesterday"); p.Status != 200 || !strings.Contains(p.Body, "not an RFC 3339 time") {
		t.Errorf("audit with a bad date: %d", p.Status)
	}
}

// TestNetworkForms: create (validation errors shown at the form, values
// kept), edit (only the changed fields are audited), delete.
func TestNetworkForms(t *testing.T) {
	srv := demoServer(t)
	c := newWebClient(t, srv)
	c.signIn(backendtest.AdminEmail, backendtest.AdminPassword)
	c.get("/admin/networks/new")
	form := url.Values{"name": {"lab"}, "description": {"The lab"}, "cidr": {"10.300.0.0/24"}, "routes": {"192.0.2.0/24\n198.51.100.0/24"},
		"jit_enabled": {"on"}, "default_amount": {"2"}, "default_unit": {"h"}, "max_amount": {"1"}, "max_unit": {"d"}, "members": {"all"}}
	p := c.post("/admin/networks", form)
	if p.Status != 400 || !strings.Contains(p.Body, "is not an address range") || !strings.Contains(p.Body, `value="The lab"`) {
		t.Fatalf("bad range: %d", p.Status)
	}
	form.Set("cidr", "10.90.0.0/24")
	p = c.post("/admin/networks", form)
	kind, text := c.flash(p)
	if kind != "ok" || !strings.Contains(text, "Created the network lab (10.90.0.0/24)") {
		t.Fatalf("create: %s %q", kind, text)
	}
	n := networkByName(t, srv, "lab")
	if !n.JITEnabled || n.DefaultDurationSeconds != 7200 || n.MaxDurationSeconds != 86400 || len(n.Routes) != 2 || !n.AllUsers {
		t.Errorf("created: %+v", n)
	}
	edit := c.get("/admin/networks/" + n.ID + "/edit")
	if !strings.Contains(edit.Body, "cannot change") {
		t.Error("the edit form does not say the range is fixed")
	}
	form.Set("default_amount", "12")
	form.Set("max_amount", "6")
	form.Set("max_unit", "h")
	if p := c.post("/admin/networks/"+n.ID, form); p.Status != 400 || !strings.Contains(p.Body, "longer than the maximum") {
		t.Errorf("default above max: %d", p.Status)
	}
	form.Set("default_amount", "4")
	users, _ := srv.Admin(t).Users(t.Context())
	form.Set("members", "selected")
	form["member"] = []string{users[0].ID}
	if kind, _ := c.flash(c.post("/admin/networks/"+n.ID, form)); kind != "ok" {
		t.Fatal("edit failed")
	}
	n = networkByName(t, srv, "lab")
	if n.DefaultDurationSeconds != 4*3600 || n.MaxDurationSeconds != 6*3600 || n.AllUsers || len(n.MemberIDs) != 1 {
		t.Errorf("edited: %+v", n)
	}
	rows := srv.AuditRows(t, "network.update")
	if len(rows) != 1 || rows[0].Details["changed"] != "max_duration_seconds,default_duration_seconds,member_ids" {
		t.Errorf("update audit: %+v", rows)
	}
	page := c.get("/admin/networks/" + n.ID)
	if page.Status != 200 || !strings.Contains(page.Body, "Active grants") || !strings.Contains(page.Body, "192.0.2.0/24") {
		t.Errorf("network page: %d", page.Status)
	}
	if kind, text := c.flash(c.post("/admin/networks/"+n.ID+"/delete", nil)); kind != "ok" || !strings.Contains(text, "Deleted the network lab") {
		t.Errorf("delete: %s %q", kind, text)
	}
}

// TestRequestsFragment: the live region alone (what the page's script
// fetches on a change) and its version, which moves when a request does.
func TestRequestsFragment(t *testing.T) {
	srv := demoServer(t)
	c := newWebClient(t, srv)
	c.signIn(backendtest.AdminEmail, backendtest.AdminPassword)
	version := regexp.MustCompile(`id="requests-live"[^>]*data-version="([0-9a-f]+)"`)
	a := c.get("/admin/requests?status=pending&partial=1")
	if a.Status != 200 || strings.Contains(a.Body, "<html") || !strings.Contains(a.Body, `id="requests-live"`) {
		t.Fatalf("fragment: %d", a.Status)
	}
	b := c.get("/admin/requests?status=pending&partial=1")
	if version.FindStringSubmatch(a.Body)[1] != version.FindStringSubmatch(b.Body)[1] {
		t.Error("the version moved without a change")
	}
	req := pendingDemoRequest(t, srv)
	if _, err := srv.Admin(t).Deny(t.Context(), req.ID, "no"); err != nil {
		t.Fatal(err)
	}
	d := c.get("/admin/requests?status=pending&partial=1")
	if version.FindStringSubmatch(a.Body)[1] == version.FindStringSubmatch(d.Body)[1] {
		t.Error("the version did not move with a change")
	}
}

// TestNetworkPageConnectionState: an active grant's device on the gateway
// is listed with its connection state.
func TestNetworkPageConnectionState(t *testing.T) {
	srv := demoServer(t)
	user := contractor(t, srv)
	var key [32]byte
	if _, err := rand.Read(key[:]); err != nil {
		t.Fatal(err)
	}
	if _, err := user.RegisterDevice(t.Context(), "casey-laptop", base64.StdEncoding.EncodeToString(key[:])); err != nil {
		t.Fatal(err)
	}
	zero := networkByName(t, srv, "zero-path")
	c := newWebClient(t, srv)
	c.signIn(backendtest.AdminEmail, backendtest.AdminPassword)
	backendtest.WaitFor(t, "the device on the gateway", func() bool {
		p := c.get("/admin/networks/" + zero.ID)
		return strings.Contains(p.Body, "casey-laptop") && strings.Contains(p.Body, "not connected") && strings.Contains(p.Body, "10.79.0.")
	})
	if p := c.get("/admin/networks/" + networkByName(t, srv, "staging-internal").ID); strings.Contains(p.Body, "casey-laptop") {
		t.Error("a device without a grant is listed on staging-internal")
	}
}
