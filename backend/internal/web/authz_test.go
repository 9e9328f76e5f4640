package web_test

import (
	"context"
	"go/ast"
	"go/parser"
	"go/token"
	"net/http"
	"net/url"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"gatepass.dev/backend/backendtest"
	"gatepass.dev/shared/api"
)

// route is one route of the web page as registered in the package source.
type route struct{ Method, Path string }

func (r route) String() string { return strings.TrimSpace(r.Method + " " + r.Path) }

// webRoutes reads every route pattern the package registers (each
// mux.HandleFunc call with a string literal pattern in a non-test file), so
// that a route added later is walked without anyone updating a list.
func webRoutes(t *testing.T) []route {
	t.Helper()
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	var out []route
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		af, err := parser.ParseFile(fset, f, nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
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
				t.Errorf("%s: a route pattern that is not a string literal", fset.Position(call.Pos()))
				return true
			}
			p, _ := strconv.Unquote(lit.Value)
			m, path, ok := strings.Cut(p, " ")
			if !ok {
				m, path = "", p
			}
			out = append(out, route{m, path})
			return true
		})
	}
	for _, want := range []route{{"GET", "/admin/requests"}, {"POST", "/admin/requests/{id}/grant"}, {"GET", "/admin/networks/{id}"}, {"GET", "/admin/users"}} {
		if !slices.Contains(out, want) {
			t.Fatalf("the route walk did not find %s among %v", want, out)
		}
	}
	return out
}

// publicRoutes need no session.
var publicRoutes = []route{
	{"GET", "/{$}"}, {"GET", "/admin"}, {"GET", "/admin/{$}"}, {"GET", "/admin/static/{file}"},
	{"GET", "/admin/login"}, {"POST", "/admin/login"}, {"GET", "/invite"}, {"POST", "/invite"},
	{"", "/admin/"}, {"", "/"},
}

// approverRoutes are the routes an approver who is not an admin may use:
// their queue, its requests, deciding and acknowledging them, the live
// updates, signing out. Every other route is the admins'.
var approverRoutes = []route{
	{"GET", "/admin/requests"}, {"GET", "/admin/requests/{id}"},
	{"POST", "/admin/requests/{id}/grant"}, {"POST", "/admin/requests/{id}/deny"}, {"POST", "/admin/requests/{id}/acknowledge"},
	{"GET", "/admin/events"}, {"POST", "/admin/logout"},
}

