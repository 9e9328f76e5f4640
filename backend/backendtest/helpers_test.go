package backendtest_test

import (
	"fmt"
	"net/http"
	"net/url"
	"runtime"
	"strings"
	"testing"
	"time"

	"gatepass.dev/backend/backendtest"
	"gatepass.dev/backend/internal/mail/smtptest"
	"gatepass.dev/shared/api"
)

// recorder is a testing.TB that notes failures instead of failing the
// test, so that the assertions themselves can be tested.
type recorder struct {
	testing.TB
	failures []string
	fatal    bool
}

func (r *recorder) Helper() {}

func (r *recorder) Errorf(format string, args ...any) {
	r.failures = append(r.failures, fmt.Sprintf(format, args...))
}

func (r *recorder) Fatalf(format string, args ...any) {
	r.Errorf(format, args...)
	r.fatal = true
	runtime.Goexit()
}

func (r *recorder) Fatal(args ...any) { r.Fatalf("%s", fmt.Sprint(args...)) }

// record runs fn with a recorder on a goroutine of its own (a Fatalf ends
// it, as it ends a test).
func record(t *testing.T, fn func(tb testing.TB)) *recorder {
	r := &recorder{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		fn(r)
	}()
	<-done
	return r
}

func (r *recorder) wantFailure(t *testing.T, what string, fatal bool, mention string) {
	t.Helper()
	if len(r.failures) == 0 || r.fatal != fatal || !strings.Contains(strings.Join(r.failures, "\n"), mention) {
		t.Errorf("%s: failures %q (fatal %v), want one mentioning %q (fatal %v)", what, r.failures, r.fatal, mention, fatal)
	}
}

func (r *recorder) wantNoFailure(t *testing.T, what string) {
	t.Helper()
	if len(r.failures) > 0 {
		t.Errorf("%s: unexpected failures %q", what, r.failures)
	}
}

// TestDoAndSend: the token, a raw Authorization header, the content type
// and the body reach a real server; Send returns what Do would fail on.
func TestDoAndSend(t *testing.T) {
	srv := backendtest.NewServer(t, backendtest.WithoutSMTP())
	token := srv.Admin(t).Token()

	if r := backendtest.Do(t, "GET", srv.URL+"/api/v1/me", token, "", ""); r.Status != http.StatusOK || !strings.Contains(string(r.Body), backendtest.AdminEmail) {
		t.Errorf("with the token: %d %s", r.Status, r.Body)
	}
	if r := backendtest.Do(t, "GET", srv.URL+"/api/v1/me", "raw:Bearer "+token, "", ""); r.Status != http.StatusOK {
		t.Errorf("with the raw header: %d %s", r.Status, r.Body)
	}
	r := backendtest.Do(t, "GET", srv.URL+"/api/v1/me", "raw:Basic "+token, "", "")
	r.WantError(t, "another scheme", http.StatusUnauthorized)
	backendtest.Do(t, "GET", srv.URL+"/api/v1/me", "", "", "").WantError(t, "no token", http.StatusUnauthorized)

	login := `{"email":"` + backendtest.AdminEmail + `","password":"` + backendtest.AdminPassword + `"}`
	if r := backendtest.Do(t, "POST", srv.URL+"/api/v1/login", "", "application/json", login); r.Status != http.StatusOK {
		t.Errorf("login with a JSON body: %d %s", r.Status, r.Body)
	}
	backendtest.Do(t, "POST", srv.URL+"/api/v1/login", "", "text/plain", login).WantError(t, "login as text", http.StatusUnsupportedMediaType)

	if r, err := backendtest.Send(nil, "GET", srv.URL+"/healthz", "", "", ""); err != nil || r.Status != http.StatusOK {
		t.Errorf("Send /healthz: %d %v", r.Status, err)
	}
	srv.Stop()
	if _, err := backendtest.Send(nil, "GET", srv.URL+"/healthz", "", "", ""); err == nil {
		t.Error("Send to a stopped server: no error")
	}
	record(t, func(tb testing.TB) {
		backendtest.Do(tb, "GET", srv.URL+"/healthz", "", "", "")
	}).wantFailure(t, "Do to a stopped server", true, "/healthz")
}

// TestWantStatus: a typed client error is held to its status, the code of
// that status, a message and the parts; anything else stops the test.
func TestWantStatus(t *testing.T) {
	srv := backendtest.NewServer(t, backendtest.WithoutSMTP())
	_, err := srv.Admin(t).AdminRequest(t.Context(), "req_nope")

	var got *api.Error
	record(t, func(tb testing.TB) {
		got = backendtest.WantStatus(tb, "unknown request", err, 404)
	}).wantNoFailure(t, "the right status")
	if got == nil || got.Code != api.CodeNotFound {
		t.Errorf("returned %+v", got)
	}
	for _, c := range []struct {
		what    string
		err     error
		status  int
		parts   []string
		mention string
	}{
		{"another status", err, 409, nil, "want 409"},
		{"a part the message lacks", err, 404, []string{"no such thing"}, "no such thing"},
		{"no error", nil, 404, nil, "want the API error 404"},
		{"not an API error", fmt.Errorf("dial: refused"), 404, nil, "dial: refused"},
		{"the code of another status", &api.Error{Status: 404, Code: api.CodeConflict, Message: "gone"}, 404, nil, `"conflict"`},
		{"no message", &api.Error{Status: 404, Code: api.CodeNotFound, Message: " "}, 404, nil, "with a message"},
	} {
		record(t, func(tb testing.TB) {
			backendtest.WantStatus(tb, c.what, c.err, c.status, c.parts...)
			tb.Errorf("WantStatus returned")
		}).wantFailure(t, c.what, true, c.mention)
	}
}

