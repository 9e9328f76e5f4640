package httpapi_test

import (
	"encoding/base64"
	"encoding/json"
	"net/url"
	"strings"
	"testing"
	"time"

	"gatepass.dev/backend/backendtest"
	"gatepass.dev/shared/api"
	"gatepass.dev/shared/client"
)

// smtpPatch sends PATCH /api/v1/admin/settings with an smtp object.
func smtpPatch(t *testing.T, srv *backendtest.Server, admin *client.Client, smtp map[string]any) api.SettingsResponse {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"smtp": smtp})
	r := backendtest.Do(t, "PATCH", srv.URL+"/api/v1/admin/settings", admin.Token(), "application/json", string(body))
	var out api.SettingsResponse
	if err := json.Unmarshal(r.Body, &out); r.Status != 200 || err != nil {
		t.Fatalf("PATCH smtp %v: %d %s", smtp, r.Status, r.Body)
	}
	return out
}

// TestAdminSMTPServerChangeClearsPassword: a change of the SMTP host, port
// or TLS mode removes the stored password (the answer says so, the audit
// row too) unless the same change gives one; other changes keep it.
func TestAdminSMTPServerChangeClearsPassword(t *testing.T) {
	srv := backendtest.NewServer(t)
	admin := srv.Admin(t)
	const old, fresh = "Old-Server-Pa55", "New-Server-Pa55"
	setPassword := func() {
		t.Helper()
		if out := smtpPatch(t, srv, admin, map[string]any{"password": old}); !out.Settings.SMTP.PasswordSet || out.SMTPPasswordCleared {
			t.Fatalf("set the password: %+v", out)
		}
	}

	for _, tc := range []struct {
		name   string
		change map[string]any
	}{
		{"host", map[string]any{"host": "smtp.elsewhere.example.com"}},
		{"port", map[string]any{"port": srv.SMTP.Port() + 1}},
		{"tls", map[string]any{"tls": "tls"}},
	} {
		setPassword()
		cur := srv.Settings.Get().SMTP
		out := smtpPatch(t, srv, admin, tc.change)
		if !out.SMTPPasswordCleared || out.Settings.SMTP.PasswordSet || srv.Settings.Get().SMTP.Password != "" {
			t.Errorf("change of the %s kept the password: %+v", tc.name, out)
		}
		// Back to the test server, with no password to clear.
		back := smtpPatch(t, srv, admin, map[string]any{"host": cur.Host, "port": cur.Port, "tls": string(cur.TLS)})
		if back.SMTPPasswordCleared {
			t.Errorf("a change with no stored password reports a cleared one: %+v", back)
		}
	}

	// A new password in the same change is kept.
	setPassword()
	out := smtpPatch(t, srv, admin, map[string]any{"host": "smtp.elsewhere.example.com", "password": fresh})
	if out.SMTPPasswordCleared || !out.Settings.SMTP.PasswordSet || srv.Settings.Get().SMTP.Password != fresh {
		t.Errorf("a host change with a new password: %+v (stored %q)", out, srv.Settings.Get().SMTP.Password)
	}
	// The same server written differently, or another sender, keeps it.
	for _, same := range []map[string]any{{"host": "SMTP.Elsewhere.Example.com"}, {"from": "Other <other@example.com>"}, {"username": "mailer"}} {
		if out := smtpPatch(t, srv, admin, same); out.SMTPPasswordCleared || srv.Settings.Get().SMTP.Password != fresh {
			t.Errorf("%v cleared the password: %+v", same, out)
		}
	}
	r := backendtest.Do(t, "GET", srv.URL+"/api/v1/admin/settings", admin.Token(), "", "")
	if strings.Contains(string(r.Body), "smtp_password_cleared") || strings.Contains(string(r.Body), fresh) {
		t.Errorf("GET settings: %s", r.Body)
	}

	res, err := admin.Audit(t.Context(), url.Values{"action": {"settings.update"}})
	if err != nil {
		t.Fatal(err)
	}
	cleared := 0
	for _, e := range res.Entries {
		if strings.HasPrefix(e.Details["smtp_password"], "cleared") {
			cleared++
		}
		for _, v := range e.Details {
			if strings.Contains(v, old) || strings.Contains(v, fresh) {
				t.Errorf("an audit row holds a password: %+v", e)
			}
		}
	}
	if cleared != 3 {
		t.Errorf("%d audit rows say the password was cleared, want 3", cleared)
	}
}

