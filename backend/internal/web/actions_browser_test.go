package web_test

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"gatepass.dev/backend/backendtest"
	"gatepass.dev/shared/api"
)

// TestBrowserDenyWithNote: Deny → the dialog asks for confirmation with an
// optional note → the request is denied, the user is emailed the note.
func TestBrowserDenyWithNote(t *testing.T) {
	srv := demoServer(t)
	user := contractor(t, srv)
	b := signedInBrowser(t, srv)
	row := `#requests-live tr[data-status="pending"]`
	b.run(chromedp.Click(row+` [data-open="deny"]`, chromedp.ByQuery), chromedp.WaitVisible(`#deny-dialog`, chromedp.ByQuery))
	if got := b.text(`#deny-dialog [data-field="user"]`); got != "contractor@example.com" {
		t.Errorf("deny dialog user %q", got)
	}
	// Cancel changes nothing.
	b.run(chromedp.Click(`#deny-dialog [data-close]`, chromedp.ByQuery), chromedp.WaitNotVisible(`#deny-dialog`, chromedp.ByQuery))
	if n := backendtest.NetworkState(t, user, "staging-internal"); n.State != api.StatePending {
		t.Fatalf("cancelled deny changed the state to %s", n.State)
	}
	b.run(
		chromedp.Click(row+` [data-open="deny"]`, chromedp.ByQuery), chromedp.WaitVisible(`#deny-dialog`, chromedp.ByQuery),
		chromedp.SendKeys(`#deny-note`, "Please ask again with the change ticket", chromedp.ByQuery),
		chromedp.Click(`#deny-dialog button[type=submit]`, chromedp.ByQuery),
		chromedp.WaitVisible(`.flash-ok`, chromedp.ByQuery),
	)
	if got := b.text(`.flash-ok`); !strings.Contains(got, "Denied the request of contractor@example.com for staging-internal") {
		t.Errorf("outcome %q", got)
	}
	b.run(chromedp.Click(`.tab[data-tab="denied"]`, chromedp.ByQuery), chromedp.WaitVisible(`#requests-live tr[data-status="denied"]`, chromedp.ByQuery))
	got := b.text(`#requests-live tr[data-status="denied"]`)
	for _, want := range []string{"Denied", "Note: Please ask again with the change ticket", "admin@example.com"} {
		if !strings.Contains(got, want) {
			t.Errorf("denied row lacks %q: %q", want, got)
		}
	}
	if n := backendtest.NetworkState(t, user, "staging-internal"); n.State != api.StateRequest {
		t.Errorf("after deny the user sees %s", n.State)
	}
	m := srv.SMTP.WaitFor(t, backendtest.MailTo("contractor@example.com", "Access denied: staging-internal"), 10*time.Second)
	if !strings.Contains(m.Text(), "Please ask again with the change ticket") {
		t.Errorf("denial email lacks the note:\n%s", m.Text())
	}
	if rows := srv.AuditRows(t, "request.deny"); len(rows) != 1 || rows[0].Details["note"] != "Please ask again with the change ticket" {
		t.Errorf("deny audit: %+v", rows)
	}
	b.clean()
}

