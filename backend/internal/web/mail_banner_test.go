package web_test

import (
	"regexp"
	"strings"
	"testing"

	"gatepass.dev/backend/backendtest"
	"gatepass.dev/backend/internal/outbox"
	"gatepass.dev/shared/api"
)

var mailBanner = regexp.MustCompile(`<div class="flash banner-mail"[^>]*>(.*?)</div>`)

// banner returns the text of the page's mail banner ("" when none).
func banner(p page_) string {
	m := mailBanner.FindStringSubmatch(p.Body)
	if m == nil {
		return ""
	}
	return m[1]
}

// TestMailBanner: while the SMTP server is down and mail waits, every
// admin page says so, with the reason and how many wait, and links the
// outbox; once the server is back and the mail went, the banner is gone.
func TestMailBanner(t *testing.T) {
	srv := backendtest.NewServer(t)
	admin := srv.Admin(t)
	alice, _ := srv.NewUser(t, "alice@example.com", api.RoleUser)
	bob, _ := srv.NewUser(t, "bob@example.com", api.RoleUser)
	net := srv.NewNetwork(t, "banner-net")
	c := newWebClient(t, srv)
	c.signIn(backendtest.AdminEmail, backendtest.AdminPassword)
	if b := banner(c.get("/admin/requests")); b != "" {
		t.Fatalf("banner while mail flows: %q", b)
	}

	srv.SMTP.Stop()
	if _, err := alice.Request(t.Context(), net.ID, "while mail is down", 0); err != nil {
		t.Fatal(err)
	}
	if _, err := bob.Request(t.Context(), net.ID, "while mail is down", 0); err != nil {
		t.Fatal(err)
	}
	backendtest.WaitFailedAttempts(t, admin, 2)
	want := "Email cannot be delivered: dial smtp " + srv.SMTP.Addr() + ": connection refused. 2 messages waiting. See <a href=\"/admin/outbox\">Outbox</a>."
	for _, path := range []string{"/admin/requests", "/admin/networks", "/admin/users", "/admin/outbox", "/admin/settings", "/admin/audit"} {
		if b := banner(c.get(path)); b != want {
			t.Errorf("banner of %s: %q, want %q", path, b, want)
		}
	}

	srv.SMTP.Restart()
	srv.Advance(outbox.ProbeInterval)
	backendtest.WaitFor(t, "the waiting mail to go", func() bool { return srv.SMTP.Count() == 2 })
	backendtest.WaitFor(t, "the banner to go", func() bool { return banner(c.get("/admin/requests")) == "" })
}

// TestMailBannerNotConfigured: without SMTP settings the banner says so.
func TestMailBannerNotConfigured(t *testing.T) {
	srv := demoServer(t, backendtest.WithoutSMTP())
	c := newWebClient(t, srv)
	c.signIn(backendtest.AdminEmail, backendtest.AdminPassword)
	backendtest.WaitFor(t, "the banner", func() bool {
		return strings.HasPrefix(banner(c.get("/admin/requests")), "Email cannot be delivered: "+outbox.NotConfigured+". ")
	})
}
