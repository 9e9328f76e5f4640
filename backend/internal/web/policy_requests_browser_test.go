package web_test

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"gatepass.dev/backend/backendtest"
	"gatepass.dev/shared/api"
)

const hostile = `<script>alert(1)</script><img src=x onerror=alert(2)>`

// TestBrowserApprovalsAndManagedBy: on production-db, which needs two
// approvals, the pending row says "0 of 2" and its button "Approve (1 of
// 2)"; the admin's approval through the dialog leaves it pending at "1 of
// 2: admin@…" with "You approved" for the admin; the request's page lists
// the approval and offers the next approver "Approve (2 of 2)"; after
// Erik's, the Approved tab's Managed By names both. A rule's grant is
// managed by "rule: on-call". Hostile reasons stay text.
func TestBrowserApprovalsAndManagedBy(t *testing.T) {
	srv := demoServer(t)
	casey := contractor(t, srv)
	prod := networkByName(t, srv, "production-db")
	office := networkByName(t, srv, "office-network")
	req, err := casey.Request(t.Context(), prod.ID, "Migrate the orders table "+hostile, 0)
	if err != nil {
		t.Fatal(err)
	}
	ruled, err := casey.Request(t.Context(), office.ID, "Printer "+hostile, time.Hour)
	if err != nil || ruled.Status != api.StatusApproved || ruled.Rule != "on-call" {
		t.Fatalf("the on-call rule's grant: %+v %v", ruled, err)
	}
	b := signedInBrowser(t, srv)
	row := `#requests-live tr[data-request="` + req.ID + `"]`
	b.waitText(row, "production-db")
	if got := b.text(row + ` [data-approvals]`); got != "0 of 2" {
		t.Errorf("approvals badge %q, want 0 of 2", got)
	}
	if got := b.text(row + ` [data-open="grant"]`); got != "Approve (1 of 2)" {
		t.Errorf("grant button %q", got)
	}
	b.run(chromedp.Click(row+` [data-open="grant"]`, chromedp.ByQuery), chromedp.WaitVisible(`#grant-dialog`, chromedp.ByQuery))
	if got := b.text(`#grant-dialog h2`); got != "Approve (1 of 2)" {
		t.Errorf("dialog title %q", got)
	}
	b.run(chromedp.Click(`#grant-dialog input[name=duration][value="3600"]`, chromedp.ByQuery))
	b.waitText(`#grant-dialog [data-field="submit"]`, "Approve (1 of 2) for 1h")
	b.run(chromedp.Click(`#grant-dialog [data-field="submit"]`, chromedp.ByQuery), chromedp.WaitVisible(`.flash`, chromedp.ByQuery))
	b.waitText(row+` [data-approvals]`, "1 of 2")
	if got := b.text(row + ` td[data-label="Managed By"]`); got != "1 of 2: admin@example.com" {
		t.Errorf("Managed By of a half-approved request %q", got)
	}
	if got := b.text(row + ` [data-you-approved]`); got != "You approved" {
		t.Errorf("the admin who approved sees %q", got)
	}
	if got, _ := srv.Admin(t).AdminRequest(t.Context(), req.ID); got.Status != api.StatusPending || len(got.Approvals) != 1 {
		t.Fatalf("after the first approval: %+v", got)
	}

	// Erik, the second approver (through db-admins), sees the page with
	// the first approval and his own to give — a minute later (approvals
	// are listed by time; at the same millisecond, by user id).
	srv.Advance(time.Minute)
	_, pw := demoCredential(t, srv, "approver", erik)
	eb := newBrowser(t, srv)
	eb.open("/admin/requests/" + req.ID)
	eb.signIn(erik, pw)
	eb.waitText(`[data-field="approvals"]`, "1 of 2")
	if got := eb.text(`[data-field="approvals"]`); !strings.Contains(got, "admin@example.com approved 1h") {
		t.Errorf("approvals on the request page %q", got)
	}
	eb.waitText(`#decide [data-field="submit"]`, "Approve (2 of 2) for 8h")
	if got := eb.text(`#decide [data-field="several"]`); !strings.Contains(got, "A deny by any approver ends the request") {
		t.Errorf("the request page does not say what a deny does: %q", got)
	}
	eb.run(chromedp.Click(`#decide [data-field="submit"]`, chromedp.ByQuery))
	eb.waitText(`.head-status`, "Approved")
	if got := eb.text(`[data-field="managed-by"]`); got != "admin@example.com, dba@example.com" {
		t.Errorf("Managed by after both approvals %q", got)
	}

	b.open("/admin/requests?status=approved")
	b.waitText(`#requests-live tr[data-request="`+req.ID+`"]`, "Approved")
	if got := b.text(`#requests-live tr[data-request="` + req.ID + `"] td[data-label="Managed By"]`); got != "admin@example.com, dba@example.com" {
		t.Errorf("Managed By of the approved request %q", got)
	}
	if got := b.text(`#requests-live tr[data-request="` + ruled.ID + `"] td[data-label="Managed By"]`); got != "rule: on-call" {
		t.Errorf("Managed By of the rule's grant %q", got)
	}
	b.clean()
	eb.clean()
}

