package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"gatepass.dev/backend/backendtest"
	"gatepass.dev/backend/internal/config"
	"gatepass.dev/shared/api"
	"gatepass.dev/shared/client"
)

// pendingDemoRequest is the demo's pending request (staging-internal).
func pendingDemoRequest(t *testing.T, srv *backendtest.Server) api.Request {
	t.Helper()
	list, err := srv.Admin(t).AdminRequests(t.Context(), clientQuery("pending"))
	if err != nil || len(list.Requests) != 1 {
		t.Fatalf("the demo's pending request: %v %+v", err, list.Requests)
	}
	return list.Requests[0]
}

func requestStatus(t *testing.T, srv *backendtest.Server, id string) api.RequestStatus {
	t.Helper()
	r, err := srv.Admin(t).AdminRequest(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	return r.Status
}

// TestCSRFRefused: a POST from another site (wrong Origin, or
// Sec-Fetch-Site cross-site) and a POST without (or with a wrong) CSRF
// token are refused, and nothing changes.
func TestCSRFRefused(t *testing.T) {
	srv := demoServer(t)
	req := pendingDemoRequest(t, srv)
	c := newWebClient(t, srv)
	c.signIn(backendtest.AdminEmail, backendtest.AdminPassword)
	path := "/admin/requests/" + req.ID + "/grant"
	form := func(csrf string) url.Values {
		return url.Values{"csrf": {csrf}, "duration": {"3600"}, "next": {"/admin/requests"}}
	}
	cases := []struct {
		name   string
		form   url.Values
		header map[string]string
	}{
		{"wrong origin", form(c.csrf), map[string]string{"Origin": "http://evil.example"}},
		{"cross-site fetch", form(c.csrf), map[string]string{"Origin": srv.URL, "Sec-Fetch-Site": "cross-site"}},
		{"same-site fetch", form(c.csrf), map[string]string{"Sec-Fetch-Site": "same-site"}},
		{"null origin", form(c.csrf), map[string]string{"Origin": "null"}},
		{"no token", url.Values{"duration": {"3600"}}, map[string]string{"Origin": srv.URL, "Sec-Fetch-Site": "same-origin"}},
		{"wrong token", form("not-the-token"), map[string]string{"Origin": srv.URL, "Sec-Fetch-Site": "same-origin"}},
	}
	for _, tc := range cases {
		p := c.do("POST", path, tc.form, tc.header)
		if p.Status != http.StatusForbidden || !strings.Contains(p.Body, "Nothing was changed") {
			t.Errorf("%s: status %d, want 403 with the refusal page", tc.name, p.Status)
		}
		if got := requestStatus(t, srv, req.ID); got != api.StatusPending {
			t.Fatalf("%s: the request became %s", tc.name, got)
		}
	}
	if n := len(srv.AuditRows(t, "request.approve")); n != 1 { // the demo's own grant
		t.Errorf("request.approve rows: %d, want only the demo's", n)
	}
	// Logging out needs the token too.
	if p := c.do("POST", "/admin/logout", url.Values{}, map[string]string{"Origin": srv.URL}); p.Status != http.StatusForbidden {
		t.Errorf("logout without the token: status %d", p.Status)
	}
	// The same form from this site works.
	if p := c.post(path, form(c.csrf)); p.Status != http.StatusSeeOther {
		t.Fatalf("the real form: status %d\n%s", p.Status, p.Body)
	}
	if got := requestStatus(t, srv, req.ID); got != api.StatusApproved {
		t.Errorf("after the real form the request is %s", got)
	}
}

// TestSignInFormCSRF: the sign-in form needs its double-submit token and a
// same-origin POST (no login CSRF).
func TestSignInFormCSRF(t *testing.T) {
	srv := demoServer(t)
	c := newWebClient(t, srv)
	c.get("/admin/login")
	creds := url.Values{"email": {backendtest.AdminEmail}, "password": {backendtest.AdminPassword}}
	if p := c.do("POST", "/admin/login", creds, map[string]string{"Origin": srv.URL}); p.Status != http.StatusForbidden {
		t.Errorf("sign-in without the form token: status %d", p.Status)
	}
	creds.Set("csrf", c.csrf)
	if p := c.do("POST", "/admin/login", creds, map[string]string{"Origin": "http://evil.example"}); p.Status != http.StatusForbidden {
		t.Errorf("sign-in from another site: status %d", p.Status)
	}
	if c.cookie("gatepass_session") != nil {
		t.Fatal("a refused sign-in set a session cookie")
	}
	if p := c.do("POST", "/admin/login", creds, map[string]string{"Origin": srv.URL}); p.Status != http.StatusSeeOther {
		t.Errorf("the real sign-in: status %d", p.Status)
	}
}

// TestHeaders: every page has the security headers; the CSP has no
// 'unsafe-inline'; the session cookie is HttpOnly, SameSite=Lax, path /.
func TestHeaders(t *testing.T) {
	srv := demoServer(t)
	c := newWebClient(t, srv)
	check := func(path string, p page_) {
		t.Helper()
		csp := p.Header.Get("Content-Security-Policy")
		for _, want := range []string{"default-src 'self'", "script-src 'self'", "style-src 'self'", "frame-ancestors 'none'", "form-action 'self'", "base-uri 'none'"} {
			if !strings.Contains(csp, want) {
				t.Errorf("%s: CSP %q lacks %q", path, csp, want)
			}
		}
		if strings.Contains(csp, "unsafe-inline") || strings.Contains(csp, "unsafe-eval") {
			t.Errorf("%s: CSP allows unsafe code: %q", path, csp)
		}
		for k, want := range map[string]string{"X-Content-Type-Options": "nosniff", "Referrer-Policy": "same-origin", "X-Frame-Options": "DENY"} {
			if got := p.Header.Get(k); got != want {
				t.Errorf("%s: %s = %q, want %q", path, k, got, want)
			}
		}
		if strings.Contains(p.Body, "<script>") || strings.Contains(p.Body, " style=") || strings.Contains(p.Body, "<style") {
			t.Errorf("%s: inline script or style in the page", path)
		}
	}
	for _, path := range []string{"/admin/login", "/admin/requests", "/no/such/page", "/invite?token=x"} {
		check(path, c.get(path))
	}
	c.get("/admin/login")
	p := c.post("/admin/login", url.Values{"email": {backendtest.AdminEmail}, "password": {backendtest.AdminPassword}})
	var session *http.Cookie
	for _, ck := range (&http.Response{Header: p.Header}).Cookies() {
		if ck.Name == "gatepass_session" {
			session = ck
		}
	}
	if session == nil || !session.HttpOnly || session.SameSite != http.SameSiteLaxMode || session.Path != "/" || session.Secure {
		t.Fatalf("session cookie over http: %+v", session)
	}
	for _, path := range []string{"/admin/requests", "/admin/requests?status=approved", "/admin/networks", "/admin/users", "/admin/settings", "/admin/audit", "/admin/outbox", "/admin/networks/new"} {
		p := c.get(path)
		if p.Status != http.StatusOK {
			t.Errorf("%s: status %d", path, p.Status)
		}
		check(path, p)
		if p.Header.Get("Cache-Control") != "no-store" {
			t.Errorf("%s: Cache-Control %q", path, p.Header.Get("Cache-Control"))
		}
	}
	js := c.get("/admin/static/app.js")
	if js.Status != 200 || !strings.HasPrefix(js.Header.Get("Content-Type"), "text/javascript") || strings.Contains(js.Body, "innerHTML") {
		t.Errorf("app.js: %d %q (innerHTML used: %v)", js.Status, js.Header.Get("Content-Type"), strings.Contains(js.Body, "innerHTML"))
	}
}

// TestHTTPSCookie: with an https public URL the session cookie is Secure
// and __Host- prefixed.
func TestHTTPSCookie(t *testing.T) {
	srv := demoServer(t, backendtest.WithConfig(func(c *config.Config) { c.PublicURL = "https://gatepass.example.com" }))
	c := newWebClient(t, srv)
	login := c.get("/admin/login")
	var formCookie *http.Cookie
	for _, ck := range (&http.Response{Header: login.Header}).Cookies() {
		formCookie = ck
	}
	if formCookie == nil || formCookie.Name != "__Host-gatepass_form" || !formCookie.Secure || formCookie.SameSite != http.SameSiteStrictMode {
		t.Fatalf("the sign-in form's cookie over https: %+v", formCookie)
	}
	// The jar does not send Secure cookies over http: send it by hand, as a
	// browser behind the TLS proxy would.
	form := url.Values{"csrf": {c.csrf}, "email": {backendtest.AdminEmail}, "password": {backendtest.AdminPassword}}
	p := c.do("POST", "/admin/login", form, map[string]string{"Origin": "https://gatepass.example.com", "Cookie": formCookie.Name + "=" + formCookie.Value})
	if p.Status != http.StatusSeeOther {
		t.Fatalf("sign-in over https: %d\n%s", p.Status, p.Body)
	}
	var session *http.Cookie
	for _, ck := range (&http.Response{Header: p.Header}).Cookies() {
		if strings.HasSuffix(ck.Name, "gatepass_session") {
			session = ck
		}
	}
	if session == nil || session.Name != "__Host-gatepass_session" || !session.Secure || !session.HttpOnly || session.Path != "/" || session.Domain != "" {
		t.Fatalf("session cookie over https: %+v", session)
	}
}

// TestSessionLifecycle: a new session at sign-in (a session cookie the
// browser had is not kept: no fixation), idle expiry, absolute expiry,
// sign-out revokes.
func TestSessionLifecycle(t *testing.T) {
	srv := demoServer(t)
	c := newWebClient(t, srv)
	c.signIn(backendtest.AdminEmail, backendtest.AdminPassword)
	first := c.cookie("gatepass_session").Value
	c.signIn(backendtest.AdminEmail, backendtest.AdminPassword)
	second := c.cookie("gatepass_session").Value
	if first == second {
		t.Fatal("signing in again kept the session id")
	}
	old := newWebClient(t, srv)
	u, _ := url.Parse(srv.URL)
	old.hc.Jar.SetCookies(u, []*http.Cookie{{Name: "gatepass_session", Value: first}})
	if p := old.get("/admin/requests"); p.Status != http.StatusSeeOther || !strings.HasPrefix(p.Header.Get("Location"), "/admin/login") {
		t.Errorf("the session replaced at sign-in still works: %d", p.Status)
	}
	// An attacker-chosen cookie is never adopted.
	fix := newWebClient(t, srv)
	fix.hc.Jar.SetCookies(u, []*http.Cookie{{Name: "gatepass_session", Value: "attacker-chosen-value"}})
	fix.signIn(backendtest.AdminEmail, backendtest.AdminPassword)
	if fix.cookie("gatepass_session").Value == "attacker-chosen-value" {
		t.Fatal("session fixation: the presented id was kept")
	}

	// Idle: 2 hours without a page load.
	srv.Advance(119 * time.Minute)
	if p := c.get("/admin/requests"); p.Status != http.StatusOK {
		t.Fatalf("after 1h59m idle: %d", p.Status)
	}
	srv.Advance(119 * time.Minute)
	if p := c.get("/admin/requests"); p.Status != http.StatusOK {
		t.Fatalf("active every 1h59m: %d", p.Status)
	}
	srv.Advance(2*time.Hour + time.Minute)
	if p := c.get("/admin/requests"); p.Status != http.StatusSeeOther {
		t.Fatalf("after 2h idle the session still works: %d", p.Status)
	}

	// Absolute: 12 hours after sign-in, however active.
	c.signIn(backendtest.AdminEmail, backendtest.AdminPassword)
	for range 11 {
		srv.Advance(time.Hour)
		if p := c.get("/admin/requests"); p.Status != http.StatusOK {
			t.Fatalf("active session refused before 12h: %d", p.Status)
		}
	}
	srv.Advance(time.Hour)
	if p := c.get("/admin/requests"); p.Status != http.StatusSeeOther {
		t.Fatalf("a session older than 12h still works: %d", p.Status)
	}

	// Sign-out revokes: the old cookie no longer works.
	c.signIn(backendtest.AdminEmail, backendtest.AdminPassword)
	cookie := c.cookie("gatepass_session").Value
	if p := c.post("/admin/logout", nil); p.Status != http.StatusSeeOther || p.Header.Get("Location") != "/admin/login?signed_out=1" {
		t.Fatalf("sign out: %d %q", p.Status, p.Header.Get("Location"))
	}
	replay := newWebClient(t, srv)
	replay.hc.Jar.SetCookies(u, []*http.Cookie{{Name: "gatepass_session", Value: cookie}})
	if p := replay.get("/admin/requests"); p.Status != http.StatusSeeOther {
		t.Errorf("a signed-out session still works: %d", p.Status)
	}
	if rows := srv.AuditRows(t, "logout"); len(rows) != 1 || rows[0].Details["via"] != "web" {
		t.Errorf("logout audit: %+v", rows)
	}
}

// TestSignInLimitedAndAudited: sign-ins are audited; five failures block
// the email for the web page and the API alike (one limiter).
func TestSignInLimitedAndAudited(t *testing.T) {
	srv := demoServer(t)
	c := newWebClient(t, srv)
	c.signIn(backendtest.AdminEmail, backendtest.AdminPassword)
	web := 0
	for _, e := range srv.AuditRows(t, "login") {
		if e.Details["via"] == "web" && e.ActorEmail == backendtest.AdminEmail && e.Details["session"] != "" {
			web++
		}
	}
	if web != 1 {
		t.Errorf("web sign-in audit rows: %d", web)
	}
	bad := newWebClient(t, srv)
	bad.get("/admin/login")
	for i := range 5 {
		p := bad.post("/admin/login", url.Values{"email": {"contractor@example.com"}, "password": {"wrong-password-" + string(rune('a'+i))}})
		if p.Status != http.StatusUnauthorized || !strings.Contains(p.Body, "Wrong email or password") {
			t.Fatalf("failure %d: %d", i+1, p.Status)
		}
	}
	p := bad.post("/admin/login", url.Values{"email": {"contractor@example.com"}, "password": {"whatever-else"}})
	if p.Status != http.StatusTooManyRequests || p.Header.Get("Retry-After") == "" || !strings.Contains(p.Body, "Too many failed sign-in attempts") {
		t.Errorf("sixth attempt: %d %q", p.Status, p.Header.Get("Retry-After"))
	}
	if _, err := srv.Client().Login(t.Context(), "contractor@example.com", "anything-at-all"); err == nil || !strings.Contains(err.Error(), "too many") {
		t.Errorf("the API's login after five web failures: %v", err)
	}
	if n := len(srv.AuditRows(t, "login.failure")); n != 5 {
		t.Errorf("login.failure rows: %d, want 5", n)
	}
}

// TestAccessControl: signed-out visits go to sign in with a local next; a
// non-admin session gets the 403 page on every admin page and action.
func TestAccessControl(t *testing.T) {
	srv := demoServer(t)
	anon := newWebClient(t, srv)
	if p := anon.get("/"); p.Status != http.StatusFound || p.Header.Get("Location") != "/admin/" {
		t.Errorf("/: %d %q", p.Status, p.Header.Get("Location"))
	}
	for _, path := range []string{"/admin/requests", "/admin/networks?x=1", "/admin/users", "/admin/settings", "/admin/audit", "/admin/outbox"} {
		p := anon.get(path)
		if p.Status != http.StatusSeeOther || p.Header.Get("Location") != "/admin/login?next="+url.QueryEscape(path) {
			t.Errorf("signed out %s: %d %q", path, p.Status, p.Header.Get("Location"))
		}
	}
	if p := anon.get("/admin/events"); p.Status != http.StatusUnauthorized {
		t.Errorf("signed-out event stream: %d", p.Status)
	}
	// next must stay on this site.
	anon.get("/admin/login")
	for _, next := range []string{"https://evil.example/", "//evil.example/x", "/\\evil.example", "/api/v1/me", "javascript:alert(1)"} {
		p := anon.post("/admin/login", url.Values{"email": {backendtest.AdminEmail}, "password": {backendtest.AdminPassword}, "next": {next}})
		if p.Header.Get("Location") != "/admin/requests" {
			t.Errorf("next %q: redirected to %q", next, p.Header.Get("Location"))
		}
	}

	_, u := srv.NewUser(t, "alice@example.com", api.RoleUser)
	_ = u
	alice := newWebClient(t, srv)
	alice.get("/admin/login")
	if p := alice.post("/admin/login", url.Values{"email": {"alice@example.com"}, "password": {backendtest.UserPassword}}); p.Status != http.StatusSeeOther {
		t.Fatalf("alice signs in: %d", p.Status)
	}
	req := pendingDemoRequest(t, srv)
	for _, path := range []string{"/admin/requests", "/admin/requests/" + req.ID, "/admin/networks", "/admin/users", "/admin/settings", "/admin/audit", "/admin/outbox", "/admin/events"} {
		p := alice.get(path)
		if p.Status != http.StatusForbidden || !strings.Contains(p.Body, "Admins only") || strings.Contains(p.Body, "Deploy and verify") {
			t.Errorf("non-admin %s: %d", path, p.Status)
		}
	}
	if p := alice.post("/admin/requests/"+req.ID+"/grant", url.Values{"duration": {"3600"}}); p.Status != http.StatusForbidden {
		t.Errorf("non-admin grant: %d", p.Status)
	}
	if got := requestStatus(t, srv, req.ID); got != api.StatusPending {
		t.Errorf("a non-admin's grant changed the request to %s", got)
	}
	if p := alice.post("/admin/logout", nil); p.Status != http.StatusSeeOther {
		t.Errorf("a non-admin cannot sign out: %d", p.Status)
	}
}

// TestGETChangesNothing: opening every page and link — as a mail scanner
// following the review link would — writes nothing but the sign-in.
func TestGETChangesNothing(t *testing.T) {
	srv := demoServer(t)
	req := pendingDemoRequest(t, srv)
	c := newWebClient(t, srv)
	c.signIn(backendtest.AdminEmail, backendtest.AdminPassword)
	before, err := srv.Admin(t).Audit(t.Context(), url.Values{"limit": {"10000"}})
	if err != nil {
		t.Fatal(err)
	}
	net := networkByName(t, srv, "staging-internal")
	for _, path := range []string{
		"/admin/requests/" + req.ID, "/admin/requests/" + req.ID + "/grant?duration=3600", "/admin/requests/" + req.ID + "/deny",
		"/admin/requests/" + req.ID + "/revoke", "/admin/networks/" + net.ID + "/jit?enabled=false", "/admin/networks/" + net.ID + "/delete",
		"/admin/logout", "/admin/users", "/admin/outbox/1/retry", "/admin/settings/test-email", "/admin/requests?status=approved",
	} {
		c.get(path)
		anon := newWebClient(t, srv)
		anon.get(path)
	}
	after, err := srv.Admin(t).Audit(t.Context(), url.Values{"limit": {"10000"}})
	if err != nil {
		t.Fatal(err)
	}
	// The admin API logins of srv.Admin are the only new rows.
	for _, e := range after.Entries[:len(after.Entries)-len(before.Entries)] {
		if e.Action != "login" {
			t.Errorf("a GET wrote an audit row: %+v", e)
		}
	}
	if got := requestStatus(t, srv, req.ID); got != api.StatusPending {
		t.Errorf("the request is %s after GETs", got)
	}
	if got := networkByName(t, srv, "staging-internal"); !got.JITEnabled {
		t.Error("a GET turned JIT off")
	}
	if p := c.get("/admin/requests"); p.Status != http.StatusOK {
		t.Errorf("GET /admin/logout signed out: %d", p.Status)
	}
}

func clientQuery(status string) client.RequestQuery { return client.RequestQuery{Status: status} }

// TestLiveRefreshIsNotActivity: the page's background refreshes do not keep
// an idle session alive.
func TestLiveRefreshIsNotActivity(t *testing.T) {
	srv := demoServer(t)
	c := newWebClient(t, srv)
	c.signIn(backendtest.AdminEmail, backendtest.AdminPassword)
	for range 3 {
		srv.Advance(50 * time.Minute)
		if p := c.do("GET", "/admin/requests?partial=1", nil, map[string]string{"X-Gatepass-Live": "1"}); p.Status != http.StatusOK && srv.Now().Before(backendtest.Start.Add(2*time.Hour)) {
			t.Fatalf("live refresh: %d", p.Status)
		}
	}
	if p := c.get("/admin/requests"); p.Status != http.StatusSeeOther {
		t.Errorf("after 2h30m of only live refreshes the session still works: %d", p.Status)
	}
}
