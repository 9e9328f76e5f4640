package web_test

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"gatepass.dev/backend/backendtest"
	"gatepass.dev/shared/api"
)

// bulkSetup files three pending requests after the demo's: kim's on
// office-network, lee's on staging-internal (whose maximum is then 1d),
// mo's on office-network — the queue is contractor, kim, lee, mo.
func bulkSetup(t *testing.T, srv *backendtest.Server) (kim, lee, mo api.Request) {
	t.Helper()
	office, staging := networkByName(t, srv, "office-network"), networkByName(t, srv, "staging-internal")
	var out []api.Request
	for _, u := range []struct {
		email string
		n     api.Network
	}{{"kim@example.com", office}, {"lee@example.com", staging}, {"mo@example.com", office}} {
		srv.Advance(time.Hour)
		c, _ := srv.NewUser(t, u.email, api.RoleUser)
		r, err := c.Request(t.Context(), u.n.ID, "Work of "+u.email, 0)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, r)
	}
	day := int64(86400)
	if _, err := srv.Admin(t).UpdateNetwork(t.Context(), staging.ID, api.NetworkInput{MaxDurationSeconds: &day}); err != nil {
		t.Fatal(err)
	}
	return out[0], out[1], out[2]
}

func check(b *browser, id string) {
	b.t.Helper()
	b.run(chromedp.Click(`#requests-live tr[data-request="`+id+`"] [data-select]`, chromedp.ByQuery))
}

// TestBrowserBulkGrant: select three pending requests → Grant selected for
// 7 days → each is decided on its own: one granted, one refused over its
// network's maximum (the dialog warned of it), one decided by another
// admin meanwhile — said per request.
func TestBrowserBulkGrant(t *testing.T) {
	srv := demoServer(t)
	kim, lee, mo := bulkSetup(t, srv)
	ann, _ := srv.NewUser(t, "ann@example.com", api.RoleAdmin)
	b := signedInBrowser(t, srv)
	b.waitFor("four pending rows", `document.querySelectorAll('#requests-live tr[data-status="pending"]').length === 4`)
	if got := b.text(`[data-bulk-bar] [data-field="selected"]`); got != "None selected" {
		t.Errorf("bulk bar before a selection: %q", got)
	}
	var disabled bool
	b.eval(`document.querySelector('[data-bulk-open="grant"]').disabled`, &disabled)
	if !disabled {
		t.Error("Grant selected is enabled with nothing selected")
	}
	check(b, kim.ID)
	check(b, lee.ID)
	// A live update (a new request arrives) keeps the selection.
	zed, _ := srv.NewUser(t, "zed@example.com", api.RoleUser)
	if _, err := zed.Request(t.Context(), networkByName(t, srv, "zero-path").ID, "Late work", 0); err != nil {
		t.Fatal(err)
	}
	b.waitFor("the new request", `document.querySelectorAll('#requests-live tr[data-status="pending"]').length === 5`)
	var kept []string
	b.eval(`[...document.querySelectorAll('[data-select]:checked')].map(c => c.value)`, &kept)
	if strings.Join(kept, " ") != kim.ID+" "+lee.ID {
		t.Errorf("selection after a live update: %v", kept)
	}
	check(b, mo.ID)
	b.waitText(`[data-bulk-bar] [data-field="selected"]`, "3 selected")
	b.run(chromedp.Click(`[data-bulk-open="grant"]`, chromedp.ByQuery), chromedp.WaitVisible(`#bulk-grant-dialog`, chromedp.ByQuery))
	if got := b.text(`#bulk-grant-dialog h2`); got != "Grant 3 requests" {
		t.Errorf("bulk dialog title %q", got)
	}
	list := b.text(`#bulk-grant-dialog [data-field="list"]`)
	for _, want := range []string{"kim@example.com → office-network", "lee@example.com → staging-internal", "mo@example.com → office-network"} {
		if !strings.Contains(list, want) {
			t.Errorf("bulk dialog list lacks %q: %q", want, list)
		}
	}
	b.run(chromedp.Click(`#bulk-grant-dialog input[name=duration][value="604800"]`, chromedp.ByQuery))
	b.waitText(`#bulk-grant-dialog [data-field="over"]`, "lee@example.com on staging-internal (at most 1d)")
	b.waitText(`#bulk-grant-dialog [data-field="submit"]`, "Grant access for 7d")

	// Another admin is faster with mo's request.
	if _, err := ann.Approve(t.Context(), mo.ID, time.Hour); err != nil {
		t.Fatal(err)
	}
	b.run(chromedp.Click(`#bulk-grant-dialog [data-field="submit"]`, chromedp.ByQuery))
	b.waitText(`.flash-error`, "1 granted; 1 had changed meanwhile; 1 refused.")
	flash := b.text(`.flash-error`)
	for _, want := range []string{
		"kim@example.com → office-network: granted for 7d, until",
		"lee@example.com → staging-internal: refused: 7d is longer than this network's maximum of 1d",
		"mo@example.com → office-network: had changed meanwhile: it is approved by ann@example.com until",
	} {
		if !strings.Contains(flash, want) {
			t.Errorf("outcome lacks %q:\n%s", want, flash)
		}
	}
	if got := requestStatus(t, srv, kim.ID); got != api.StatusApproved {
		t.Errorf("kim's request is %s", got)
	}
	if got := requestStatus(t, srv, lee.ID); got != api.StatusPending {
		t.Errorf("lee's request (over the maximum) is %s", got)
	}
	if r, _ := srv.Admin(t).AdminRequest(t.Context(), mo.ID); r.DecidedBy != "ann@example.com" || r.GrantedSeconds != 3600 {
		t.Errorf("mo's request was decided again: %+v", r)
	}
	srv.SMTP.WaitFor(t, backendtest.MailTo("kim@example.com", "Access approved: office-network"), 10*time.Second)
	if n := len(srv.AuditRows(t, "request.approve")); n != 3 { // the demo's, ann's, kim's
		t.Errorf("%d approval audit rows, want 3", n)
	}
	b.clean()
}