// TestAdminSMTPAuthNeedsTLS: with a username and TLS none, neither the test
// email nor the outbox authenticates: both fail with an error that says
// why and how to fix it, and the SMTP server never sees the password.
// Allowed explicitly, both authenticate and deliver.
func TestAdminSMTPAuthNeedsTLS(t *testing.T) {
	srv := backendtest.NewServer(t)
	admin := srv.Admin(t)
	alice, _ := srv.NewUser(t, "alice@example.com", api.RoleUser)
	network := srv.NewNetwork(t, "prod")
	const password = "Plain-Text-Secret-7"
	srv.SMTP.RequireAuth("mailer", password)
	out := smtpPatch(t, srv, admin, map[string]any{"username": "mailer", "password": password})
	if out.Settings.SMTP.AllowInsecureAuth || out.Settings.SMTP.TLS != api.SMTPTLSNone {
		t.Fatalf("settings: %+v", out.Settings.SMTP)
	}
	leaked := func() {
		t.Helper()
		tr := srv.SMTP.Transcript()
		plain := base64.StdEncoding.EncodeToString([]byte("\x00mailer\x00" + password))
		if strings.Contains(tr, password) || strings.Contains(tr, plain) || strings.Contains(strings.ToUpper(tr), "AUTH ") {
			t.Fatalf("the SMTP server saw an authentication attempt:\n%s", tr)
		}
	}

	res, err := admin.TestEmail(t.Context(), "ops@example.com")
	if err != nil {
		t.Fatal(err)
	}
	if res.OK || !strings.Contains(res.Message, "unencrypted") || !strings.Contains(res.Message, "allow authentication without encryption") {
		t.Errorf("test email over a plain connection: %+v", res)
	}
	leaked()

	if _, err := alice.Request(t.Context(), network.ID, "deploy", 0); err != nil {
		t.Fatal(err)
	}
	var msg api.OutboxMessage
	backendtest.WaitFor(t, "the admin email to fail", func() bool {
		list, err := admin.Outbox(t.Context(), "")
		if err != nil {
			return false
		}
		for _, m := range list {
			if m.Kind == "new_request" && m.Attempts > 0 {
				msg = m
				return true
			}
		}
		return false
	})
	if msg.Status == api.OutboxSent || !strings.Contains(msg.LastError, "unencrypted") {
		t.Errorf("outbox message over a plain connection: %+v", msg)
	}
	leaked()
	if n := srv.SMTP.Count(); n != 0 {
		t.Errorf("%d emails arrived", n)
	}

	out = smtpPatch(t, srv, admin, map[string]any{"allow_insecure_auth": true})
	if !out.Settings.SMTP.AllowInsecureAuth || !out.Settings.SMTP.PasswordSet {
		t.Fatalf("allow insecure auth: %+v", out.Settings.SMTP)
	}
	if res, err := admin.TestEmail(t.Context(), "ops@example.com"); err != nil || !res.OK {
		t.Fatalf("test email with insecure auth allowed: %+v %v", res, err)
	}
	srv.Advance(5 * time.Minute) // past the outbox's back-off
	srv.SMTP.WaitFor(t, backendtest.MailTo(backendtest.AdminEmail, "alice@example.com"), 10*time.Second)
	if !strings.Contains(srv.SMTP.Transcript(), "AUTH PLAIN") {
		t.Errorf("no AUTH in the transcript once allowed:\n%s", srv.SMTP.Transcript())
	}
}
