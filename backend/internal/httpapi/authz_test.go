package httpapi_test

import (
	"encoding/base64"
	"encoding/json"
	"go/ast"
	"go/parser"
	"go/token"
	"maps"
	"net/http"
	"net/url"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"gatepass.dev/backend/backendtest"
	"gatepass.dev/shared/api"
	"gatepass.dev/shared/client"
)

// azRoute is one route of the API as registered in the package source.
type azRoute struct {
	Method string // "" for a pattern without a method
	Path   string // with {wildcards}
}

func (r azRoute) String() string { return r.Method + " " + r.Path }

// azRoutes reads every route pattern the package registers: each
// mux.Handle / mux.HandleFunc call with a string literal pattern in a
// non-test file of this package. A route added later is therefore walked by
// the tests below without anyone updating a list.
func azRoutes(t *testing.T) []azRoute {
	t.Helper()
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	var out []azRoute
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		af, err := parser.ParseFile(fset, f, nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatalf("parse %s: %v", f, err)
		}
		ast.Inspect(af, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok || len(call.Args) < 2 {
				return true
			}
			sel, ok := call.Fun.(*ast.SelectorExpr)
			if !ok || (sel.Sel.Name != "Handle" && sel.Sel.Name != "HandleFunc") {
				return true
			}
			lit, ok := call.Args[0].(*ast.BasicLit)
			if !ok || lit.Kind != token.STRING {
				t.Errorf("%s: a route pattern that is not a string literal: the route walk cannot see it", fset.Position(call.Pos()))
				return true
			}
			pattern, err := strconv.Unquote(lit.Value)
			if err != nil {
				t.Fatal(err)
			}
			method, path, ok := strings.Cut(pattern, " ")
			if !ok {
				method, path = "", pattern
			}
			out = append(out, azRoute{Method: method, Path: strings.TrimSpace(path)})
			return true
		})
	}
	// The walk must at least see the routes of DESIGN.md's API table; if it
	// does not, the parser lost its way and the tests below prove nothing.
	for _, want := range []azRoute{
		{"POST", "/api/v1/login"}, {"POST", "/api/v1/logout"}, {"POST", "/api/v1/invites/accept"},
		{"GET", "/api/v1/me"}, {"GET", "/api/v1/me/networks"}, {"GET", "/api/v1/me/events"}, {"GET", "/api/v1/me/requests"},
		{"GET", "/api/v1/devices"}, {"POST", "/api/v1/devices"},
		{"POST", "/api/v1/networks/{id}/requests"}, {"GET", "/api/v1/requests/{id}"},
		{"POST", "/api/v1/requests/{id}/cancel"}, {"POST", "/api/v1/requests/{id}/release"},
		{"GET", "/api/v1/admin/requests"}, {"GET", "/api/v1/admin/requests/{id}"},
		{"POST", "/api/v1/admin/requests/{id}/approve"}, {"POST", "/api/v1/admin/requests/{id}/deny"}, {"POST", "/api/v1/admin/requests/{id}/revoke"},
		{"GET", "/api/v1/admin/networks"}, {"POST", "/api/v1/admin/networks"}, {"GET", "/api/v1/admin/networks/{id}"},
		{"PATCH", "/api/v1/admin/networks/{id}"}, {"DELETE", "/api/v1/admin/networks/{id}"},
		{"GET", "/api/v1/admin/users"}, {"POST", "/api/v1/admin/users"}, {"PATCH", "/api/v1/admin/users/{id}"},
		{"GET", "/api/v1/admin/audit"}, {"GET", "/api/v1/admin/outbox"}, {"POST", "/api/v1/admin/outbox/{id}/retry"},
		{"GET", "/api/v1/admin/settings"}, {"PATCH", "/api/v1/admin/settings"}, {"POST", "/api/v1/admin/settings/test-email"},
		{"GET", "/healthz"}, {"GET", "/metrics"},
	} {
		if !slices.Contains(out, want) {
			t.Fatalf("the route walk did not find %s among %v", want, out)
		}
	}
	return out
}

