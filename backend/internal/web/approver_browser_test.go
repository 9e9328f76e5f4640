package web_test

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"gatepass.dev/shared/api"
)

// TestBrowserApproverQueue: Dana, who approves production-db and is not an
// admin, signs in to a page with just her queue (one navigation entry, no
// other network's request); a new production-db request appears live, a
// staging one does not; she denies a request another approver had
// approved (a deny by any approver ends it); an admin's page is the 403
// page that leads back to her queue.
func TestBrowserApproverQueue(t *testing.T) {
	srv := demoServer(t)
	other := pendingDemoRequest(t, srv)
	prod := networkByName(t, srv, "production-db")
	staging := networkByName(t, srv, "staging-internal")
	casey := contractor(t, srv)
	half, err := casey.Request(t.Context(), prod.ID, "Vacuum the ledger "+hostile, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := srv.Admin(t).Approve(t.Context(), half.ID, time.Hour); err != nil {
		t.Fatal(err)
	}

	_, pw := demoCredential(t, srv, "approver", dana)
	b := newBrowser(t, srv)
	b.open("/admin/requests")
	b.signIn(dana, pw)
	b.waitText(`main h1`, "Your queue")
	var nav []string
	b.eval(`[...document.querySelectorAll('.mainnav a')].map(a => a.textContent)`, &nav)
	if len(nav) != 1 || nav[0] != "Your queue" {
		t.Errorf("an approver's navigation: %q", nav)
	}
	if got := b.text(`[data-approves]`); !strings.Contains(got, "production-db") || strings.Contains(got, "staging") {
		t.Errorf("the networks she approves: %q", got)
	}
	row := `#requests-live tr[data-request="` + half.ID + `"]`
	b.waitText(row, "1 of 2")
	var rows int
	b.eval(`document.querySelectorAll('#requests-live tr[data-request]').length`, &rows)
	if rows != 1 {
		t.Errorf("%d rows in her queue, want production-db's one", rows)
	}
	var bulk bool
	b.eval(`!!document.querySelector('[data-bulk-bar], [data-select], [data-open="revoke"]')`, &bulk)
	if bulk {
		t.Error("an approver is offered bulk decisions or revoking, which are the admins'")
	}

	// She denies the request the admin approved: it ends.
	b.run(chromedp.Click(row+` [data-open="deny"]`, chromedp.ByQuery), chromedp.WaitVisible(`#deny-dialog`, chromedp.ByQuery))
	b.run(chromedp.SendKeys(`#deny-note`, "Not during the freeze "+hostile, chromedp.ByQuery),
		chromedp.Click(`#deny-dialog button[type=submit]`, chromedp.ByQuery), chromedp.WaitVisible(`.flash-ok`, chromedp.ByQuery))
	if got, _ := srv.Admin(t).AdminRequest(t.Context(), half.ID); got.Status != api.StatusDenied {
		t.Errorf("after her deny the request is %s, want denied", got.Status)
	}

	// Live: her network's new request appears, another network's does not.
	b.waitFor("the live stream", `document.querySelector('[data-live-state]').getAttribute('data-live-state') === 'on'`)
	alice, _ := srv.NewUser(t, "alice@example.com", api.RoleUser)
	if _, err := alice.Request(t.Context(), staging.ID, "Staging is not hers", 0); err != nil {
		t.Fatal(err)
	}
	fresh, err := casey.Request(t.Context(), prod.ID, "Read replica check", 0)
	if err != nil {
		t.Fatal(err)
	}
	b.waitText(`#requests-live tr[data-request="`+fresh.ID+`"]`, "Read replica check")
	if got := b.text(`#requests-live`); strings.Contains(got, other.Reason) || strings.Contains(got, "Staging is not hers") {
		t.Error("another network's request appeared in her queue")
	}

	b.open("/admin/networks")
	b.waitText(`main h1`, "Admins only")
	b.run(chromedp.Click(`main a.btn-primary`, chromedp.ByQuery))
	b.waitText(`main h1`, "Your queue")
	b.clean()
}
