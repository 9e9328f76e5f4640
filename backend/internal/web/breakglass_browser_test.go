package web_test

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"gatepass.dev/backend/backendtest"
	"gatepass.dev/shared/api"
)

// TestBrowserBreakGlass: while the contractor's break-glass access to
// production-db awaits review, every page of its deciders carries the
// banner (the admin's, Dana's queue) and nobody else's; its review page
// acknowledges it (audited, the banner goes); the audit log flags every
// row of it. Its hostile reason stays text.
func TestBrowserBreakGlass(t *testing.T) {
	srv := demoServer(t)
	prod := networkByName(t, srv, "production-db")
	bg, err := contractor(t, srv).BreakGlass(t.Context(), prod.ID, "Primary is down "+hostile, 0)
	if err != nil || bg.Kind != api.KindBreakGlass || !bg.ReviewRequired {
		t.Fatalf("break-glass: %+v %v", bg, err)
	}

	b := signedInBrowser(t, srv)
	for _, path := range []string{"/admin/requests", "/admin/networks", "/admin/audit", "/admin/users"} {
		b.open(path)
		b.waitText(`[data-breakglass-banner]`, "Break-glass access to production-db by contractor@example.com at")
	}
	if got := b.text(`[data-breakglass-banner]`); !strings.Contains(got, "Primary is down "+hostile) || !strings.HasSuffix(got, "— review") {
		t.Errorf("banner %q", got)
	}
	dana := demoApprover(t, srv, dana)
	if p := dana.get("/admin/requests"); !strings.Contains(p.Body, "data-breakglass-banner") {
		t.Error("the approver of production-db does not see the banner")
	}
	srv.NewUser(t, "alice@example.com", api.RoleUser)
	alice := newWebClient(t, srv)
	alice.signIn("alice@example.com", backendtest.UserPassword)
	if p := alice.get("/admin/requests"); strings.Contains(p.Body, "data-breakglass-banner") || strings.Contains(p.Body, "Primary is down") {
		t.Error("a user who decides nothing sees the banner")
	}

	b.run(chromedp.Click(`[data-breakglass-banner] a`, chromedp.ByQuery))
	b.waitText(`#review`, "Break-glass review")
	if got := b.text(`.head-status`); !strings.Contains(got, "Break-glass") || !strings.Contains(got, "To review") {
		t.Errorf("the request's badges %q", got)
	}
	if got := b.text(`[data-field="managed-by"]`); got != "break-glass" {
		t.Errorf("Managed by %q", got)
	}
	b.run(chromedp.SendKeys(`#ack-note`, "Checked with the on-call lead", chromedp.ByQuery),
		chromedp.Click(`[data-field="acknowledge"]`, chromedp.ByQuery), chromedp.WaitVisible(`.flash-ok`, chromedp.ByQuery))
	if got := b.text(`.flash-ok`); !strings.Contains(got, "Acknowledged the break-glass access of contractor@example.com to production-db") {
		t.Errorf("after acknowledging: %q", got)
	}
	b.waitText(`[data-field="reviewed"]`, "Reviewed by admin@example.com")
	var banner bool
	b.eval(`!!document.querySelector('[data-breakglass-banner]')`, &banner)
	if banner {
		t.Error("the banner stays after the review")
	}
	if rows := srv.AuditRows(t, "request.acknowledge"); len(rows) != 1 || rows[0].Details["note"] != "Checked with the on-call lead" || rows[0].Details["break_glass"] != "true" {
		t.Errorf("the review's audit rows: %+v", rows)
	}

	b.open("/admin/audit?network=" + prod.ID)
	b.waitText(`table.audit`, "reviewed the break-glass access")
	var flagged []string
	b.eval(`[...document.querySelectorAll('table.audit tr[data-break-glass] .audit-text')].map(td => td.textContent)`, &flagged)
	if len(flagged) != 3 {
		t.Errorf("flagged audit rows %q, want the break-glass request, its grant and its review", flagged)
	}
	for _, f := range flagged {
		if !strings.HasPrefix(strings.TrimSpace(f), "Break-glass") {
			t.Errorf("a flagged row without its badge: %q", f)
		}
	}
	b.clean()
}
