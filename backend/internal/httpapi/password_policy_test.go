package httpapi_test

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"gatepass.dev/backend/backendtest"
	"gatepass.dev/shared/api"
)

// ppWeak are passwords the policy refuses for contractor@example.com, with
// the reason the API must give.
var ppWeak = []struct{ password, reason string }{
	{"password12", "password: is too common"},
	{"1234567890", "password: is too easy to guess"},
	{"contractor2026!", "password: must not contain your email name"},
}

// TestPasswordPolicyCreateUser: the admin API refuses weak passwords with
// the reason and creates nothing; a strong one works.
func TestPasswordPolicyCreateUser(t *testing.T) {
	srv := backendtest.NewServer(t)
	admin := srv.Admin(t)
	for _, w := range ppWeak {
		_, err := admin.CreateUser(t.Context(), api.UserInput{Email: "contractor@example.com", Name: "Casey Contractor", Password: w.password})
		if e := backendtest.WantStatus(t, "create with "+w.password, err, 400); e.Field != "password" || !strings.HasPrefix(e.Message, w.reason) {
			t.Errorf("create with %s: %v, want 400 on the password field: %q…", w.password, err, w.reason)
		}
	}
	users, err := admin.Users(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range users {
		if u.Email == "contractor@example.com" {
			t.Fatalf("a refused password created the user: %+v", u)
		}
	}
	res, err := admin.Audit(t.Context(), url.Values{"action": {"user.create"}})
	if err != nil || len(res.Entries) != 1 || res.Entries[0].ActorEmail != "system" {
		t.Fatalf("user.create rows after refusals (the first admin's only): %v %v", res.Entries, err)
	}
	const strong = "Orbit-Fennel-Granite-73"
	if _, err := admin.CreateUser(t.Context(), api.UserInput{Email: "contractor@example.com", Name: "Casey Contractor", Password: strong}); err != nil {
		t.Fatalf("a strong password refused: %v", err)
	}
	srv.Login(t, "contractor@example.com", strong)
}

// TestPasswordPolicyAcceptInvite: accepting an invitation with a weak
// password is refused with the reason and leaves the link usable.
func TestPasswordPolicyAcceptInvite(t *testing.T) {
	srv := backendtest.NewServer(t)
	if _, err := srv.Admin(t).CreateUser(t.Context(), api.UserInput{Email: "contractor@example.com"}); err != nil {
		t.Fatal(err)
	}
	m := srv.SMTP.WaitFor(t, backendtest.MailTo("contractor@example.com", "invited"), 10*time.Second)
	match := adInviteLink.FindStringSubmatch(m.Text())
	if match == nil {
		t.Fatalf("no invitation link in:\n%s", m.Text())
	}
	for _, w := range ppWeak {
		_, err := srv.Client().AcceptInvite(t.Context(), match[1], w.password)
		if e := backendtest.WantStatus(t, "accept with "+w.password, err, 400); e.Field != "password" || !strings.HasPrefix(e.Message, w.reason) {
			t.Errorf("accept with %s: %v, want 400 on the password field: %q…", w.password, err, w.reason)
		}
	}
	if _, err := srv.Client().AcceptInvite(t.Context(), match[1], "Orbit-Fennel-Granite-73"); err != nil {
		t.Fatalf("the link after refusals, with a strong password: %v", err)
	}
}