// TestBrowserRevoke: Revoke on an active grant → confirm → it ends now.
func TestBrowserRevoke(t *testing.T) {
	srv := demoServer(t)
	user := contractor(t, srv)
	b := signedInBrowser(t, srv)
	b.open("/admin/requests?status=approved")
	row := `#requests-live tr[data-status="approved"]`
	b.waitText(row, "zero-path")
	b.run(chromedp.Click(row+` [data-open="revoke"]`, chromedp.ByQuery), chromedp.WaitVisible(`#revoke-dialog`, chromedp.ByQuery))
	if got := b.text(`#revoke-dialog .dialog-sub`); !strings.Contains(got, "contractor@example.com loses access to zero-path now") || !strings.Contains(got, "before it would expire") {
		t.Errorf("revoke dialog: %q", got)
	}
	b.run(chromedp.Click(`#revoke-dialog button[type=submit]`, chromedp.ByQuery), chromedp.WaitVisible(`.flash-ok`, chromedp.ByQuery))
	if got := b.text(`.flash-ok`); !strings.Contains(got, "Revoked the access of contractor@example.com to zero-path") {
		t.Errorf("outcome %q", got)
	}
	b.waitFor("no approved rows", `document.querySelectorAll('#requests-live tr[data-status="approved"]').length === 0`)
	b.run(chromedp.Click(`.tab[data-tab="ended"]`, chromedp.ByQuery), chromedp.WaitVisible(`#requests-live tr[data-status="revoked"]`, chromedp.ByQuery))
	if got := b.text(`#requests-live tr[data-status="revoked"]`); !strings.Contains(got, "Revoked") || !strings.Contains(got, "admin@example.com") {
		t.Errorf("revoked row: %q", got)
	}
	if n := backendtest.NetworkState(t, user, "zero-path"); n.State != api.StateRequest {
		t.Errorf("after revoke the user sees %s", n.State)
	}
	srv.SMTP.WaitFor(t, backendtest.MailTo("contractor@example.com", "Access revoked: zero-path"), 10*time.Second)
	b.clean()
}

// TestBrowserSearch: search finds requests by the user's email or name and
// by the reason, with the tab counts following.
func TestBrowserSearch(t *testing.T) {
	srv := demoServer(t)
	office := networkByName(t, srv, "office-network")
	for _, u := range []struct{ email, reason string }{
		{"kim@example.com", "Renew the Kubernetes certificates"},
		{"lee@example.com", "Print the board pack"},
	} {
		c, _ := srv.NewUser(t, u.email, api.RoleUser)
		if _, err := c.Request(t.Context(), office.ID, u.reason, 0); err != nil {
			t.Fatal(err)
		}
	}
	b := signedInBrowser(t, srv)
	b.waitFor("three pending", `document.querySelectorAll('#requests-live tr[data-status="pending"]').length === 3`)
	search := func(q string) {
		var ok bool
		b.eval(`(() => { const q = document.querySelector('#q'); q.value = ''; return true })()`, &ok)
		b.run(chromedp.SendKeys(`#q`, q+"\n", chromedp.ByQuery))
		b.waitFor("the search "+q, `new URLSearchParams(location.search).get('q') === `+jsString(q)+` && !!document.querySelector('#requests-live')`)
	}
	search("kubernetes")
	rows := b.text(`#requests-live`)
	if !strings.Contains(rows, "kim@example.com") || strings.Contains(rows, "lee@example.com") || strings.Contains(rows, "contractor@example.com") {
		t.Errorf("search by reason: %q", rows)
	}
	if got := b.text(`.tab[data-tab="pending"] .count`); got != "1" {
		t.Errorf("pending count under the search: %q", got)
	}
	search("LEE@")
	if rows := b.text(`#requests-live tbody`); !strings.Contains(rows, "Print the board pack") || strings.Contains(rows, "Kubernetes") {
		t.Errorf("search by email: %q", rows)
	}
	search("Casey")
	if rows := b.text(`#requests-live tbody`); !strings.Contains(rows, "contractor@example.com") {
		t.Errorf("search by name: %q", rows)
	}
	search("no such thing")
	if got := b.text(`#requests-live .empty`); !strings.Contains(got, "No pending requests match") {
		t.Errorf("empty search: %q", got)
	}
	// The approved tab keeps the search.
	search("quarterly")
	b.run(chromedp.Click(`.tab[data-tab="approved"]`, chromedp.ByQuery))
	b.waitText(`#requests-live tbody`, "Quarterly maintenance of the production bastion")
	var q string
	b.eval(`document.querySelector('#q').value`, &q)
	if q != "quarterly" {
		t.Errorf("the search box after switching tabs: %q", q)
	}
	b.clean()
}

func jsString(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `'`, `\'`, "\n", `\n`)
	return "'" + r.Replace(s) + "'"
}