// TestApproverReachesOnlyTheirQueue walks every route of the page as Dana,
// who approves production-db and is not an admin: each admin route is the
// 403 page, which changes nothing; in her queue she sees and decides only
// production-db's requests — the staging-internal request's page is not
// found, and granting or denying it is refused as "no such request" and
// changes nothing; her own network's request she approves (1 of 2).
func TestApproverReachesOnlyTheirQueue(t *testing.T) {
	srv := demoServer(t)
	other := pendingDemoRequest(t, srv) // staging-internal: not Dana's
	prod := networkByName(t, srv, "production-db")
	mine, err := contractor(t, srv).Request(t.Context(), prod.ID, "Run the schema migration OPS-7", 0)
	if err != nil {
		t.Fatal(err)
	}
	c := demoApprover(t, srv, dana)
	auditBefore := len(srv.AuditRows(t, ""))

	fill := func(path string) string {
		path = strings.NewReplacer("{$}", "", "{file}", "app.css").Replace(path)
		parts := strings.Split(path, "/")
		for i, p := range parts {
			if strings.HasPrefix(p, "{") {
				switch parts[i-1] {
				case "requests":
					parts[i] = other.ID
				case "networks":
					parts[i] = other.NetworkID
				default:
					parts[i] = "x1"
				}
			}
		}
		return strings.Join(parts, "/")
	}
	for _, rt := range webRoutes(t) {
		if slices.Contains(publicRoutes, rt) || rt == (route{"POST", "/admin/logout"}) {
			continue
		}
		path := fill(rt.Path)
		if rt == (route{"GET", "/admin/events"}) {
			ctx, cancel := context.WithCancel(t.Context())
			req, _ := http.NewRequestWithContext(ctx, "GET", srv.URL+path, nil)
			resp, err := c.hc.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
				t.Errorf("%s: %d %s, want the event stream", rt, resp.StatusCode, resp.Header.Get("Content-Type"))
			}
			cancel()
			resp.Body.Close()
			continue
		}
		var p page_
		if rt.Method == "POST" {
			p = c.post(path, url.Values{"duration": {"3600"}, "note": {"x"}, "op": {"disable"}, "name": {"x"}})
		} else {
			p = c.get(path)
		}
		switch {
		case !slices.Contains(approverRoutes, rt):
			if p.Status != http.StatusForbidden || !strings.Contains(p.Body, "Admins only") || !strings.Contains(p.Body, "Go to your queue") {
				t.Errorf("%s as an approver: %d, want the 403 page that links her queue", rt, p.Status)
			}
		case rt.Method == "GET" && strings.Contains(rt.Path, "{id}"):
			if p.Status != http.StatusNotFound || strings.Contains(p.Body, other.Reason) {
				t.Errorf("%s of another network's request: %d, want 404 without its reason", rt, p.Status)
			}
		case rt.Method == "POST":
			if p.Status != http.StatusSeeOther {
				t.Errorf("%s on another network's request: %d, want a redirect with the refusal", rt, p.Status)
				continue
			}
			if back := c.get(p.Header.Get("Location")); !strings.Contains(back.Body, "there is no such request") {
				t.Errorf("%s on another network's request: the page after it does not say there is no such request", rt)
			}
		}
	}
	if got := requestStatus(t, srv, other.ID); got != api.StatusPending {
		t.Fatalf("the approver's walk changed another network's request to %s", got)
	}
	for _, e := range srv.AuditRows(t, "")[:len(srv.AuditRows(t, ""))-auditBefore] {
		if e.Action != "login" {
			t.Errorf("the approver's walk wrote %s %v", e.Action, e.Details)
		}
	}

	// Her queue: production-db only, also with another network's filter.
	for _, path := range []string{"/admin/requests", "/admin/requests?partial=1", "/admin/requests?network=" + other.NetworkID, "/admin/requests?status=pending&q=" + url.QueryEscape(other.UserEmail)} {
		p := c.get(path)
		if p.Status != http.StatusOK || strings.Contains(p.Body, other.Reason) || strings.Contains(p.Body, "staging-internal") {
			t.Errorf("%s shows another network's request (%d)", path, p.Status)
		}
	}
	p := c.get("/admin/requests")
	if !strings.Contains(p.Body, mine.Reason) || !strings.Contains(p.Body, "Your queue") || strings.Contains(p.Body, `href="/admin/networks"`) {
		t.Errorf("her queue lacks production-db's request, or shows the admins' navigation")
	}
	p = c.post("/admin/requests/"+mine.ID+"/grant", url.Values{"duration": {"3600"}, "next": {"/admin/requests/" + mine.ID}})
	if p.Status != http.StatusSeeOther {
		t.Fatalf("approving her network's request: %d\n%s", p.Status, p.Body)
	}
	got, err := srv.Admin(t).AdminRequest(t.Context(), mine.ID)
	if err != nil || got.Status != api.StatusPending || len(got.Approvals) != 1 || got.Approvals[0].By != dana {
		t.Errorf("after Dana's approval: %+v %v, want pending with her approval (1 of 2)", got, err)
	}
	// A user who approves nothing still gets the plain 403 page.
	srv.NewUser(t, "alice@example.com", api.RoleUser)
	alice := newWebClient(t, srv)
	alice.signIn("alice@example.com", backendtest.UserPassword)
	if p := alice.get("/admin/requests/" + mine.ID); p.Status != http.StatusForbidden || strings.Contains(p.Body, "your queue") {
		t.Errorf("a user who approves nothing: %d", p.Status)
	}
}
