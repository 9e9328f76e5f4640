package web_test

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"gatepass.dev/backend/backendtest"
	"gatepass.dev/shared/api"
)

// TestBrowserGrant: sign in → the demo's pending request is listed → Grant
// Access for 8 h → its status and time left change, the user's API shows
// the network active, the approval email arrives, the audit log has it.
func TestBrowserGrant(t *testing.T) {
	srv := demoServer(t)
	user := contractor(t, srv)
	req := pendingDemoRequest(t, srv)
	b := signedInBrowser(t, srv)

	row := `#requests-live tr[data-request="` + req.ID + `"]`
	b.waitText(row, "contractor@example.com")
	for _, want := range []string{"staging-internal", "Deploy and verify the v2.3 release on staging", "Pending", "just now"} {
		if got := b.text(row); !strings.Contains(got, want) {
			t.Errorf("pending row lacks %q: %q", want, got)
		}
	}
	if got := b.text(`.tab[data-tab="pending"] .count`); got != "1" {
		t.Errorf("pending count %q, want 1", got)
	}
	var title string
	b.eval(`document.querySelector('`+row+` time').title`, &title)
	if title != backendtest.Start.Format("2006-01-02 15:04:05 UTC") {
		t.Errorf("Requested has the exact time %q on hover", title)
	}

	b.run(chromedp.Click(row+` [data-open="grant"]`, chromedp.ByQuery), chromedp.WaitVisible(`#grant-dialog`, chromedp.ByQuery))
	var checked string
	b.eval(`document.querySelector('#grant-dialog input[name=duration]:checked').value`, &checked)
	if checked != "28800" {
		t.Errorf("the network's default (8h) is not preselected: %q", checked)
	}
	if got := b.text(`#grant-dialog [data-field="reason"]`); got != "Deploy and verify the v2.3 release on staging" {
		t.Errorf("grant dialog reason %q", got)
	}
	b.run(chromedp.Click(`#grant-dialog input[name=duration][value="28800"]`, chromedp.ByQuery))
	b.waitText(`#grant-dialog [data-field="submit"]`, "Grant access for 8h")
	b.run(chromedp.Click(`#grant-dialog [data-field="submit"]`, chromedp.ByQuery), chromedp.WaitVisible(`.flash-ok`, chromedp.ByQuery))
	if got := b.text(`.flash-ok`); !strings.Contains(got, "Granted contractor@example.com access to staging-internal for 8h") {
		t.Errorf("outcome message %q", got)
	}
	b.waitFor("the pending tab to be empty", `document.querySelector('.tab[data-tab="pending"] .count').textContent === "0"`)

	b.run(chromedp.Click(`.tab[data-tab="approved"]`, chromedp.ByQuery), chromedp.WaitVisible(`.tab[data-tab="approved"][aria-current="page"]`, chromedp.ByQuery))
	approved := `#requests-live tr[data-request="` + req.ID + `"][data-status="approved"]`
	b.waitText(approved, "staging-internal")
	got := b.text(approved)
	for _, want := range []string{"Approved", "admin@example.com"} {
		if !strings.Contains(got, want) {
			t.Errorf("approved row lacks %q: %q", want, got)
		}
	}
	// The countdown runs in the page on the server's clock: just under 8h.
	b.waitFor("the countdown", `/^7h 59m$|^8h$/.test(document.querySelector('`+approved+` .countdown').textContent)`)

	n := backendtest.NetworkState(t, user, "staging-internal")
	if n.State != api.StateActive || n.ExpiresAt == nil || !n.ExpiresAt.Equal(srv.Now().Add(8*time.Hour).Truncate(time.Millisecond)) {
		t.Errorf("the user's API after the grant: state %q expires %v (now %v)", n.State, n.ExpiresAt, srv.Now())
	}
	m := srv.SMTP.WaitFor(t, backendtest.MailTo("contractor@example.com", "Access approved: staging-internal"), 10*time.Second)
	if !strings.Contains(m.Text(), "8h") {
		t.Errorf("approval email lacks the duration:\n%s", m.Text())
	}
	res, err := srv.Admin(t).Audit(t.Context(), map[string][]string{"action": {"request.approve"}})
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, e := range res.Entries {
		if e.Details["network"] == "staging-internal" && e.ActorEmail == backendtest.AdminEmail && e.Details["duration"] == "8h" {
			found = true
		}
	}
	if !found {
		t.Errorf("no audit row of the web grant: %+v", res.Entries)
	}
	b.clean()
}

// TestBrowserGrantDialogLimits: the grant dialog offers no preset above the
// network's maximum and refuses a longer custom duration before sending it;
// the network's default is preselected even when it is not a preset.
func TestBrowserGrantDialogLimits(t *testing.T) {
	srv := demoServer(t)
	req := pendingDemoRequest(t, srv)
	day, def := int64(86400), int64(2*3600)
	if _, err := srv.Admin(t).UpdateNetwork(t.Context(), req.NetworkID, api.NetworkInput{MaxDurationSeconds: &day, DefaultDurationSeconds: &def}); err != nil {
		t.Fatal(err)
	}
	b := signedInBrowser(t, srv)
	b.run(chromedp.Click(`tr[data-request="`+req.ID+`"] [data-open="grant"]`, chromedp.ByQuery), chromedp.WaitVisible(`#grant-dialog`, chromedp.ByQuery))
	var offered []string
	b.eval(`[...document.querySelectorAll('#grant-dialog input[name=duration]')].filter(r => !r.disabled && !r.closest('.chip').hidden).map(r => r.value)`, &offered)
	if strings.Join(offered, ",") != "3600,28800,86400,custom" {
		t.Errorf("offered durations %v", offered)
	}
	var custom struct {
		Checked bool   `json:"checked"`
		Amount  string `json:"amount"`
		Unit    string `json:"unit"`
	}
	b.eval(`({checked: document.querySelector('#grant-dialog [data-custom-radio]').checked, amount: document.querySelector('#grant-dialog [name=custom_amount]').value, unit: document.querySelector('#grant-dialog [name=custom_unit]').value})`, &custom)
	if !custom.Checked || custom.Amount != "2" || custom.Unit != "h" {
		t.Errorf("the 2h default is not preselected as a custom value: %+v", custom)
	}
	if got := b.text(`#grant-dialog [data-field="max"]`); got != "1d" {
		t.Errorf("max shown %q", got)
	}
	var ok bool
	b.eval(`(() => { const a = document.querySelector('#grant-dialog [name=custom_amount]'); a.value = ''; return true })()`, &ok)
	b.run(chromedp.SendKeys(`#grant-dialog [name=custom_amount]`, "36", chromedp.ByQuery), chromedp.Click(`#grant-dialog [data-field="submit"]`, chromedp.ByQuery))
	b.waitText(`#grant-dialog [data-field="duration-error"]`, "1d 12h is longer than this network's maximum of 1d")
	if got := requestStatus(t, srv, req.ID); got != api.StatusPending {
		t.Fatalf("a refused grant was sent: %s", got)
	}
	b.run(chromedp.Click(`#grant-dialog input[name=duration][value="86400"]`, chromedp.ByQuery), chromedp.Click(`#grant-dialog [data-field="submit"]`, chromedp.ByQuery))
	b.waitText(`.flash-ok`, "for 1d")
	b.clean()
}