// azPublic lists the /api/v1 routes that need no token.
var azPublic = map[azRoute]bool{
	{"POST", "/api/v1/login"}:          true,
	{"POST", "/api/v1/invites/accept"}: true,
	{"POST", "/api/v1/gateway/enroll"}: true, // the enroll token is in the body
}

// azFill replaces each {wildcard} of a path by ids[wildcard] or, when
// absent, by def.
func azFill(path string, def string, ids map[string]string) string {
	parts := strings.Split(path, "/")
	for i, p := range parts {
		if strings.HasPrefix(p, "{") && strings.HasSuffix(p, "}") {
			name := strings.TrimSuffix(strings.TrimPrefix(p, "{"), "}")
			name = strings.TrimSuffix(name, "...")
			v, ok := ids[name]
			if !ok {
				v = def
			}
			parts[i] = url.PathEscape(v)
		}
	}
	return strings.Join(parts, "/")
}

// TestAuthzEveryRouteNeedsAToken walks every /api/v1 route of the package
// except login and invites/accept: without a token, with a garbage or
// malformed one, with a token revoked by logout and with an expired one,
// each is 401 with WWW-Authenticate and a JSON error. /healthz, login and
// invites/accept answer without a token; /metrics is not served at all
// without a metrics setting (see TestMetricsAccess).
func TestAuthzEveryRouteNeedsAToken(t *testing.T) {
	srv := backendtest.NewServer(t)
	routes := azRoutes(t)
	_, _ = srv.NewUser(t, "alice@example.com", api.RoleUser)

	// A token revoked by logout.
	revoked := srv.Login(t, "alice@example.com", backendtest.UserPassword)
	revokedToken := revoked.Token()
	if _, err := revoked.Me(t.Context()); err != nil {
		t.Fatalf("the token works before logout: %v", err)
	}
	if err := revoked.Logout(t.Context()); err != nil {
		t.Fatal(err)
	}
	// A token that will expire (30 days after login).
	expiring := srv.Login(t, "alice@example.com", backendtest.UserPassword)
	expiringToken := expiring.Token()

	var protected []azRoute
	for _, r := range routes {
		if !strings.HasPrefix(r.Path, "/api/v1/") || azPublic[r] {
			continue
		}
		if r.Method == "" {
			t.Errorf("route %q has no method: every /api/v1 route should name one", r.Path)
			continue
		}
		protected = append(protected, r)
	}

	check := func(label, token string) {
		t.Helper()
		for _, r := range protected {
			path := azFill(r.Path, "x1", nil)
			res := backendtest.Do(t, r.Method, srv.URL+path, token, "application/json", `{}`)
			what := label + ": " + r.Method + " " + path
			res.WantError(t, what, http.StatusUnauthorized)
			if res.Status == http.StatusUnauthorized && !strings.HasPrefix(res.Header.Get("WWW-Authenticate"), "Bearer") {
				t.Errorf("%s: WWW-Authenticate %q, want a Bearer challenge", what, res.Header.Get("WWW-Authenticate"))
			}
		}
	}
	check("no token", "")
	check("garbage token", "garbage-token-that-was-never-issued")
	check("empty bearer", "raw:Bearer ")
	check("basic scheme", "raw:Basic "+base64.StdEncoding.EncodeToString([]byte("admin@example.com:"+backendtest.AdminPassword)))
	check("revoked token", revokedToken)

	// The expiring token still works one second before its 30 days end.
	srv.Advance(30*24*time.Hour - time.Second)
	if _, err := expiring.Me(t.Context()); err != nil {
		t.Fatalf("the token fails before 30 days: %v", err)
	}
	srv.Advance(2 * time.Second)
	check("expired token", expiringToken)

	// The public routes answer without a token.
	if res := backendtest.Do(t, "GET", srv.URL+"/healthz", "", "", ""); res.Status != http.StatusOK {
		t.Errorf("GET /healthz without a token: %d %s", res.Status, res.Body)
	}
	if res := backendtest.Do(t, "GET", srv.URL+"/metrics", "", "", ""); res.Status != http.StatusNotFound {
		t.Errorf("GET /metrics without a metrics setting: %d %s, want 404", res.Status, res.Body)
	}
	for r := range azPublic {
		res := backendtest.Do(t, r.Method, srv.URL+r.Path, "", "application/json", `{}`)
		res.WantError(t, r.String()+" without a token and with an empty object", http.StatusBadRequest)
	}
}

