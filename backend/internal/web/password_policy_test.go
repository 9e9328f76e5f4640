package web_test

import (
	"html"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"gatepass.dev/backend/backendtest"
	"gatepass.dev/backend/internal/auth"
)

// TestInviteFormPasswordPolicy: the invitation page states the password
// rule; weak passwords are refused with their reason next to the form,
// and the link stays usable until a strong one is set.
func TestInviteFormPasswordPolicy(t *testing.T) {
	srv := backendtest.NewServer(t)
	c := newWebClient(t, srv)
	c.signIn(backendtest.AdminEmail, backendtest.AdminPassword)
	if kind, text := c.flash(c.post("/admin/users", url.Values{"email": {"contractor@example.com"}, "name": {"Casey Contractor"}, "role": {"user"}})); kind != "ok" {
		t.Fatalf("invite: %s %q", kind, text)
	}
	m := srv.SMTP.WaitFor(t, backendtest.MailTo("contractor@example.com", "invited"), 10*time.Second)
	link := regexp.MustCompile(`https?://\S+/invite\?token=[A-Za-z0-9_-]+`).FindString(m.Text())
	path := strings.TrimPrefix(link, srv.URL)
	token := strings.TrimPrefix(path, "/invite?token=")

	casey := newWebClient(t, srv)
	p := casey.get(path)
	if p.Status != 200 || !strings.Contains(html.UnescapeString(p.Body), auth.PasswordRule) || !strings.Contains(p.Body, `aria-describedby="password-rule"`) {
		t.Fatalf("the invitation page does not state the rule: %d\n%s", p.Status, p.Body)
	}
	for _, w := range []struct{ password, shown string }{
		{"password12", "Password: is too common: it is one of the most used passwords"},
		{"1234567890", "Password: is too easy to guess: it is mostly a sequence, a repetition or a keyboard pattern"},
		{"contractor2026!", "Password: must not contain your email name (the part before the @)."},
	} {
		p := casey.post("/invite", url.Values{"token": {token}, "password": {w.password}, "confirm": {w.password}})
		body := html.UnescapeString(p.Body)
		if p.Status != 400 || !strings.Contains(body, w.shown) || !strings.Contains(body, auth.PasswordRule) {
			t.Errorf("%s: %d, want the reason %q beside the form\n%s", w.password, p.Status, w.shown, p.Body)
		}
	}
	if p := casey.post("/invite", url.Values{"token": {token}, "password": {"Orbit-Fennel-Granite-73"}, "confirm": {"Orbit-Fennel-Granite-73"}}); p.Status != 200 || !strings.Contains(p.Body, "Password set") {
		t.Fatalf("a strong password after the refusals: %d\n%s", p.Status, p.Body)
	}
	srv.Login(t, "contractor@example.com", "Orbit-Fennel-Granite-73")
}