// TestBrowserExtensionsAndSchedules: an extension is marked as such in the
// list ("Extends the grant by 2h") and on its page (the grant's end now
// and with it); a scheduled request says when it starts, in the viewer's
// time zone; a service user's request carries the Service badge.
func TestBrowserExtensionsAndSchedules(t *testing.T) {
	srv := demoServer(t)
	admin := srv.Admin(t)
	office := networkByName(t, srv, "office-network")
	staging := networkByName(t, srv, "staging-internal")
	alice, _ := srv.NewUser(t, "alice@example.com", api.RoleUser)
	grant, err := alice.Request(t.Context(), office.ID, "Inventory of the switches", 0)
	if err != nil {
		t.Fatal(err)
	}
	if grant, err = admin.Approve(t.Context(), grant.ID, 4*time.Hour); err != nil {
		t.Fatal(err)
	}
	ext, err := alice.Extend(t.Context(), grant.ID, "Not done yet "+hostile, 2*time.Hour)
	if err != nil || ext.Kind != api.KindExtension || ext.Status != api.StatusPending {
		t.Fatalf("extension: %+v %v", ext, err)
	}
	starts := srv.Now().Add(3 * time.Hour) // 12:00 UTC, 13:00 in Berlin
	sched, err := alice.RequestWith(t.Context(), staging.ID, api.NewRequest{Reason: "Night deploy " + hostile, StartsAt: &starts})
	if err != nil {
		t.Fatal(err)
	}
	_, token, err := admin.CreateServiceUser(t.Context(), "ci-runner@example.com", "CI "+hostile)
	if err != nil {
		t.Fatal(err)
	}
	ci := srv.Client()
	ci.SetToken(token)
	ciReq, err := ci.Request(t.Context(), office.ID, "Nightly integration tests", 0)
	if err != nil {
		t.Fatal(err)
	}

	b := newBrowser(t, srv)
	b.run(emulation.SetTimezoneOverride("Europe/Berlin"))
	b.open("/admin/requests")
	b.signIn(backendtest.AdminEmail, backendtest.AdminPassword)
	extRow := `#requests-live tr[data-request="` + ext.ID + `"]`
	b.waitText(extRow, "Extension")
	if got := b.text(extRow + ` [data-extends]`); got != "Extends the grant by 2h" {
		t.Errorf("extension note %q", got)
	}
	schedRow := `#requests-live tr[data-request="` + sched.ID + `"]`
	if got := b.text(schedRow + ` [data-kind="scheduled"]`); got != "Scheduled" {
		t.Errorf("scheduled badge %q", got)
	}
	b.waitText(schedRow+` [data-starts]`, "13:00")
	if got := b.text(schedRow + ` [data-starts]`); !strings.HasPrefix(got, "starts Mon") || strings.Contains(got, "UTC") {
		t.Errorf("the start in the viewer's zone: %q", got)
	}
	if got := b.text(`#requests-live tr[data-request="` + ciReq.ID + `"] [data-service]`); got != "Service" {
		t.Errorf("service badge %q", got)
	}

	b.open("/admin/requests/" + ext.ID)
	b.waitText(`[data-field="extends"]`, "by 2h")
	// The grant ends at 13:00 UTC (14:00 Berlin); with the extension 16:00.
	if got := b.text(`[data-field="extends"]`); !strings.Contains(got, "until Mon, Nov 23, 14:00") || !strings.Contains(got, "it would end Mon, Nov 23, 16:00") {
		t.Errorf("extension on its page %q", got)
	}
	b.waitText(`#decide [data-field="submit"]`, "Grant access for 2h")
	b.run(chromedp.Click(`#decide [data-field="submit"]`, chromedp.ByQuery))
	b.waitText(`#decide h2`, "Extension granted")
	if got, _ := admin.AdminRequest(t.Context(), grant.ID); !got.ExpiresAt.Equal(grant.ExpiresAt.Add(2 * time.Hour)) {
		t.Errorf("the grant ends %v, want 2h later than %v", got.ExpiresAt, grant.ExpiresAt)
	}
	b.open("/admin/requests/" + sched.ID)
	b.waitText(`[data-field="starts"]`, "13:00")
	b.clean()
}
