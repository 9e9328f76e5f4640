package web_test

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"gatepass.dev/backend/backendtest"
	"gatepass.dev/backend/internal/mail/smtptest"
	"gatepass.dev/shared/api"
)

// localTime is a [data-local] time as shown: its text and tooltip.
type localTime struct {
	Text  string `json:"text"`
	Title string `json:"title"`
}

func localTimeAt(b *browser, sel string) localTime {
	b.t.Helper()
	var lt localTime
	b.eval(`(() => { const e = document.querySelector('`+sel+` time[data-local]'); return e ? {text: e.textContent, title: e.title} : {}; })()`, &lt)
	return lt
}

// TestBrowserClosedRequests: in a browser in New York, the closed tabs say
// when each request ended (in New York time, UTC in the tooltip), how, how
// long it was granted and by whom; a closed request's page offers Grant
// again, which makes a new approved request for the same user and network
// with the same reason, marked as granted again, and emails the user.
func TestBrowserClosedRequests(t *testing.T) {
	srv := demoServer(t)
	user := contractor(t, srv)
	admin := srv.Admin(t)
	req := pendingDemoRequest(t, srv)
	if _, err := admin.Approve(t.Context(), req.ID, 8*time.Hour); err != nil {
		t.Fatal(err)
	}
	srv.Advance(time.Hour)
	if _, err := admin.Revoke(t.Context(), req.ID, "Release is done"); err != nil {
		t.Fatal(err)
	}
	kim, _ := srv.NewUser(t, "kim@example.com", api.RoleUser)
	kimReq, err := kim.Request(t.Context(), networkByName(t, srv, "office-network").ID, `Print <script>alert(1)</script> the board pack`, 0)
	if err != nil {
		t.Fatal(err)
	}
	srv.Advance(30 * time.Minute)
	if _, err := admin.Deny(t.Context(), kimReq.ID, "Use the print service"); err != nil {
		t.Fatal(err)
	}
	b := newBrowser(t, srv)
	b.run(emulation.SetTimezoneOverride("America/New_York"))
	b.open("/admin/requests")
	b.signIn(backendtest.AdminEmail, backendtest.AdminPassword)

	b.open("/admin/requests?status=ended")
	row := `#requests-live tr[data-request="` + req.ID + `"]`
	b.run(chromedp.WaitVisible(row, chromedp.ByQuery))
	if got := localTimeAt(b, row+` .ended-cell`); got.Text != "Mon, Nov 23, 05:00 EST" || got.Title != "2026-11-23 10:00:00 UTC" {
		t.Errorf("ended at, in New York: %+v", got)
	}
	if got := b.text(row + ` .ended-cell .sub`); got != "revoked by admin@example.com" {
		t.Errorf("how it ended: %q", got)
	}
	if got := b.text(row + ` .granted-cell`); got != "8h by admin@example.com" {
		t.Errorf("granted: %q", got)
	}
	var heads string
	b.eval(`[...document.querySelectorAll('#requests-live thead th')].map(th => th.textContent.trim()).join('|')`, &heads)
	if !strings.Contains(heads, "Ended|Granted") || strings.Contains(heads, "Time Left") {
		t.Errorf("closed tab columns: %s", heads)
	}

	b.open("/admin/requests?status=denied")
	denied := `#requests-live tr[data-request="` + kimReq.ID + `"]`
	b.run(chromedp.WaitVisible(denied, chromedp.ByQuery))
	if got := localTimeAt(b, denied+` .ended-cell`); got.Text != "Mon, Nov 23, 05:30 EST" || got.Title != "2026-11-23 10:30:00 UTC" {
		t.Errorf("denied at, in New York: %+v", got)
	}
	if got := b.text(denied + ` .ended-cell .sub`); got != "denied by admin@example.com" {
		t.Errorf("how it ended: %q", got)
	}
	if got := b.text(denied + ` .granted-cell`); got != "not granted" {
		t.Errorf("granted: %q", got)
	}

	// The revoked request's page: when, how, and Grant again.
	b.open("/admin/requests/" + req.ID)
	b.run(chromedp.WaitVisible(`#decide`, chromedp.ByQuery))
	if got := b.text(`[data-field="ended"]`); got != "Mon, Nov 23, 05:00 EST · revoked by admin@example.com" {
		t.Errorf("request page, ended: %q", got)
	}
	if got := b.text(`[data-field="granted"]`); got != "8h by admin@example.com, Mon, Nov 23, 04:00 EST" {
		t.Errorf("request page, granted: %q", got)
	}
	if s := pickerState(b, `#decide`); s.Checked != "28800" || s.Custom {
		t.Errorf("grant again picker: %+v", s)
	}
	b.waitText(`#decide [data-field="submit"]`, "Grant again for 8h")
	b.run(chromedp.Click(`#decide input[name=duration][value="3600"]`, chromedp.ByQuery), chromedp.Click(`#decide [data-field="submit"]`, chromedp.ByQuery))
	b.waitText(`.flash-ok`, "Granted contractor@example.com access to staging-internal again for 1h, until Mon, Nov 23, 06:30 EST. They have been emailed.")
	if got := localTimeAt(b, `.flash-ok`); got.Title != "2026-11-23 11:30:00 UTC" {
		t.Errorf("flash time tooltip: %+v", got)
	}
	loc := b.location()
	if !strings.HasPrefix(loc, "/admin/requests/req_") || strings.Contains(loc, req.ID) {
		t.Fatalf("after Grant again at %s, not the new request's page", loc)
	}
	if got := b.text(`.again`); got != "by admin@example.com, from an earlier request" {
		t.Errorf("the mark: %q", got)
	}
	if got := b.text(`[data-field="reason"]`); got != req.Reason {
		t.Errorf("reason carried over: %q", got)
	}
	n := backendtest.NetworkState(t, user, "staging-internal")
	if n.State != api.StateActive || n.Request == nil || n.Request.AgainOf != req.ID {
		t.Errorf("the user after Grant again: %+v", n)
	}
	srv.SMTP.WaitFor(t, func(m smtptest.Received) bool {
		return backendtest.MailTo("contractor@example.com", "Access approved: staging-internal")(m) && strings.Contains(m.Text(), "Granted:       1h")
	}, 10*time.Second)

	// A denied request with a hostile reason: granted again, the reason
	// stays text.
	b.open("/admin/requests/" + kimReq.ID)
	b.run(chromedp.WaitVisible(`#decide [data-field="submit"]`, chromedp.ByQuery), chromedp.Click(`#decide [data-field="submit"]`, chromedp.ByQuery))
	b.waitText(`.flash-ok`, "Granted kim@example.com access to office-network again")
	if got := b.text(`[data-field="reason"]`); got != `Print <script>alert(1)</script> the board pack` {
		t.Errorf("hostile reason: %q", got)
	}
	b.open("/admin/requests?status=approved")
	b.waitText(`#requests-live tbody`, "Granted again by admin@example.com")
	b.clean()
}