// TestBrowserJITToggle: the JIT switch on the networks page asks to
// confirm, then turns JIT off (members get standing access) and on again.
func TestBrowserJITToggle(t *testing.T) {
	srv := demoServer(t)
	user := contractor(t, srv)
	b := signedInBrowser(t, srv)
	b.open("/admin/networks")
	sw := `tr[data-network="office-network"] button.switch`
	b.run(chromedp.WaitVisible(sw, chromedp.ByQuery))
	var checked string
	b.eval(`document.querySelector('`+sw+`').getAttribute('aria-checked')`, &checked)
	if checked != "true" {
		t.Fatalf("office-network JIT switch: aria-checked %q", checked)
	}
	// Cancel in the confirmation: nothing changes.
	b.run(chromedp.Click(sw, chromedp.ByQuery), chromedp.WaitVisible(`#confirm-dialog`, chromedp.ByQuery))
	if got := b.text(`#confirm-dialog [data-field="text"]`); !strings.Contains(got, "Turn JIT off for office-network?") {
		t.Errorf("confirmation: %q", got)
	}
	b.run(chromedp.Click(`#confirm-dialog [data-field="cancel"]`, chromedp.ByQuery), chromedp.WaitNotVisible(`#confirm-dialog`, chromedp.ByQuery))
	if !networkByName(t, srv, "office-network").JITEnabled {
		t.Fatal("cancel turned JIT off")
	}
	b.run(chromedp.Click(sw, chromedp.ByQuery), chromedp.WaitVisible(`#confirm-dialog`, chromedp.ByQuery),
		chromedp.Click(`#confirm-dialog [data-field="ok"]`, chromedp.ByQuery), chromedp.WaitVisible(`.flash-ok`, chromedp.ByQuery))
	if got := b.text(`.flash-ok`); !strings.Contains(got, "JIT is disabled on office-network") {
		t.Errorf("outcome %q", got)
	}
	b.eval(`document.querySelector('`+sw+`').getAttribute('aria-checked')`, &checked)
	if checked != "false" || !strings.Contains(b.text(sw), "Disabled") {
		t.Errorf("after turning off: aria-checked %q, %q", checked, b.text(sw))
	}
	if n := backendtest.NetworkState(t, user, "office-network"); n.State != api.StateStanding || n.JITEnabled {
		t.Errorf("the user's view with JIT off: %+v", n)
	}
	b.run(chromedp.Click(sw, chromedp.ByQuery), chromedp.WaitVisible(`#confirm-dialog`, chromedp.ByQuery),
		chromedp.Click(`#confirm-dialog [data-field="ok"]`, chromedp.ByQuery))
	b.waitText(`.flash-ok`, "JIT is enabled on office-network")
	if n := backendtest.NetworkState(t, user, "office-network"); n.State != api.StateRequest || !n.JITEnabled {
		t.Errorf("the user's view with JIT on again: %+v", n)
	}
	rows := srv.AuditRows(t, "network.update")
	if len(rows) != 2 || rows[1].Details["jit_enabled"] != "false" || rows[0].Details["jit_enabled"] != "true" {
		t.Errorf("JIT toggle audit: %+v", rows)
	}
	b.clean()
}

