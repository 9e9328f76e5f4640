package web_test

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"gatepass.dev/backend/backendtest"
)

// TestSettingsPageSMTPSafety: on the page, changing the SMTP host without
// entering a password removes the stored one and the message says so; the
// test email refuses to authenticate without TLS (and the server never sees
// the password) until sign-in without encryption is allowed, and while it
// is allowed the page warns.
func TestSettingsPageSMTPSafety(t *testing.T) {
	srv := backendtest.NewServer(t)
	c := newWebClient(t, srv)
	c.signIn(backendtest.AdminEmail, backendtest.AdminPassword)
	const password = "Page-Smtp-Secret-3"
	srv.SMTP.RequireAuth("mailer", password)
	cur := srv.Settings.Get().SMTP
	form := url.Values{"public_url": {srv.URL}, "smtp_host": {cur.Host}, "smtp_port": {itoa(cur.Port)}, "smtp_tls": {"none"},
		"smtp_from": {cur.From}, "smtp_username": {"mailer"}, "smtp_password": {password}}
	if kind, text := c.flash(c.post("/admin/settings", form)); kind != "ok" || strings.Contains(text, "removed") {
		t.Fatalf("save: %s %q", kind, text)
	}

	moved := url.Values{}
	for k, v := range form {
		moved[k] = v
	}
	moved.Set("smtp_host", "smtp.elsewhere.example.com")
	moved.Set("smtp_password", "")
	kind, text := c.flash(c.post("/admin/settings", moved))
	if kind != "ok" || !strings.Contains(text, "The stored SMTP password was removed because the SMTP server changed") {
		t.Errorf("host change: %s %q", kind, text)
	}
	if srv.Settings.Get().SMTP.Password != "" {
		t.Error("the host change kept the stored password")
	}

	// Back to the test server with its password: without TLS, refused.
	c.flash(c.post("/admin/settings", form))
	page := c.get("/admin/settings")
	if strings.Contains(page.Body, "insecure-auth-warning") {
		t.Error("the page warns although sign-in without encryption is off")
	}
	kind, text = c.flash(c.post("/admin/settings/test-email", url.Values{"to": {"ops@example.com"}}))
	if kind != "error" || !strings.Contains(text, "unencrypted") || !strings.Contains(text, "allow authentication without encryption") {
		t.Errorf("test email without TLS: %s %q", kind, text)
	}
	if tr := srv.SMTP.Transcript(); strings.Contains(tr, password) || strings.Contains(tr, "AUTH") {
		t.Fatalf("the SMTP server saw an authentication attempt:\n%s", tr)
	}

	form.Set("smtp_password", "")
	form.Set("smtp_allow_insecure_auth", "on")
	if kind, text := c.flash(c.post("/admin/settings", form)); kind != "ok" || strings.Contains(text, "removed") {
		t.Fatalf("allow: %s %q", kind, text)
	}
	page = c.get("/admin/settings")
	if !strings.Contains(page.Body, `id="insecure-auth-warning"`) || !strings.Contains(page.Body, "clear text") {
		t.Error("no warning while sign-in without encryption is allowed")
	}
	if kind, text := c.flash(c.post("/admin/settings/test-email", url.Values{"to": {"ops@example.com"}})); kind != "ok" {
		t.Errorf("test email with insecure auth allowed: %s %q", kind, text)
	}
	srv.SMTP.WaitFor(t, backendtest.MailTo("ops@example.com", "test"), 10*time.Second)

	form.Del("smtp_allow_insecure_auth")
	c.flash(c.post("/admin/settings", form))
	if srv.Settings.Get().SMTP.AllowInsecureAuth || strings.Contains(c.get("/admin/settings").Body, "insecure-auth-warning") {
		t.Error("unticking the box did not turn it off, or the warning stays")
	}
}
