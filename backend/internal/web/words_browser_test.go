package web_test

import (
	"encoding/csv"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"gatepass.dev/backend/backendtest"
	"gatepass.dev/shared/api"
)

// TestBrowserAuditInWords: the audit log and a request's history say each
// entry in words, the raw fields one click away; the outbox says each
// email in words; "Retry all undeliverable" queues them again after a
// confirmation, audited.
func TestBrowserAuditInWords(t *testing.T) {
	srv := demoServer(t, backendtest.WithoutSMTP())
	req := pendingDemoRequest(t, srv)
	if _, err := srv.Admin(t).Approve(t.Context(), req.ID, 8*time.Hour); err != nil {
		t.Fatal(err)
	}
	const granted = "Admin granted 8h to Casey Contractor on staging-internal"
	b := signedInBrowser(t, srv)

	b.open("/admin/audit?action=request.")
	first := `table.audit tbody tr:first-child`
	b.waitText(first+` .audit-text`, granted)
	var rawShown bool
	b.eval(`document.querySelector('`+first+` .raw-fields').checkVisibility()`, &rawShown)
	if rawShown {
		t.Error("the raw fields show before a click")
	}
	b.run(chromedp.Click(first+` details.raw summary`, chromedp.ByQuery))
	b.waitFor("the raw fields", `document.querySelector('`+first+` .raw-fields').checkVisibility()`)
	raw := b.text(first + ` .raw-fields`)
	for _, want := range []string{"request.approve", "admin@example.com", "duration=8h", "network=staging-internal", req.ID} {
		if !strings.Contains(raw, want) {
			t.Errorf("raw fields lack %q: %q", want, raw)
		}
	}

	b.open("/admin/requests/" + req.ID)
	history := b.text(`.timeline`)
	for _, want := range []string{"Casey Contractor asked for access to staging-internal: “Deploy and verify the v2.3 release on staging”", granted} {
		if !strings.Contains(history, want) {
			t.Errorf("history lacks %q:\n%s", want, history)
		}
	}

	// The outbox: no SMTP server, so the emails wait as undeliverable.
	backendtest.WaitFor(t, "undeliverable emails", func() bool {
		list, err := srv.Admin(t).Outbox(t.Context(), api.OutboxUndeliverable)
		return err == nil && len(list) >= 2
	})
	list, _ := srv.Admin(t).Outbox(t.Context(), api.OutboxUndeliverable)
	b.open("/admin/outbox")
	b.waitText(`table.outbox`, "To contractor@example.com: their access to staging-internal was approved — not sent: no SMTP server was configured")
	b.waitText(`[data-retry-undeliverable]`, "Retry all undeliverable")
	b.run(chromedp.Click(`[data-retry-undeliverable]`, chromedp.ByQuery), chromedp.WaitVisible(`#confirm-dialog`, chromedp.ByQuery))
	if got := b.text(`#confirm-dialog [data-field="text"]`); !strings.Contains(got, "undeliverable emails again?") {
		t.Errorf("confirmation: %q", got)
	}
	b.run(chromedp.Click(`#confirm-dialog [data-field="ok"]`, chromedp.ByQuery))
	b.waitText(`.flash-ok`, "undeliverable emails again.")
	rows := srv.AuditRows(t, "outbox.retry_undeliverable")
	if len(rows) != 1 || rows[0].Details["count"] != itoa(len(list)) || rows[0].ActorEmail != backendtest.AdminEmail {
		t.Fatalf("audit of the retry (%d undeliverable): %+v", len(list), rows)
	}
	b.open("/admin/audit?action=outbox.")
	b.waitText(`table.audit`, "Admin queued "+itoa(len(list))+" undeliverable emails again")
	b.clean()
}

// TestAuditExportInWords: the CSV export and the JSON API carry each
// entry in words (text) beside the raw fields.
func TestAuditExportInWords(t *testing.T) {
	srv := demoServer(t)
	req := pendingDemoRequest(t, srv)
	if _, err := srv.Admin(t).Deny(t.Context(), req.ID, "=HYPERLINK(\"http://x\") ask again"); err != nil {
		t.Fatal(err)
	}
	c := newWebClient(t, srv)
	c.signIn(backendtest.AdminEmail, backendtest.AdminPassword)
	exp := c.get("/admin/audit?" + url.Values{"action": {"request.deny"}, "format": {"csv"}}.Encode())
	rows, err := csv.NewReader(strings.NewReader(exp.Body)).ReadAll()
	if err != nil || len(rows) != 2 {
		t.Fatalf("CSV: %v %q", err, rows)
	}
	head := rows[0]
	if head[len(head)-1] != "text" || head[4] != "action" || head[9] != "details" {
		t.Errorf("CSV columns: %q", head)
	}
	want := "Admin denied the request of Casey Contractor for staging-internal: “=HYPERLINK(\"http://x\") ask again”"
	if got := rows[1][len(head)-1]; got != want {
		t.Errorf("CSV text %q, want %q", got, want)
	}
	if rows[1][4] != "request.deny" || !strings.Contains(rows[1][9], "note=") {
		t.Errorf("CSV raw fields: %q", rows[1])
	}
	res, err := srv.Admin(t).Audit(t.Context(), url.Values{"action": {"request.deny"}})
	if err != nil || len(res.Entries) != 1 || res.Entries[0].Text != want || res.Entries[0].Action != "request.deny" {
		t.Errorf("JSON: %v %+v", err, res.Entries)
	}
}