// TestBrowserReviewLink: the link of the admin email opens that request,
// after signing in, ready to decide — and opening it changed nothing.
func TestBrowserReviewLink(t *testing.T) {
	srv := demoServer(t)
	alice, _ := srv.NewUser(t, "alice@example.com", api.RoleUser)
	net := networkByName(t, srv, "office-network")
	req, err := alice.Request(t.Context(), net.ID, "Replace the broken switch in rack 4", 2*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	m := srv.SMTP.WaitFor(t, backendtest.MailTo(backendtest.AdminEmail, "alice@example.com"), 10*time.Second)
	link := regexp.MustCompile(`https?://\S+/admin/requests/[a-z0-9_]+`).FindString(m.Text())
	if link != srv.URL+"/admin/requests/"+req.ID {
		t.Fatalf("review link %q, want the request's page", link)
	}
	audits := len(srv.AuditRows(t, ""))
	scanner := newWebClient(t, srv) // a mail scanner follows the link
	scanner.get(strings.TrimPrefix(link, srv.URL))

	b := newBrowser(t, srv)
	b.run(chromedp.Navigate(link), chromedp.WaitVisible(`#email`, chromedp.ByQuery))
	if loc := b.location(); loc != "/admin/login?next=%2Fadmin%2Frequests%2F"+req.ID {
		t.Errorf("signed out, the link went to %q", loc)
	}
	b.signIn(backendtest.AdminEmail, backendtest.AdminPassword)
	b.run(chromedp.WaitVisible(`#decide form[data-grant-form]`, chromedp.ByQuery))
	if loc := b.location(); loc != "/admin/requests/"+req.ID {
		t.Errorf("after sign-in at %q", loc)
	}
	page := b.text(`#request-live`)
	for _, want := range []string{"alice@example.com", "office-network", "Replace the broken switch in rack 4", "Pending", "Asks for", "2h", "Grant access", "Deny"} {
		if !strings.Contains(page, want) {
			t.Errorf("request page lacks %q", want)
		}
	}
	if got := requestStatus(t, srv, req.ID); got != api.StatusPending {
		t.Fatalf("opening the link changed the request to %s", got)
	}
	for _, e := range srv.AuditRows(t, "")[:len(srv.AuditRows(t, ""))-audits] {
		if e.Action != "login" {
			t.Errorf("opening the link wrote %s", e.Action)
		}
	}
	// Decide right there: 1 day.
	b.run(chromedp.Click(`#decide input[name=duration][value="86400"]`, chromedp.ByQuery))
	b.waitText(`#decide [data-field="submit"]`, "Grant access for 1d")
	b.run(chromedp.Click(`#decide [data-field="submit"]`, chromedp.ByQuery), chromedp.WaitVisible(`.flash-ok`, chromedp.ByQuery))
	if got := b.text(`.flash-ok`); !strings.Contains(got, "for 1d") {
		t.Errorf("outcome %q", got)
	}
	if loc := b.location(); loc != "/admin/requests/"+req.ID {
		t.Errorf("after granting at %q", loc)
	}
	b.waitText(`.head-status`, "Approved")
	if got := b.text(`#decide`); !strings.Contains(got, "Active grant") || !strings.Contains(got, "Revoke") {
		t.Errorf("decide card after the grant: %q", got)
	}
	if n := backendtest.NetworkState(t, alice, "office-network"); n.State != api.StateActive {
		t.Errorf("alice sees %s", n.State)
	}
	b.clean()
}

// TestBrowserAccess: a signed-out visit is sent to sign in and back; a
// non-admin gets the 403 page everywhere.
func TestBrowserAccess(t *testing.T) {
	srv := demoServer(t)
	srv.NewUser(t, "alice@example.com", api.RoleUser)
	b := newBrowser(t, srv)
	b.open("/admin/networks")
	b.run(chromedp.WaitVisible(`#email`, chromedp.ByQuery))
	if loc := b.location(); loc != "/admin/login?next=%2Fadmin%2Fnetworks" {
		t.Errorf("signed out: at %q", loc)
	}
	b.signIn(backendtest.AdminEmail, backendtest.AdminPassword)
	b.run(chromedp.WaitVisible(`table.networks`, chromedp.ByQuery))
	b.run(chromedp.Click(`form[action="/admin/logout"] button`, chromedp.ByQuery), chromedp.WaitVisible(`#email`, chromedp.ByQuery))
	if got := b.text(`.flash-ok`); got != "You are signed out." {
		t.Errorf("after sign-out: %q", got)
	}
	b.open("/admin/requests")
	b.signIn("alice@example.com", backendtest.UserPassword)
	b.run(chromedp.WaitVisible(`main h1`, chromedp.ByQuery))
	if got := b.text(`main h1`); got != "Admins only" {
		t.Errorf("non-admin page heading %q", got)
	}
	var navLinks int
	b.eval(`document.querySelectorAll('.mainnav a').length`, &navLinks)
	if navLinks != 0 {
		t.Errorf("a non-admin sees %d admin links", navLinks)
	}
	for _, path := range []string{"/admin/networks", "/admin/users", "/admin/audit"} {
		b.open(path)
		if got := b.text(`main h1`); got != "Admins only" {
			t.Errorf("non-admin %s: %q", path, got)
		}
	}
	b.clean()
}
