package httpapi_test

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"gatepass.dev/backend/backendtest"
	"gatepass.dev/backend/internal/access"
	"gatepass.dev/backend/internal/mail/smtptest"
	"gatepass.dev/shared/api"
	"gatepass.dev/shared/client"
)

// biCounts is what a refused input must leave unchanged.
type biCounts struct {
	Requests int // every request, any status
	Networks int
	Users    int
	Audit    int // audit rows
	Outbox   int // queued emails
}

// biSnapshot counts what is stored, as the admin sees it. It signs in no
// one (a login would write an audit row).
func biSnapshot(t *testing.T, admin *client.Client) biCounts {
	t.Helper()
	var c biCounts
	reqs, err := admin.AdminRequests(t.Context(), client.RequestQuery{})
	if err != nil {
		t.Fatal(err)
	}
	c.Requests = reqs.Total
	nets, err := admin.Networks(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	c.Networks = len(nets)
	users, err := admin.Users(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	c.Users = len(users)
	audit, err := admin.Audit(t.Context(), url.Values{"limit": {"10000"}})
	if err != nil {
		t.Fatal(err)
	}
	c.Audit = len(audit.Entries)
	mails, err := admin.Outbox(t.Context(), "")
	if err != nil {
		t.Fatal(err)
	}
	c.Outbox = len(mails)
	return c
}

func biSame(t *testing.T, what string, before, after biCounts) {
	t.Helper()
	if before != after {
		t.Errorf("%s stored something: before %+v, after %+v", what, before, after)
	}
}

// biCase is one refused input.
type biCase struct {
	name        string
	body        string
	contentType string // "" means application/json
	status      int    // 0 means 400
	mention     string // the message must contain this (case-insensitive)
}

// biRun sends each case to method path as token and checks the refusal.
func biRun(t *testing.T, srv *backendtest.Server, method, path, token string, cases []biCase) {
	t.Helper()
	for _, tc := range cases {
		ct := tc.contentType
		if ct == "" {
			ct = "application/json"
		}
		want := tc.status
		if want == 0 {
			want = http.StatusBadRequest
		}
		what := fmt.Sprintf("%s %s: %s", method, path, tc.name)
		e := backendtest.Do(t, method, srv.URL+path, token, ct, tc.body).WantError(t, what, want)
		if tc.mention != "" && e.Message != "" && !strings.Contains(strings.ToLower(e.Message), strings.ToLower(tc.mention)) {
			t.Errorf("%s: message %q does not mention %q", what, e.Message, tc.mention)
		}
	}
}

// biReasonCases are the reasons a new request must refuse, as raw JSON bodies.
func biReasonCases() []biCase {
	return []biCase{
		{name: "missing", body: `{}`, mention: "reason"},
		{name: "null", body: `{"reason":null}`, mention: "reason"},
		{name: "empty", body: `{"reason":""}`, mention: "reason"},
		{name: "whitespace only", body: `{"reason":"   \u00a0  "}`, mention: "reason"},
		{name: "1001 characters", body: `{"reason":"` + strings.Repeat("é", 1001) + `"}`, mention: "reason"},
		{name: "NUL", body: `{"reason":"a\u0000b"}`, mention: "reason"},
		{name: "CRLF", body: `{"reason":"deploy\r\nBcc: x@evil"}`, mention: "reason"},
		{name: "LF", body: `{"reason":"deploy\nsecond line"}`, mention: "reason"},
		{name: "TAB", body: `{"reason":"a\tb"}`, mention: "reason"},
		{name: "raw TAB byte", body: "{\"reason\":\"a\tb\"}"},
		{name: "U+2028", body: `{"reason":"a\u2028b"}`, mention: "reason"},
		{name: "raw U+2028", body: "{\"reason\":\"a\u2028b\"}", mention: "reason"},
		{name: "U+2029", body: `{"reason":"a\u2029b"}`, mention: "reason"},
		{name: "DEL", body: `{"reason":"a\u007fb"}`, mention: "reason"},
		{name: "C1 control", body: `{"reason":"a\u0085b"}`, mention: "reason"},
		{name: "escaped lone surrogate", body: `{"reason":"a\ud800b"}`, mention: "reason"},
		{name: "escaped lone low surrogate", body: `{"reason":"a\udc00b"}`, mention: "reason"},
		{name: "raw invalid UTF-8", body: "{\"reason\":\"a\xffb\"}", mention: "UTF-8"},
		{name: "raw overlong UTF-8", body: "{\"reason\":\"a\xc0\xafb\"}", mention: "UTF-8"},
		{name: "raw encoded surrogate", body: "{\"reason\":\"a\xed\xa0\x80b\"}", mention: "UTF-8"},
		{name: "a number", body: `{"reason":5}`, mention: "reason"},
	}
}

// TestBadInputReason: every bad reason is 400 naming the field, and
// nothing is stored; exactly 1000 characters are accepted.
func TestBadInputReason(t *testing.T) {
	srv := backendtest.NewServer(t)
	admin := srv.Admin(t)
	alice, _ := srv.NewUser(t, "alice@example.com", api.RoleUser)
	n := srv.NewNetwork(t, "staging")
	path := "/api/v1/networks/" + n.ID + "/requests"

	before := biSnapshot(t, admin)
	biRun(t, srv, "POST", path, alice.Token(), biReasonCases())
	biSame(t, "bad reasons", before, biSnapshot(t, admin))
	if st := backendtest.NetworkState(t, alice, n.ID); st.State != api.StateRequest || st.Request != nil {
		t.Errorf("after the refused reasons: %+v", st)
	}

	// A surrogate pair (a valid escape) is fine, and exactly 1000
	// characters are accepted.
	reason := strings.Repeat("é", 998) + "😀x"
	if res := backendtest.Do(t, "POST", srv.URL+path, alice.Token(), "application/json",
		`{"reason":"`+strings.Repeat("é", 998)+`\ud83d\ude00x"}`); res.Status != http.StatusCreated {
		t.Fatalf("a 1000-character reason: %d %s", res.Status, res.Body)
	}
	r, err := alice.GetRequest(t.Context(), backendtest.NetworkState(t, alice, n.ID).Request.ID)
	if err != nil {
		t.Fatal(err)
	}
	if r.Reason != reason {
		t.Errorf("stored reason %q…, want %q…", r.Reason[:20], reason[:20])
	}
	after := biSnapshot(t, admin)
	if after.Requests != before.Requests+1 {
		t.Errorf("requests %d → %d, want one more", before.Requests, after.Requests)
	}
}

// TestBadInputHeaderInjection: CR/LF in any text that reaches an email
// header (a user's name, a network's name, a note) is refused; HTML in a
// reason is accepted and escaped in the email.
func TestBadInputHeaderInjection(t *testing.T) {
	srv := backendtest.NewServer(t)
	admin := srv.Admin(t)
	alice, aliceUser := srv.NewUser(t, "alice@example.com", api.RoleUser)
	n := srv.NewNetwork(t, "staging")
	pending, err := alice.Request(t.Context(), n.ID, "deploy", 0)
	if err != nil {
		t.Fatal(err)
	}
	n2 := srv.NewNetwork(t, "prod")
	approved, err := alice.Request(t.Context(), n2.ID, "hotfix", 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := admin.Approve(t.Context(), approved.ID, time.Hour); err != nil {
		t.Fatal(err)
	}
	srv.SMTP.WaitFor(t, backendtest.MailTo("alice@example.com", "approved"), 10*time.Second)
	tok := admin.Token()

	before := biSnapshot(t, admin)
	evil := []string{"Eve\r\nBcc: x@evil", "Eve\nBcc: x@evil", "Eve\rBcc: x@evil", "Eve\u2028Bcc: x@evil", "Eve\u0085Bcc: x@evil"}
	for i, name := range evil {
		q := strconv.Quote(name) // a JSON string for these
		biRun(t, srv, "POST", "/api/v1/admin/users", tok, []biCase{
			{name: fmt.Sprintf("create user, name #%d", i), body: `{"email":"eve@example.com","name":` + q + `,"password":"Harbor-Quince-Ember-58"}`, mention: "name"},
			{name: fmt.Sprintf("invite user, name #%d", i), body: `{"email":"eve@example.com","name":` + q + `}`, mention: "name"},
		})
		biRun(t, srv, "PATCH", "/api/v1/admin/users/"+aliceUser.ID, tok, []biCase{
			{name: fmt.Sprintf("rename user #%d", i), body: `{"name":` + q + `}`, mention: "name"},
		})
		biRun(t, srv, "POST", "/api/v1/admin/networks", tok, []biCase{
			{name: fmt.Sprintf("create network, name #%d", i), body: `{"name":` + q + `,"cidr":"10.50.0.0/24"}`, mention: "name"},
			{name: fmt.Sprintf("create network, description #%d", i), body: `{"name":"ok-name","description":` + q + `,"cidr":"10.50.0.0/24"}`, mention: "description"},
		})
		biRun(t, srv, "PATCH", "/api/v1/admin/networks/"+n.ID, tok, []biCase{
			{name: fmt.Sprintf("rename network #%d", i), body: `{"name":` + q + `}`, mention: "name"},
		})
		biRun(t, srv, "POST", "/api/v1/admin/requests/"+pending.ID+"/deny", tok, []biCase{
			{name: fmt.Sprintf("deny note #%d", i), body: `{"note":` + q + `}`, mention: "note"},
		})
		biRun(t, srv, "POST", "/api/v1/admin/requests/"+approved.ID+"/revoke", tok, []biCase{
			{name: fmt.Sprintf("revoke note #%d", i), body: `{"note":` + q + `}`, mention: "note"},
		})
		biRun(t, srv, "POST", "/api/v1/admin/users", tok, []biCase{
			{name: fmt.Sprintf("email with a line break #%d", i), body: `{"email":` + strconv.Quote("eve@example.com"+name[3:]) + `}`, mention: "email"},
		})
	}
	biSame(t, "header injections", before, biSnapshot(t, admin))
	if r := adminRequest(t, admin, pending.ID); r.Status != api.StatusPending || r.Note != "" {
		t.Errorf("pending request after the refused denials: %+v", r)
	}
	if r := adminRequest(t, admin, approved.ID); r.Status != api.StatusApproved || r.Note != "" {
		t.Errorf("approved request after the refused revocations: %+v", r)
	}
	if u, err := admin.Users(t.Context()); err == nil {
		for _, x := range u {
			if x.ID == aliceUser.ID && x.Name != aliceUser.Name {
				t.Errorf("alice renamed to %q", x.Name)
			}
		}
	}

	// HTML in a reason is text: accepted, and escaped in the admin email.
	if _, err := alice.Cancel(t.Context(), pending.ID); err != nil {
		t.Fatal(err)
	}
	script := `<script>alert(1)</script> & "quotes"`
	req, err := alice.Request(t.Context(), n.ID, script, 0)
	if err != nil {
		t.Fatalf("a reason with HTML: %v", err)
	}
	if req.Reason != script {
		t.Errorf("stored reason %q", req.Reason)
	}
	srv.Advance(access.AdminMailHold) // a request after a cancellation is mailed a minute later
	m := srv.SMTP.WaitFor(t, func(m smtptest.Received) bool {
		return len(m.To) == 1 && m.To[0] == backendtest.AdminEmail && strings.Contains(m.Text(), "alert(1)")
	}, 10*time.Second)
	html := m.HTML()
	if !strings.Contains(html, "&lt;script&gt;alert(1)&lt;/script&gt;") {
		t.Errorf("the HTML part lacks the escaped reason:\n%s", html)
	}
	if strings.Contains(strings.ToLower(html), "<script") {
		t.Errorf("the HTML part has a <script> tag:\n%s", html)
	}
	if !strings.Contains(m.Text(), script) {
		t.Errorf("the text part lacks the reason as typed:\n%s", m.Text())
	}
	if strings.ContainsAny(m.Subject, "\r\n") || m.Subject == "" {
		t.Errorf("subject %q", m.Subject)
	}
	for _, msg := range srv.SMTP.Messages() {
		if len(msg.HeaderValues("Bcc")) > 0 || len(msg.To) != 1 {
			t.Errorf("a message with extra recipients: to %v, bcc %v", msg.To, msg.HeaderValues("Bcc"))
		}
		hdr, _, _ := bytes.Cut(msg.Data, []byte("\r\n\r\n"))
		if bytes.Contains(hdr, []byte("x@evil")) {
			t.Errorf("a message header names x@evil:\n%s", hdr)
		}
	}
}

// TestBadInputDurations: bad wished and approved durations are 400; a
// refused approval leaves the request pending.
func TestBadInputDurations(t *testing.T) {
	srv := backendtest.NewServer(t)
	admin := srv.Admin(t)
	alice, _ := srv.NewUser(t, "alice@example.com", api.RoleUser)
	day, hour := int64(86400), int64(3600)
	n := srv.NewNetwork(t, "staging", func(in *api.NetworkInput) {
		in.MaxDurationSeconds, in.DefaultDurationSeconds = &day, &hour
	})
	path := "/api/v1/networks/" + n.ID + "/requests"

	before := biSnapshot(t, admin)
	biRun(t, srv, "POST", path, alice.Token(), []biCase{
		{name: "wished 0", body: `{"reason":"x","duration_seconds":0}`, mention: "duration_seconds"},
		{name: "wished -1", body: `{"reason":"x","duration_seconds":-1}`, mention: "duration_seconds"},
		{name: "wished MinInt64", body: `{"reason":"x","duration_seconds":` + strconv.FormatInt(math.MinInt64, 10) + `}`, mention: "duration_seconds"},
		{name: "wished MaxInt64", body: `{"reason":"x","duration_seconds":` + strconv.FormatInt(math.MaxInt64, 10) + `}`, mention: "duration_seconds"},
		{name: "wished over int64", body: `{"reason":"x","duration_seconds":9223372036854775808}`, mention: "duration_seconds"},
		{name: "wished over the network maximum", body: `{"reason":"x","duration_seconds":86401}`, mention: "duration_seconds"},
		{name: "wished over MaxGrant", body: `{"reason":"x","duration_seconds":31536001}`, mention: "duration_seconds"},
		{name: "wished 1.5", body: `{"reason":"x","duration_seconds":1.5}`, mention: "duration_seconds"},
		{name: "wished as a string", body: `{"reason":"x","duration_seconds":"3600"}`, mention: "duration_seconds"},
		{name: "wished 1e3", body: `{"reason":"x","duration_seconds":1e3}`, mention: "duration_seconds"},
	})
	biSame(t, "bad wished durations", before, biSnapshot(t, admin))

	req, err := alice.Request(t.Context(), n.ID, "deploy", 0)
	if err != nil {
		t.Fatal(err)
	}
	before = biSnapshot(t, admin)
	biRun(t, srv, "POST", "/api/v1/admin/requests/"+req.ID+"/approve", admin.Token(), []biCase{
		{name: "approve 0", body: `{"duration_seconds":0}`, mention: "duration_seconds"},
		{name: "approve -1", body: `{"duration_seconds":-1}`, mention: "duration_seconds"},
		{name: "approve MinInt64", body: `{"duration_seconds":` + strconv.FormatInt(math.MinInt64, 10) + `}`, mention: "duration_seconds"},
		{name: "approve MaxInt64", body: `{"duration_seconds":` + strconv.FormatInt(math.MaxInt64, 10) + `}`, mention: "duration_seconds"},
		{name: "approve over int64", body: `{"duration_seconds":9223372036854775808}`, mention: "duration_seconds"},
		{name: "approve over the network maximum", body: `{"duration_seconds":86401}`, mention: "maximum"},
		{name: "approve 1.5", body: `{"duration_seconds":1.5}`, mention: "duration_seconds"},
		{name: "approve as a string", body: `{"duration_seconds":"3600"}`, mention: "duration_seconds"},
		{name: "approve with an unknown field", body: `{"duration":3600}`, mention: "duration"},
	})
	biSame(t, "bad approvals", before, biSnapshot(t, admin))
	if r := adminRequest(t, admin, req.ID); r.Status != api.StatusPending || r.DecidedAt != nil || r.ExpiresAt != nil {
		t.Fatalf("after the refused approvals: %+v", r)
	}
	// The typed client refuses the same way.
	_, err = admin.Approve(t.Context(), req.ID, -time.Second)
	backendtest.WantStatus(t, "typed approve -1s", err, 400)
	_, err = admin.Approve(t.Context(), req.ID, 25*time.Hour)
	backendtest.WantStatus(t, "typed approve 25h", err, 400)

	// The maximum itself is fine.
	got, err := admin.Approve(t.Context(), req.ID, 24*time.Hour)
	if err != nil || got.Status != api.StatusApproved || got.GrantedSeconds != day {
		t.Fatalf("approve the maximum: %+v %v", got, err)
	}
}

// TestBadInputMalformedBodies: malformed JSON, the wrong JSON value,
// trailing data, unknown fields, wrong types, a huge body and a non-JSON
// content type are refused on every endpoint with a body, nothing stored.
func TestBadInputMalformedBodies(t *testing.T) {
	srv := backendtest.NewServer(t)
	admin := srv.Admin(t)
	alice, aliceUser := srv.NewUser(t, "alice@example.com", api.RoleUser)
	n := srv.NewNetwork(t, "staging")
	req, err := alice.Request(t.Context(), n.ID, "deploy", 0)
	if err != nil {
		t.Fatal(err)
	}
	huge := `{"reason":"` + strings.Repeat("a", 10<<20) + `"}`

	common := func(valid string, emptyOK bool) []biCase {
		withExtra := func(field string) string {
			if valid == `{}` {
				return `{` + field + `:1}`
			}
			return strings.TrimSuffix(valid, "}") + `,` + field + `:1}`
		}
		cases := []biCase{
			{name: "cut short", body: `{"reason":`, mention: "JSON"},
			{name: "cut short after a value", body: strings.TrimSuffix(valid, "}"), mention: "JSON"},
			{name: "not JSON", body: `reason=x`, mention: "JSON"},
			{name: "a JSON array", body: `[` + valid + `]`, mention: "JSON object, not a JSON array"},
			{name: "an empty array", body: `[]`, mention: "JSON object, not a JSON array"},
			{name: "a JSON string", body: `"x"`, mention: "JSON object, not a JSON string"},
			{name: "a JSON number", body: `5`, mention: "JSON object, not a JSON number"},
			{name: "trailing object", body: valid + `{}`, mention: "after"},
			{name: "trailing garbage", body: valid + ` x`, mention: "after"},
			{name: "trailing second object", body: valid + valid, mention: "after"},
			{name: "unknown field", body: withExtra(`"extra"`), mention: `"extra"`},
			{name: "unknown field, capitalised", body: withExtra(`"Extra"`), mention: `"extra"`},
			{name: "10 MB", body: huge, status: http.StatusRequestEntityTooLarge},
			{name: "text/plain", body: valid, contentType: "text/plain", status: http.StatusUnsupportedMediaType, mention: "JSON"},
			{name: "form", body: `reason=x`, contentType: "application/x-www-form-urlencoded", status: http.StatusUnsupportedMediaType, mention: "JSON"},
		}
		if !emptyOK {
			cases = append(cases, biCase{name: "empty body", body: ``, mention: "empty"})
		}
		return cases
	}
	type endpoint struct {
		method, path, token string
		valid               string // a valid body, so a refusal is for the damage alone
		emptyOK             bool
		extra               []biCase
	}
	endpoints := []endpoint{
		{"POST", "/api/v1/networks/" + n.ID + "/requests", alice.Token(), `{"reason":"x"}`, false, []biCase{
			{name: "reason a number", body: `{"reason":5}`, mention: "reason"},
			{name: "reason an object", body: `{"reason":{}}`, mention: "reason"},
			{name: "reason an array", body: `{"reason":["x"]}`, mention: "reason"},
			{name: "reason true", body: `{"reason":true}`, mention: "reason"},
		}},
		{"POST", "/api/v1/devices", alice.Token(), `{"name":"laptop","public_key":"` + fixedKey(9) + `"}`, false, []biCase{
			{name: "public_key a number", body: `{"public_key":5}`, mention: "public_key"},
		}},
		{"POST", "/api/v1/admin/requests/" + req.ID + "/approve", admin.Token(), `{"duration_seconds":3600}`, true, nil},
		{"POST", "/api/v1/admin/requests/" + req.ID + "/deny", admin.Token(), `{"note":"no"}`, true, []biCase{
			{name: "note a number", body: `{"note":5}`, mention: "note"},
		}},
		{"POST", "/api/v1/admin/networks", admin.Token(), `{"name":"new-net","cidr":"10.60.0.0/24"}`, false, []biCase{
			{name: "listen_port a string", body: `{"name":"new-net","cidr":"10.60.0.0/24","listen_port":"51900"}`, mention: "listen_port"},
			{name: "routes a string", body: `{"name":"new-net","cidr":"10.60.0.0/24","routes":"10.0.0.0/8"}`, mention: "routes"},
			{name: "jit_enabled a string", body: `{"name":"new-net","cidr":"10.60.0.0/24","jit_enabled":"false"}`, mention: "jit_enabled"},
		}},
		{"PATCH", "/api/v1/admin/networks/" + n.ID, admin.Token(), `{"jit_enabled":false}`, false, nil},
		{"POST", "/api/v1/admin/users", admin.Token(), `{"email":"eve@example.com","password":"Harbor-Quince-Ember-58"}`, false, []biCase{
			{name: "role not a role", body: `{"email":"eve@example.com","password":"Harbor-Quince-Ember-58","role":"root"}`, mention: "role"},
		}},
		{"PATCH", "/api/v1/admin/users/" + aliceUser.ID, admin.Token(), `{"role":"admin"}`, false, []biCase{
			{name: "disabled a string", body: `{"disabled":"true"}`, mention: "disabled"},
			{name: "role not a role", body: `{"role":"root"}`, mention: "role"},
		}},
		{"PATCH", "/api/v1/admin/settings", admin.Token(), `{"public_url":"https://gatepass.example.com"}`, false, nil},
		{"POST", "/api/v1/login", "", `{"email":"alice@example.com","password":"` + backendtest.UserPassword + `"}`, false, nil},
		{"POST", "/api/v1/requests/" + req.ID + "/cancel", alice.Token(), `{}`, true, nil},
	}

	settingsBefore, err := admin.Settings(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	before := biSnapshot(t, admin)
	for _, ep := range endpoints {
		biRun(t, srv, ep.method, ep.path, ep.token, append(common(ep.valid, ep.emptyOK), ep.extra...))
	}
	biSame(t, "malformed bodies", before, biSnapshot(t, admin))
	if r := adminRequest(t, admin, req.ID); r.Status != api.StatusPending {
		t.Errorf("the request is %s after the malformed bodies", r.Status)
	}
	if s, err := admin.Settings(t.Context()); err != nil || s.PublicURL != settingsBefore.PublicURL {
		t.Errorf("settings changed: %+v %v", s, err)
	}
	if devs, err := alice.Devices(t.Context()); err != nil || len(devs) != 0 {
		t.Errorf("devices after the malformed bodies: %+v %v", devs, err)
	}
	if u, err := alice.Me(t.Context()); err != nil || u.Role != api.RoleUser {
		t.Errorf("alice after the malformed bodies: %+v %v", u, err)
	}
	if x, err := admin.Networks(t.Context()); err != nil || len(x) != 1 || !x[0].JITEnabled {
		t.Errorf("networks after the malformed bodies: %+v %v", x, err)
	}

	// A JSON content type with parameters, or none at all, is fine: the
	// valid bodies were refused for their damage alone.
	r := backendtest.Do(t, "POST", srv.URL+"/api/v1/admin/requests/"+req.ID+"/deny", admin.Token(), "Application/JSON; charset=utf-8", `{"note":"x"}`)
	if r.Status != http.StatusOK {
		t.Fatalf("deny with a JSON content type and charset: %d %s", r.Status, r.Body)
	}
	r = backendtest.Do(t, "POST", srv.URL+"/api/v1/networks/"+n.ID+"/requests", alice.Token(), "", `{"reason":"x"}`)
	if r.Status != http.StatusCreated {
		t.Fatalf("a request without a content type: %d %s", r.Status, r.Body)
	}
}

// TestBadInputNotFound: ids that do not exist are 404 with a JSON error.
func TestBadInputNotFound(t *testing.T) {
	srv := backendtest.NewServer(t)
	admin := srv.Admin(t)
	alice, _ := srv.NewUser(t, "alice@example.com", api.RoleUser)
	srv.NewNetwork(t, "staging")
	at, ut := admin.Token(), alice.Token()

	before := biSnapshot(t, admin)
	for _, tc := range []struct {
		method, path, token, body string
	}{
		{"GET", "/api/v1/requests/req_doesnotexist", ut, ``},
		{"GET", "/api/v1/requests/req_doesnotexist", at, ``},
		{"POST", "/api/v1/requests/req_doesnotexist/cancel", ut, ``},
		{"POST", "/api/v1/requests/req_doesnotexist/release", ut, ``},
		{"GET", "/api/v1/admin/requests/req_doesnotexist", at, ``},
		{"POST", "/api/v1/admin/requests/req_doesnotexist/approve", at, `{"duration_seconds":3600}`},
		{"POST", "/api/v1/admin/requests/req_doesnotexist/approve", at, ``},
		{"POST", "/api/v1/admin/requests/req_doesnotexist/deny", at, `{"note":"no"}`},
		{"POST", "/api/v1/admin/requests/req_doesnotexist/revoke", at, `{}`},
		{"POST", "/api/v1/networks/net_nope/requests", ut, `{"reason":"x"}`},
		{"GET", "/api/v1/admin/networks/net_nope", at, ``},
		{"PATCH", "/api/v1/admin/networks/net_nope", at, `{"jit_enabled":false}`},
		{"DELETE", "/api/v1/admin/networks/net_nope", at, ``},
		{"PATCH", "/api/v1/admin/users/usr_nope", at, `{"name":"x"}`},
		{"POST", "/api/v1/admin/outbox/999999/retry", at, ``},
		{"POST", "/api/v1/admin/outbox/not-a-number/retry", at, ``},
		{"GET", "/api/v1/no-such-endpoint", ut, ``},
	} {
		what := tc.method + " " + tc.path
		backendtest.Do(t, tc.method, srv.URL+tc.path, tc.token, "application/json", tc.body).WantError(t, what, http.StatusNotFound)
	}
	biSame(t, "missing ids", before, biSnapshot(t, admin))
}

// TestBadInputPublicKeys: a device key must be base64 of 32 bytes, not all
// zero; nothing is stored otherwise.
func TestBadInputPublicKeys(t *testing.T) {
	srv := backendtest.NewServer(t)
	admin := srv.Admin(t)
	alice, _ := srv.NewUser(t, "alice@example.com", api.RoleUser)
	srv.NewNetwork(t, "staging")
	b64 := base64.StdEncoding.EncodeToString
	valid := fixedKey(7)

	var cases []biCase
	for _, k := range []struct{ name, key string }{
		{"empty", ""},
		{"not base64", "not base64!"},
		{"31 bytes", b64(bytes.Repeat([]byte{7}, 31))},
		{"33 bytes", b64(bytes.Repeat([]byte{7}, 33))},
		{"32 zero bytes", b64(make([]byte, 32))},
		{"URL-safe alphabet", strings.NewReplacer("+", "-", "/", "_").Replace(b64(append([]byte{0xfb, 0xff}, bytes.Repeat([]byte{7}, 30)...)))},
		{"no padding", strings.TrimRight(valid, "=")},
		{"hex", strings.Repeat("07", 32)},
		{"surrounding spaces", " " + valid + " "},
	} {
		cases = append(cases, biCase{name: k.name, body: `{"name":"laptop","public_key":` + strconv.Quote(k.key) + `}`, mention: "public_key"})
	}
	cases = append(cases,
		biCase{name: "missing", body: `{"name":"laptop"}`, mention: "public_key"},
		biCase{name: "name with CRLF", body: `{"name":"a\r\nb","public_key":"` + valid + `"}`, mention: "name"},
		biCase{name: "name too long", body: `{"name":"` + strings.Repeat("n", 65) + `","public_key":"` + valid + `"}`, mention: "name"},
	)
	before := biSnapshot(t, admin)
	biRun(t, srv, "POST", "/api/v1/devices", alice.Token(), cases)
	biSame(t, "bad public keys", before, biSnapshot(t, admin))
	if devs, err := alice.Devices(t.Context()); err != nil || len(devs) != 0 {
		t.Errorf("devices after the bad keys: %+v %v", devs, err)
	}
	// The valid key is accepted.
	if d, err := alice.RegisterDevice(t.Context(), "laptop", valid); err != nil || d.PublicKey != valid {
		t.Fatalf("a valid key: %+v %v", d, err)
	}
}

// TestBadInputNetworkCreate: bad network fields are 400 naming the field;
// nothing is created.
func TestBadInputNetworkCreate(t *testing.T) {
	srv := backendtest.NewServer(t)
	admin := srv.Admin(t)
	existing := srv.NewNetwork(t, "staging")

	body := func(extra string) string { return `{"name":"new-net","cidr":"10.60.0.0/24"` + extra + `}` }
	cases := []biCase{
		{name: "no name", body: `{"cidr":"10.60.0.0/24"}`, mention: "name"},
		{name: "empty name", body: `{"name":"","cidr":"10.60.0.0/24"}`, mention: "name"},
		{name: "name with spaces", body: `{"name":"new net","cidr":"10.60.0.0/24"}`, mention: "name"},
		{name: "name of 64 characters", body: `{"name":"` + strings.Repeat("n", 64) + `","cidr":"10.60.0.0/24"}`, mention: "name"},
		{name: "name starting with a dot", body: `{"name":".net","cidr":"10.60.0.0/24"}`, mention: "name"},
		{name: "name with a slash", body: `{"name":"a/b","cidr":"10.60.0.0/24"}`, mention: "name"},
		{name: "name with non-ASCII", body: `{"name":"nét","cidr":"10.60.0.0/24"}`, mention: "name"},
		{name: "no cidr", body: `{"name":"new-net"}`, mention: "cidr"},
		{name: "bad cidr", body: `{"name":"new-net","cidr":"10.60.0.0"}`, mention: "cidr"},
		{name: "garbage cidr", body: `{"name":"new-net","cidr":"banana"}`, mention: "cidr"},
		{name: "cidr /31", body: `{"name":"new-net","cidr":"10.60.0.0/31"}`, mention: "cidr"},
		{name: "cidr /32", body: `{"name":"new-net","cidr":"10.60.0.1/32"}`, mention: "cidr"},
		{name: "cidr /4", body: `{"name":"new-net","cidr":"16.0.0.0/4"}`, mention: "cidr"},
		{name: "cidr /0", body: `{"name":"new-net","cidr":"0.0.0.0/0"}`, mention: "cidr"},
		{name: "cidr octet 256", body: `{"name":"new-net","cidr":"10.256.0.0/24"}`, mention: "cidr"},
		{name: "bad route", body: body(`,"routes":["192.168.1.0"]`), mention: "routes"},
		{name: "garbage route", body: body(`,"routes":["10.0.0.0/8","banana"]`), mention: "routes"},
		{name: "port 0", body: body(`,"listen_port":0`), mention: "listen_port"},
		{name: "port -1", body: body(`,"listen_port":-1`), mention: "listen_port"},
		{name: "port 70000", body: body(`,"listen_port":70000`), mention: "listen_port"},
		{name: "endpoint without port", body: body(`,"endpoint":"vpn.example.com"`), mention: "endpoint"},
		{name: "endpoint with port 0", body: body(`,"endpoint":"vpn.example.com:0"`), mention: "endpoint"},
		{name: "endpoint with port 70000", body: body(`,"endpoint":"vpn.example.com:70000"`), mention: "endpoint"},
		{name: "endpoint without host", body: body(`,"endpoint":":51820"`), mention: "endpoint"},
		{name: "endpoint with a line break", body: body(`,"endpoint":"vpn.example.com:51820\r\nx"`), mention: "endpoint"},
		{name: "endpoint host with a line break", body: body(`,"endpoint":"vpn\nPostUp = id #.example.com:51820"`), mention: "endpoint"},
		{name: "endpoint host with a space", body: body(`,"endpoint":"vpn example.com:51820"`), mention: "endpoint"},
		{name: "endpoint host with a hash", body: body(`,"endpoint":"vpn#x:51820"`), mention: "endpoint"},
		{name: "endpoint with an IPv6 zone", body: body(`,"endpoint":"[fe80::1%eth0]:51820"`), mention: "endpoint"},
		{name: "max duration 0", body: body(`,"max_duration_seconds":0`), mention: "max_duration_seconds"},
		{name: "max duration over a year", body: body(`,"max_duration_seconds":31536001`), mention: "max_duration_seconds"},
		{name: "default duration negative", body: body(`,"default_duration_seconds":-5`), mention: "default_duration_seconds"},
		{name: "default over max", body: body(`,"default_duration_seconds":7200,"max_duration_seconds":3600`), mention: "default_duration_seconds"},
		{name: "unknown member", body: body(`,"member_ids":["usr_nope"]`), mention: "member_ids"},
		{name: "description with a line break", body: body(`,"description":"a\nb"`), mention: "description"},
	}
	before := biSnapshot(t, admin)
	netsBefore, err := admin.Networks(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	biRun(t, srv, "POST", "/api/v1/admin/networks", admin.Token(), cases)
	// The same fields on PATCH.
	var patch []biCase
	for _, c := range cases {
		if strings.HasPrefix(c.name, "no ") || c.name == "empty name" {
			continue
		}
		patch = append(patch, c)
	}
	biRun(t, srv, "PATCH", "/api/v1/admin/networks/"+existing.ID, admin.Token(), patch)
	biSame(t, "bad networks", before, biSnapshot(t, admin))
	nets, err := admin.Networks(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if len(nets) != 1 || nets[0].ID != existing.ID || !jsonEqual(t, nets, netsBefore) {
		t.Errorf("networks after the refusals: %+v, want %+v", nets, netsBefore)
	}
	// The valid body is accepted: the refusals were for the damage alone.
	if _, err := admin.CreateNetwork(t.Context(), api.NetworkInput{Name: biPtr("new-net"), CIDR: biPtr("10.60.0.0/24")}); err != nil {
		t.Fatalf("the valid network: %v", err)
	}
}

func biPtr[T any](v T) *T { return &v }

// TestBadInputRequestLists: bad filters of the request lists are 400.
func TestBadInputRequestLists(t *testing.T) {
	srv := backendtest.NewServer(t)
	admin := srv.Admin(t)
	alice, _ := srv.NewUser(t, "alice@example.com", api.RoleUser)
	for _, tc := range []struct {
		path, token, mention string
	}{
		{"/api/v1/admin/requests?status=bogus", admin.Token(), "status"},
		{"/api/v1/admin/requests?status=pending,bogus", admin.Token(), "status"},
		{"/api/v1/admin/requests?status=PENDING", admin.Token(), "status"},
		{"/api/v1/admin/requests?limit=0", admin.Token(), "limit"},
		{"/api/v1/admin/requests?limit=501", admin.Token(), "limit"},
		{"/api/v1/admin/requests?limit=-1", admin.Token(), "limit"},
		{"/api/v1/admin/requests?limit=ten", admin.Token(), "limit"},
		{"/api/v1/admin/requests?q=" + url.QueryEscape("a\r\nb"), admin.Token(), "q"},
		{"/api/v1/me/requests?status=bogus", alice.Token(), "status"},
		{"/api/v1/me/requests?limit=0", alice.Token(), "limit"},
		{"/api/v1/me/requests?limit=501", alice.Token(), "limit"},
		{"/api/v1/admin/outbox?status=bogus", admin.Token(), "status"},
		{"/api/v1/admin/outbox?limit=0", admin.Token(), "limit"},
		{"/api/v1/admin/audit?limit=0", admin.Token(), "limit"},
		{"/api/v1/admin/audit?since=yesterday", admin.Token(), "since"},
		{"/api/v1/admin/audit?format=xml", admin.Token(), "format"},
	} {
		e := backendtest.Do(t, "GET", srv.URL+tc.path, tc.token, "", "").WantError(t, "GET "+tc.path, http.StatusBadRequest)
		if e.Message != "" && !strings.Contains(e.Message, tc.mention) {
			t.Errorf("GET %s: message %q does not name %q", tc.path, e.Message, tc.mention)
		}
	}
	// The limits themselves are fine.
	for _, q := range []string{"limit=1", "limit=500", "status=ended", "status=pending,approved"} {
		if r := backendtest.Do(t, "GET", srv.URL+"/api/v1/admin/requests?"+q, admin.Token(), "", ""); r.Status != http.StatusOK {
			t.Errorf("GET /api/v1/admin/requests?%s: %d %s", q, r.Status, r.Body)
		}
	}
}