// TestBrowserKeyboard: j/k move through the queue, x selects, d denies the
// selection with one note, g grants the current request, / searches.
func TestBrowserKeyboard(t *testing.T) {
	srv := demoServer(t)
	kim, lee, mo := bulkSetup(t, srv)
	contractorReq := pendingID(t, srv, "contractor@example.com")
	b := signedInBrowser(t, srv)
	b.waitFor("four pending rows", `document.querySelectorAll('#requests-live tr[data-status="pending"]').length === 4`)
	current := func() string {
		var id string
		b.eval(`(document.querySelector('#requests-live tr[data-current]') || {dataset: {}}).dataset.request || ''`, &id)
		return id
	}
	keys := func(k string) { b.press(k) }
	keys("j")
	if got := current(); got != contractorReq {
		t.Fatalf("j from nowhere: current %q, want the oldest %q", got, contractorReq)
	}
	keys("j")
	keys("j")
	if got := current(); got != lee.ID {
		t.Errorf("j j: current %q, want lee's %q", got, lee.ID)
	}
	keys("x")
	keys("k")
	if got := current(); got != kim.ID {
		t.Errorf("k: current %q, want kim's %q", got, kim.ID)
	}
	keys("x")
	b.waitText(`[data-bulk-bar] [data-field="selected"]`, "2 selected")
	keys("d")
	b.run(chromedp.WaitVisible(`#bulk-deny-dialog`, chromedp.ByQuery))
	if got := b.text(`#bulk-deny-dialog h2`); got != "Deny 2 requests" {
		t.Errorf("d with a selection: %q", got)
	}
	note := `<img src=x onerror=alert(1)> Please ask again with a ticket`
	b.run(chromedp.SendKeys(`#bulk-deny-note`, note, chromedp.ByQuery), chromedp.Click(`#bulk-deny-dialog button[type=submit]`, chromedp.ByQuery))
	b.waitText(`.flash-ok`, "2 denied.")
	for _, id := range []string{kim.ID, lee.ID} {
		if r, _ := srv.Admin(t).AdminRequest(t.Context(), id); r.Status != api.StatusDenied || r.Note != note {
			t.Errorf("denied with the note: %+v", r)
		}
	}
	srv.SMTP.WaitFor(t, backendtest.MailTo("lee@example.com", "Access denied"), 10*time.Second)

	// g on the current request, nothing selected: its own grant dialog.
	b.waitFor("two pending rows", `document.querySelectorAll('#requests-live tr[data-status="pending"]').length === 2`)
	keys("j")
	keys("j")
	if got := current(); got != mo.ID {
		t.Fatalf("current %q, want mo's %q", got, mo.ID)
	}
	keys("g")
	b.run(chromedp.WaitVisible(`#grant-dialog`, chromedp.ByQuery))
	if got := b.text(`#grant-dialog [data-field="user"]`); got != "mo@example.com" {
		t.Errorf("g opened the grant dialog of %q", got)
	}
	b.run(chromedp.KeyEvent(kb.Escape), chromedp.WaitNotVisible(`#grant-dialog`, chromedp.ByQuery))
	keys("/")
	var focused string
	b.eval(`document.activeElement.id`, &focused)
	if focused != "q" {
		t.Errorf("/ focused %q, not the search", focused)
	}
	keys("j") // typed into the search, not a move
	var q string
	b.eval(`document.querySelector('#q').value`, &q)
	if q != "j" || current() != mo.ID {
		t.Errorf("a key in the search box: search %q, current %q", q, current())
	}
	b.clean()
}

// press types one printable key the way a keyboard does: a keydown that
// carries its text (so that a handler's preventDefault keeps the text out
// of whatever the handler focuses), then a keyup.
func (b *browser) press(key string) {
	b.t.Helper()
	b.run(
		input.DispatchKeyEvent(input.KeyDown).WithKey(key).WithText(key).WithUnmodifiedText(key),
		input.DispatchKeyEvent(input.KeyUp).WithKey(key),
	)
}