// TestWantError: a raw answer is held to the API's error body; what is
// wrong is reported and the test goes on.
func TestWantError(t *testing.T) {
	jsonHeader := http.Header{"Content-Type": {"application/json; charset=utf-8"}}
	ok := backendtest.Response{Status: 404, Header: jsonHeader, Body: []byte(`{"error":{"code":"not_found","message":"no request req_x"}}`)}
	var e api.Error
	record(t, func(tb testing.TB) { e = ok.WantError(tb, "a 404", 404) }).wantNoFailure(t, "a 404")
	if e.Status != 404 || e.Message != "no request req_x" {
		t.Errorf("returned %+v", e)
	}
	for _, c := range []struct {
		what    string
		r       backendtest.Response
		mention string
	}{
		{"another status", backendtest.Response{Status: 409, Header: jsonHeader, Body: ok.Body}, "status 409, want 404"},
		{"not JSON", backendtest.Response{Status: 404, Header: http.Header{"Content-Type": {"text/plain"}}, Body: []byte("404 page not found")}, "Content-Type"},
		{"another shape", backendtest.Response{Status: 404, Header: jsonHeader, Body: []byte(`{"message":"x"}`)}, `is not {"error"`},
		{"the code of another status", backendtest.Response{Status: 404, Header: jsonHeader, Body: []byte(`{"error":{"code":"forbidden","message":"x"}}`)}, `"forbidden"`},
		{"no message", backendtest.Response{Status: 404, Header: jsonHeader, Body: []byte(`{"error":{"code":"not_found","message":""}}`)}, "with a message"},
	} {
		rec := record(t, func(tb testing.TB) { c.r.WantError(tb, c.what, 404) })
		rec.wantFailure(t, c.what, false, c.mention)
	}
}

// TestPoll: conditions are polled until they hold, and a timeout is
// reported with what was awaited.
func TestPoll(t *testing.T) {
	calls := 0
	if !backendtest.Poll(backendtest.Timeout, func() bool { calls++; return calls == 3 }) || calls != 3 {
		t.Errorf("Poll: %d calls, want true at the 3rd", calls)
	}
	if backendtest.Poll(10*time.Millisecond, func() bool { return false }) {
		t.Error("Poll of a condition that never holds: true")
	}
	record(t, func(tb testing.TB) {
		backendtest.WaitForWithin(tb, 10*time.Millisecond, "the impossible", func() bool { return false })
	}).wantFailure(t, "WaitForWithin", true, "timed out waiting for the impossible")
	record(t, func(tb testing.TB) {
		backendtest.WaitFor(tb, "the obvious", func() bool { return true })
	}).wantNoFailure(t, "WaitFor")
}

// TestMailTo: one recipient, exactly, and a part of the subject.
func TestMailTo(t *testing.T) {
	m := smtptest.Received{To: []string{"alice@example.com"}, Subject: "Access approved: lab"}
	for _, c := range []struct {
		to, part string
		want     bool
	}{
		{"alice@example.com", "approved", true},
		{"alice@example.com", "", true},
		{"alice@example.com", "denied", false},
		{"Alice@Example.com", "approved", false},
		{"bob@example.com", "", false},
	} {
		if got := backendtest.MailTo(c.to, c.part)(m); got != c.want {
			t.Errorf("MailTo(%q, %q): %v, want %v", c.to, c.part, got, c.want)
		}
	}
	two := smtptest.Received{To: []string{"alice@example.com", "bob@example.com"}, Subject: "Access approved: lab"}
	if backendtest.MailTo("alice@example.com", "")(two) {
		t.Error("MailTo matched an email to two recipients")
	}
}

// TestNetworkStateAndAudit: the user's network by id and by name; audit
// entries through the API and straight from the database.
func TestNetworkStateAndAudit(t *testing.T) {
	srv := backendtest.NewServer(t, backendtest.WithoutSMTP())
	admin := srv.Admin(t)
	alice, _ := srv.NewUser(t, "alice@example.com", api.RoleUser)
	n := srv.NewNetwork(t, "lab")

	if byID, byName := backendtest.NetworkState(t, alice, n.ID), backendtest.NetworkState(t, alice, "lab"); byID.ID != n.ID || byName.ID != n.ID || byID.State != api.StateRequest {
		t.Errorf("by id %+v, by name %+v", byID, byName)
	}
	record(t, func(tb testing.TB) { backendtest.NetworkState(tb, alice, "net_nope") }).wantFailure(t, "an unknown network", true, "net_nope not in the user's list")

	q := url.Values{"target": {n.ID}}
	if got := backendtest.Audit(t, admin, q); len(got) != 1 || got[0].Action != "network.create" {
		t.Errorf("audit of the network: %+v", got)
	}
	if len(q) != 1 {
		t.Errorf("Audit changed its query: %v", q)
	}
	if got := backendtest.Audit(t, admin, url.Values{"action": {"user.create"}, "limit": {"1"}}); len(got) != 1 {
		t.Errorf("audit with a limit of 1: %d entries", len(got))
	}
	if rows := srv.AuditRows(t, "network.create"); len(rows) != 1 || rows[0].TargetID != n.ID {
		t.Errorf("audit rows of network.create: %+v", rows)
	}
}