// TestAuthzAdminRoutesRefuseUsers walks every /api/v1/admin route with a
// user's token: each is 403, and nothing changed.
func TestAuthzAdminRoutesRefuseUsers(t *testing.T) {
	srv := backendtest.NewServer(t)
	admin := srv.Admin(t)
	alice, _ := srv.NewUser(t, "alice@example.com", api.RoleUser)
	_, bob := srv.NewUser(t, "bob@example.com", api.RoleUser)
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
	settingsBefore, err := admin.Settings(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	auditBefore, err := admin.Audit(t.Context(), url.Values{"limit": {"10000"}})
	if err != nil {
		t.Fatal(err)
	}

	// Plausible bodies, so that an unprotected handler would act on them.
	bodies := map[string]string{
		"/api/v1/admin/requests/{id}/approve": `{"duration_seconds":3600}`,
		"/api/v1/admin/requests/{id}/deny":    `{"note":"no"}`,
		"/api/v1/admin/requests/{id}/revoke":  `{"note":"no"}`,
		"/api/v1/admin/networks":              `{"name":"evil","cidr":"10.99.0.0/24"}`,
		"/api/v1/admin/networks/{id}":         `{"jit_enabled":false}`,
		"/api/v1/admin/users":                 `{"email":"evil@example.com","role":"admin","password":"Harbor-Quince-Ember-58"}`,
		"/api/v1/admin/users/{id}":            `{"role":"admin"}`,
		"/api/v1/admin/settings":              `{"public_url":"https://evil.example.com"}`,
		"/api/v1/admin/settings/test-email":   `{"to":"evil@example.com"}`,
	}
	var admins int
	for _, r := range azRoutes(t) {
		if !strings.HasPrefix(r.Path, "/api/v1/admin/") && r.Path != "/api/v1/admin" {
			continue
		}
		admins++
		ids := map[string]string{"id": "x1"}
		switch {
		case strings.HasPrefix(r.Path, "/api/v1/admin/requests/{id}/revoke"):
			ids["id"] = approved.ID
		case strings.HasPrefix(r.Path, "/api/v1/admin/requests/"):
			ids["id"] = pending.ID
		case strings.HasPrefix(r.Path, "/api/v1/admin/networks/"):
			ids["id"] = n.ID
		case strings.HasPrefix(r.Path, "/api/v1/admin/users/"):
			ids["id"] = bob.ID
		case strings.HasPrefix(r.Path, "/api/v1/admin/outbox/"):
			ids["id"] = "1"
		}
		method := r.Method
		if method == "" {
			method = "GET"
		}
		body := bodies[r.Path]
		if body == "" {
			body = `{}`
		}
		path := azFill(r.Path, "x1", ids)
		res := backendtest.Do(t, method, srv.URL+path, alice.Token(), "application/json", body)
		res.WantError(t, "user: "+method+" "+path, http.StatusForbidden)
	}
	if admins < 19 {
		t.Fatalf("the walk found only %d admin routes", admins)
	}

	// The typed client's admin calls are refused too.
	_, err = alice.Approve(t.Context(), pending.ID, time.Hour)
	backendtest.WantStatus(t, "user approves", err, 403)
	_, err = alice.Deny(t.Context(), pending.ID, "")
	backendtest.WantStatus(t, "user denies", err, 403)
	_, err = alice.Revoke(t.Context(), approved.ID, "")
	backendtest.WantStatus(t, "user revokes", err, 403)
	_, err = alice.Networks(t.Context())
	backendtest.WantStatus(t, "user lists networks", err, 403)
	_, err = alice.Users(t.Context())
	backendtest.WantStatus(t, "user lists users", err, 403)

	// Nothing changed.
	if r := adminRequest(t, admin, pending.ID); r.Status != api.StatusPending {
		t.Errorf("pending request is now %s", r.Status)
	}
	if r := adminRequest(t, admin, approved.ID); r.Status != api.StatusApproved {
		t.Errorf("approved request is now %s", r.Status)
	}
	nets, err := admin.Networks(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if len(nets) != 2 {
		t.Errorf("networks after the walk: %d, want 2", len(nets))
	}
	for _, x := range nets {
		if !x.JITEnabled {
			t.Errorf("network %s lost JIT", x.Name)
		}
	}
	users, err := admin.Users(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if len(users) != 3 {
		t.Errorf("users after the walk: %d, want 3", len(users))
	}
	for _, u := range users {
		if u.ID == bob.ID && u.Role != api.RoleUser {
			t.Errorf("bob became %s", u.Role)
		}
	}
	if s, err := admin.Settings(t.Context()); err != nil || s.PublicURL != settingsBefore.PublicURL {
		t.Errorf("settings changed: %+v %v", s, err)
	}
	auditAfter, err := admin.Audit(t.Context(), url.Values{"limit": {"10000"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(auditAfter.Entries) != len(auditBefore.Entries) {
		t.Errorf("refused calls wrote %d audit rows", len(auditAfter.Entries)-len(auditBefore.Entries))
	}
}

// TestAuthzNoSelfDecision: an admin may file a request but neither approve
// nor deny it; another admin may.
func TestAuthzNoSelfDecision(t *testing.T) {
	srv := backendtest.NewServer(t)
	a := srv.Admin(t)
	b, bUser := srv.NewUser(t, "second-admin@example.com", api.RoleAdmin)
	n := srv.NewNetwork(t, "staging")

	req, err := a.Request(t.Context(), n.ID, "maintenance", time.Hour)
	if err != nil {
		t.Fatalf("an admin files a request: %v", err)
	}
	_, err = a.Approve(t.Context(), req.ID, time.Hour)
	backendtest.WantStatus(t, "A approves own request", err, 403)
	_, err = a.Deny(t.Context(), req.ID, "")
	backendtest.WantStatus(t, "A denies own request", err, 403)
	if r := adminRequest(t, b, req.ID); r.Status != api.StatusPending {
		t.Fatalf("after the refused self decisions: %s", r.Status)
	}
	got, err := b.Approve(t.Context(), req.ID, time.Hour)
	if err != nil {
		t.Fatalf("B approves A's request: %v", err)
	}
	if got.Status != api.StatusApproved || got.DecidedBy != bUser.Email {
		t.Fatalf("approved by B: %+v", got)
	}

	// And the other way round, with deny.
	req2, err := b.Request(t.Context(), n.ID, "debugging", 0)
	if err != nil {
		t.Fatal(err)
	}
	_, err = b.Deny(t.Context(), req2.ID, "no")
	backendtest.WantStatus(t, "B denies own request", err, 403)
	_, err = b.Approve(t.Context(), req2.ID, 0)
	backendtest.WantStatus(t, "B approves own request", err, 403)
	if got, err := a.Deny(t.Context(), req2.ID, "not now"); err != nil || got.Status != api.StatusDenied {
		t.Fatalf("A denies B's request: %+v %v", got, err)
	}

	// Only the two decisions that happened are in the audit log.
	audit, err := a.Audit(t.Context(), url.Values{"action": {"request.approve"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(audit.Entries) != 1 || audit.Entries[0].TargetID != req.ID || audit.Entries[0].ActorID != bUser.ID {
		t.Errorf("approve audit rows: %+v", audit.Entries)
	}
	audit, err = a.Audit(t.Context(), url.Values{"action": {"request.deny"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(audit.Entries) != 1 || audit.Entries[0].TargetID != req2.ID {
		t.Errorf("deny audit rows: %+v", audit.Entries)
	}
}

// TestAuthzOtherUsersRequest: user B can neither read, cancel nor release
// user A's request, pending or approved; A's request is unchanged.
func TestAuthzOtherUsersRequest(t *testing.T) {
	srv := backendtest.NewServer(t)
	admin := srv.Admin(t)
	alice, _ := srv.NewUser(t, "alice@example.com", api.RoleUser)
	bob, _ := srv.NewUser(t, "bob@example.com", api.RoleUser)
	n := srv.NewNetwork(t, "staging")
	req, err := alice.Request(t.Context(), n.ID, "deploy", time.Hour)
	if err != nil {
		t.Fatal(err)
	}

	tryAll := func(stage string, want api.RequestStatus) {
		t.Helper()
		before := adminRequest(t, admin, req.ID)
		_, err := bob.GetRequest(t.Context(), req.ID)
		backendtest.WantStatus(t, stage+": bob reads alice's request", err, 403)
		_, err = bob.Cancel(t.Context(), req.ID)
		backendtest.WantStatus(t, stage+": bob cancels alice's request", err, 403)
		_, err = bob.Release(t.Context(), req.ID)
		backendtest.WantStatus(t, stage+": bob releases alice's request", err, 403)
		after := adminRequest(t, admin, req.ID)
		if after.Status != want || !jsonEqual(t, before, after) {
			t.Errorf("%s: alice's request changed:\nbefore %+v\nafter  %+v", stage, before, after)
		}
		if mine, err := alice.GetRequest(t.Context(), req.ID); err != nil || mine.Status != want {
			t.Errorf("%s: alice reads her own request: %+v %v", stage, mine, err)
		}
	}
	tryAll("pending", api.StatusPending)
	if _, err := admin.Approve(t.Context(), req.ID, time.Hour); err != nil {
		t.Fatal(err)
	}
	tryAll("approved", api.StatusApproved)
	if st := backendtest.NetworkState(t, alice, n.ID).State; st != api.StateActive {
		t.Errorf("alice's network after bob's attempts: %s", st)
	}
	audit, err := admin.Audit(t.Context(), url.Values{"target": {req.ID}})
	if err != nil {
		t.Fatal(err)
	}
	if len(audit.Entries) != 2 {
		t.Errorf("audit rows of the request: %+v, want create and approve", audit.Entries)
	}
}

// TestAuthzNonMemberRequest: a request on a network the user does not
// belong to is 403 and stores nothing.
func TestAuthzNonMemberRequest(t *testing.T) {
	srv := backendtest.NewServer(t)
	admin := srv.Admin(t)
	alice, _ := srv.NewUser(t, "alice@example.com", api.RoleUser)
	_, bob := srv.NewUser(t, "bob@example.com", api.RoleUser)
	private := srv.NewNetwork(t, "bob-only", func(in *api.NetworkInput) { in.MemberIDs = &[]string{bob.ID} })

	before, err := admin.AdminRequests(t.Context(), client.RequestQuery{})
	if err != nil {
		t.Fatal(err)
	}
	outboxBefore, err := admin.Outbox(t.Context(), "")
	if err != nil {
		t.Fatal(err)
	}
	_, err = alice.Request(t.Context(), private.ID, "let me in", 0)
	backendtest.WantStatus(t, "alice requests bob-only", err, 403)

	mine, err := alice.MyNetworks(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	for _, x := range mine.Networks {
		if x.ID == private.ID {
			t.Errorf("alice's networks show bob-only: %+v", x)
		}
	}
	after, err := admin.AdminRequests(t.Context(), client.RequestQuery{})
	if err != nil {
		t.Fatal(err)
	}
	if after.Total != before.Total || len(after.Requests) != len(before.Requests) {
		t.Errorf("the refused request was stored: %d → %d requests", before.Total, after.Total)
	}
	myReqs, err := alice.MyRequests(t.Context(), client.RequestQuery{})
	if err != nil {
		t.Fatal(err)
	}
	if len(myReqs.Requests) != 0 {
		t.Errorf("alice's requests: %+v", myReqs.Requests)
	}
	audit, err := admin.Audit(t.Context(), url.Values{"action": {"request.create"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(audit.Entries) != 0 {
		t.Errorf("audit rows of the refused request: %+v", audit.Entries)
	}
	outboxAfter, err := admin.Outbox(t.Context(), "")
	if err != nil {
		t.Fatal(err)
	}
	if len(outboxAfter) != len(outboxBefore) {
		t.Errorf("the refused request queued %d emails", len(outboxAfter)-len(outboxBefore))
	}
}

// TestAuthzMyListsAreMine: /me/requests lists only the caller's requests
// (a ?user= of someone else changes nothing), /me/networks only the
// networks they belong to.
func TestAuthzMyListsAreMine(t *testing.T) {
	srv := backendtest.NewServer(t)
	alice, aliceUser := srv.NewUser(t, "alice@example.com", api.RoleUser)
	bob, bobUser := srv.NewUser(t, "bob@example.com", api.RoleUser)
	shared := srv.NewNetwork(t, "shared")
	bobOnly := srv.NewNetwork(t, "bob-only", func(in *api.NetworkInput) { in.MemberIDs = &[]string{bobUser.ID} })
	srv.NewNetwork(t, "alice-only", func(in *api.NetworkInput) { in.MemberIDs = &[]string{aliceUser.ID} })

	ra, err := alice.Request(t.Context(), shared.ID, "alice's reason", 0)
	if err != nil {
		t.Fatal(err)
	}
	rb1, err := bob.Request(t.Context(), shared.ID, "bob's reason", 0)
	if err != nil {
		t.Fatal(err)
	}
	rb2, err := bob.Request(t.Context(), bobOnly.ID, "bob's other reason", 0)
	if err != nil {
		t.Fatal(err)
	}

	ids := func(l api.RequestList) []string {
		var out []string
		for _, r := range l.Requests {
			out = append(out, r.ID)
		}
		slices.Sort(out)
		return out
	}
	for _, tc := range []struct {
		who  string
		c    *client.Client
		me   api.User
		q    client.RequestQuery
		want []string
	}{
		{"alice", alice, aliceUser, client.RequestQuery{}, []string{ra.ID}},
		{"alice ?user=bob", alice, aliceUser, client.RequestQuery{User: bobUser.ID}, []string{ra.ID}},
		{"alice ?network=bob-only", alice, aliceUser, client.RequestQuery{Network: bobOnly.ID}, nil},
		{"alice ?q=bob", alice, aliceUser, client.RequestQuery{Q: "bob"}, nil},
		{"bob", bob, bobUser, client.RequestQuery{}, []string{rb1.ID, rb2.ID}},
		{"bob ?user=alice", bob, bobUser, client.RequestQuery{User: aliceUser.ID}, []string{rb1.ID, rb2.ID}},
	} {
		l, err := tc.c.MyRequests(t.Context(), tc.q)
		if err != nil {
			t.Fatalf("%s: %v", tc.who, err)
		}
		want := slices.Clone(tc.want)
		slices.Sort(want)
		if got := ids(l); !slices.Equal(got, want) {
			t.Errorf("%s: my requests %v, want %v", tc.who, got, want)
		}
		if l.Total != len(want) {
			t.Errorf("%s: total %d, want %d (counts %v)", tc.who, l.Total, len(want), l.Counts)
		}
		for _, r := range l.Requests {
			if r.UserID != tc.me.ID {
				t.Errorf("%s: a request of %s in the list", tc.who, r.UserEmail)
			}
		}
	}

	names := func(c *client.Client) []string {
		res, err := c.MyNetworks(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, x := range res.Networks {
			out = append(out, x.Name)
		}
		slices.Sort(out)
		return out
	}
	if got := names(alice); !slices.Equal(got, []string{"alice-only", "shared"}) {
		t.Errorf("alice's networks %v", got)
	}
	if got := names(bob); !slices.Equal(got, []string{"bob-only", "shared"}) {
		t.Errorf("bob's networks %v", got)
	}
}

// TestAuthzLoginRateLimit: five wrong passwords for one email block the
// sixth attempt, even with the right password, with 429 and Retry-After;
// 15 minutes later the right password works. Every attempt is audited.
func TestAuthzLoginRateLimit(t *testing.T) {
	srv := backendtest.NewServer(t)
	admin := srv.Admin(t) // before the source address is blocked too
	_, alice := srv.NewUser(t, "alice@example.com", api.RoleUser)

	login := func(password string) backendtest.Response {
		body, _ := json.Marshal(api.LoginRequest{Email: "alice@example.com", Password: password})
		return backendtest.Do(t, "POST", srv.URL+"/api/v1/login", "", "application/json", string(body))
	}
	for i := 1; i <= 5; i++ {
		login("wrong-password-"+strconv.Itoa(i)).WantError(t, "wrong password #"+strconv.Itoa(i), http.StatusUnauthorized)
	}
	r := login(backendtest.UserPassword)
	r.WantError(t, "6th attempt with the right password", http.StatusTooManyRequests)
	ra, err := strconv.Atoi(r.Header.Get("Retry-After"))
	if err != nil || ra <= 0 || ra > 15*60 {
		t.Errorf("Retry-After %q, want seconds up to 900", r.Header.Get("Retry-After"))
	}

	srv.Advance(14 * time.Minute)
	r = login(backendtest.UserPassword)
	r.WantError(t, "after 14 minutes", http.StatusTooManyRequests)
	if ra2, _ := strconv.Atoi(r.Header.Get("Retry-After")); ra2 <= 0 || ra2 > 60 {
		t.Errorf("Retry-After after 14 minutes: %q, want at most 60", r.Header.Get("Retry-After"))
	}

	srv.Advance(time.Minute + time.Second)
	r = login(backendtest.UserPassword)
	if r.Status != http.StatusOK {
		t.Fatalf("after 15 minutes the right password: %d %s", r.Status, r.Body)
	}
	var ok api.LoginResponse
	if err := json.Unmarshal(r.Body, &ok); err != nil || ok.Token == "" || ok.User.ID != alice.ID {
		t.Fatalf("login answer %s: %v", r.Body, err)
	}

	failures, err := admin.Audit(t.Context(), url.Values{"action": {"login.failure"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(failures.Entries) != 5 {
		t.Errorf("login.failure rows: %d, want 5: %+v", len(failures.Entries), failures.Entries)
	}
	for _, e := range failures.Entries {
		if e.SourceAddr != "127.0.0.1" || e.ActorEmail != "alice@example.com" || e.Details["reason"] != "wrong password" {
			t.Errorf("login.failure row %+v", e)
		}
		if strings.Contains(azJSONString(t, e), "wrong-password-") {
			t.Errorf("a login.failure row holds the password tried: %+v", e)
		}
	}
	logins, err := admin.Audit(t.Context(), url.Values{"action": {"login"}, "actor": {alice.ID}})
	if err != nil {
		t.Fatal(err)
	}
	// NewUser signed alice in once; the last login is the second.
	if len(logins.Entries) != 2 || logins.Entries[0].SourceAddr != "127.0.0.1" || logins.Entries[0].Action != "login" {
		t.Errorf("alice's login rows: %+v", logins.Entries)
	}
	blocked, err := admin.Audit(t.Context(), url.Values{"action": {"login.blocked"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(blocked.Entries) != 2 {
		t.Errorf("login.blocked rows: %d, want 2", len(blocked.Entries))
	}
}

func azJSONString(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestAuthzAdminCannotLockThemselvesOut: an admin cannot disable their own
// account or drop their own admin role (409), and stays an admin.
func TestAuthzAdminCannotLockThemselvesOut(t *testing.T) {
	srv := backendtest.NewServer(t)
	admin := srv.Admin(t)
	me, err := admin.Me(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	yes, user := true, api.RoleUser
	for _, tc := range []struct {
		name  string
		patch api.UserPatch
	}{
		{"disable self", api.UserPatch{Disabled: &yes}},
		{"demote self", api.UserPatch{Role: &user}},
		{"both", api.UserPatch{Role: &user, Disabled: &yes}},
	} {
		_, err := admin.UpdateUser(t.Context(), me.ID, tc.patch)
		backendtest.WantStatus(t, tc.name, err, 409)
	}
	after, err := admin.Me(t.Context())
	if err != nil {
		t.Fatalf("the admin's token no longer works: %v", err)
	}
	if after.Role != api.RoleAdmin || after.Disabled {
		t.Fatalf("the admin changed: %+v", after)
	}
	// Harmless changes of oneself are fine.
	name, admRole := "The Admin", api.RoleAdmin
	if u, err := admin.UpdateUser(t.Context(), me.ID, api.UserPatch{Name: &name, Role: &admRole}); err != nil || u.Name != name {
		t.Fatalf("rename self: %+v %v", u, err)
	}
	audit, err := admin.Audit(t.Context(), url.Values{"action": {"user.update"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(audit.Entries) != 1 {
		t.Errorf("user.update rows: %+v, want only the rename", audit.Entries)
	}
}

// TestAuthzDeviceKeys: a public key belongs to one user; re-registering
// one's own key returns the same device; each device gets an address in
// each of its user's networks.
func TestAuthzDeviceKeys(t *testing.T) {
	srv := backendtest.NewServer(t)
	alice, aliceUser := srv.NewUser(t, "alice@example.com", api.RoleUser)
	bob, bobUser := srv.NewUser(t, "bob@example.com", api.RoleUser)
	n1 := srv.NewNetwork(t, "one")                                                                           // 10.100.0.0/24
	n2 := srv.NewNetwork(t, "two")                                                                           // 10.101.0.0/24
	n3 := srv.NewNetwork(t, "bob-only", func(in *api.NetworkInput) { in.MemberIDs = &[]string{bobUser.ID} }) // 10.102.0.0/24
	_ = aliceUser

	d1, err := alice.RegisterDevice(t.Context(), "laptop", fixedKey(1))
	if err != nil {
		t.Fatal(err)
	}
	want1 := map[string]string{n1.ID: "10.100.0.2/32", n2.ID: "10.101.0.2/32"}
	if !maps.Equal(d1.Addresses, want1) {
		t.Errorf("first device addresses %v, want %v", d1.Addresses, want1)
	}
	d2, err := alice.RegisterDevice(t.Context(), "desktop", fixedKey(2))
	if err != nil {
		t.Fatal(err)
	}
	want2 := map[string]string{n1.ID: "10.100.0.3/32", n2.ID: "10.101.0.3/32"}
	if d2.ID == d1.ID || !maps.Equal(d2.Addresses, want2) {
		t.Errorf("second device %+v, want new id and %v", d2, want2)
	}

	// Alice registers her first key again: 200, the same device.
	r := backendtest.Do(t, "POST", srv.URL+"/api/v1/devices", alice.Token(), "application/json",
		`{"name":"laptop again","public_key":"`+fixedKey(1)+`"}`)
	if r.Status != http.StatusOK {
		t.Fatalf("re-register own key: %d %s", r.Status, r.Body)
	}
	var again api.DeviceResponse
	if err := json.Unmarshal(r.Body, &again); err != nil {
		t.Fatal(err)
	}
	if again.ID != d1.ID || again.PublicKey != fixedKey(1) || !maps.Equal(again.Addresses, want1) {
		t.Errorf("re-registered device %+v, want %s with %v", again.Device, d1.ID, want1)
	}

	// Bob registers alice's key: 400 (another device's key), nothing stored for bob.
	backendtest.Do(t, "POST", srv.URL+"/api/v1/devices", bob.Token(), "application/json",
		`{"name":"stolen","public_key":"`+fixedKey(1)+`"}`).WantError(t, "bob registers alice's key", http.StatusBadRequest)
	if devs, err := bob.Devices(t.Context()); err != nil || len(devs) != 0 {
		t.Errorf("bob's devices after the refusal: %+v %v", devs, err)
	}
	// Bob's own key gets the next addresses, and one in his own network.
	db, err := bob.RegisterDevice(t.Context(), "bob's laptop", fixedKey(3))
	if err != nil {
		t.Fatal(err)
	}
	wantB := map[string]string{n1.ID: "10.100.0.4/32", n2.ID: "10.101.0.4/32", n3.ID: "10.102.0.2/32"}
	if !maps.Equal(db.Addresses, wantB) {
		t.Errorf("bob's device addresses %v, want %v", db.Addresses, wantB)
	}

	devs, err := alice.Devices(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if len(devs) != 2 {
		t.Fatalf("alice's devices: %+v", devs)
	}
	for _, d := range devs {
		if _, ok := d.Addresses[n3.ID]; ok {
			t.Errorf("alice's device %s has an address in bob-only", d.ID)
		}
	}
}
