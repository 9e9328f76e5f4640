package web_test

import (
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"gatepass.dev/backend/backendtest"
	"gatepass.dev/shared/api"
	"gatepass.dev/shared/client"
)

var shots = flag.String("shots", "", "save screenshots of the admin pages into this directory (TestScreenshots)")

// seedShowcase fills a demo server with a realistic mix of requests.
func seedShowcase(t *testing.T, srv *backendtest.Server) {
	t.Helper()
	admin := srv.Admin(t)
	staging := networkByName(t, srv, "staging-internal")
	office := networkByName(t, srv, "office-network")
	zero := networkByName(t, srv, "zero-path")
	week := int64(7 * 24 * 3600)
	if _, err := admin.UpdateNetwork(t.Context(), zero.ID, api.NetworkInput{MaxDurationSeconds: &week}); err != nil {
		t.Fatal(err)
	}
	users := map[string]*client.Client{}
	for _, e := range []string{"priya.natarajan@example.com", "jonas.berg@example.com", "maria.gonzalez@example.com", "li.wei@example.com", "sam.okafor@example.com"} {
		users[e], _ = srv.NewUser(t, e, api.RoleUser)
	}
	req := func(email string, n api.Network, reason string, wished time.Duration) api.Request {
		r, err := users[email].Request(t.Context(), n.ID, reason, wished)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	srv.Advance(-0) // keep the fake clock's start as the first request time
	r1 := req("jonas.berg@example.com", office, "Print the quarterly board pack on the 3rd-floor printer", 0)
	srv.Advance(26 * time.Hour)
	r2 := req("li.wei@example.com", office, "Restore a file share snapshot for the finance team (ticket OPS-2291)", 0)
	srv.Advance(3 * time.Hour)
	req("maria.gonzalez@example.com", zero, "Rotate the bastion host keys before the audit on Friday", 4*time.Hour)
	srv.Advance(2 * time.Hour)
	r4 := req("sam.okafor@example.com", staging, "Load-test the new checkout service against the staging database", 0)
	srv.Advance(40 * time.Minute)
	req("priya.natarajan@example.com", staging, "Debug failing payments webhook in staging — customer escalation #4471", 2*time.Hour)
	srv.Advance(5 * time.Minute)
	req("li.wei@example.com", zero, "Emergency: investigate elevated 5xx on the production API", time.Hour)
	if _, err := admin.Approve(t.Context(), r1.ID, 8*time.Hour); err != nil {
		t.Fatal(err)
	}
	if _, err := admin.Deny(t.Context(), r2.ID, "Use the self-service restore in the portal instead"); err != nil {
		t.Fatal(err)
	}
	if _, err := admin.Approve(t.Context(), r4.ID, 24*time.Hour); err != nil {
		t.Fatal(err)
	}
	name, action, hour, pattern := "service-desk-hours", api.ActionAutoApprove, int64(3600), `\b(OPS|INC)-[0-9]+\b`
	if _, err := admin.CreateRule(t.Context(), office.ID, api.RuleInput{Name: &name, Action: &action,
		UserIDs: &[]string{userID(t, srv, "li.wei@example.com"), userID(t, srv, "jonas.berg@example.com")}, MaxDurationSeconds: &hour, ReasonPattern: &pattern,
		Schedule: api.OptionalSchedule{Set: true, Value: &api.Schedule{Days: []string{"mon", "tue", "wed", "thu", "fri"}, From: "08:00", To: "18:00", TimeZone: "Europe/Berlin"}}}); err != nil {
		t.Fatal(err)
	}
	srv.Advance(4 * time.Minute)
}

// TestScreenshots saves PNGs of the requests page and the grant dialog at
// 1280×900 and at a phone's width: go test -run TestScreenshots -args -shots DIR
func TestScreenshots(t *testing.T) {
	if *shots == "" {
		t.Skip("screenshots: pass -args -shots DIR")
	}
	if err := os.MkdirAll(*shots, 0o755); err != nil {
		t.Fatal(err)
	}
	srv := demoServer(t)
	seedShowcase(t, srv)
	b := signedInBrowser(t, srv)
	save := func(name string) {
		var png []byte
		b.run(chromedp.CaptureScreenshot(&png))
		if err := os.WriteFile(filepath.Join(*shots, name+".png"), png, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	type view struct {
		name          string
		width, height int64
		mobile        bool
		dark          bool
	}
	for _, v := range []view{{"desktop", 1280, 900, false, false}, {"phone", 390, 844, true, false}, {"desktop-dark", 1280, 900, false, true}} {
		scheme := "light"
		if v.dark {
			scheme = "dark"
		}
		b.run(
			chromedp.EmulateViewport(v.width, v.height, func(p *emulation.SetDeviceMetricsOverrideParams, _ *emulation.SetTouchEmulationEnabledParams) {
				p.Mobile = v.mobile
				if v.mobile {
					p.DeviceScaleFactor = 2
				}
			}),
			emulation.SetEmulatedMedia().WithFeatures([]*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: scheme}}),
		)
		b.open("/admin/requests")
		b.run(chromedp.WaitVisible(`#requests-live tr`, chromedp.ByQuery))
		save("requests-" + v.name)
		b.run(chromedp.Click(`#requests-live tr[data-status="pending"] [data-open="grant"]`, chromedp.ByQuery), chromedp.WaitVisible(`#grant-dialog`, chromedp.ByQuery))
		save("grant-dialog-" + v.name)
		if v.dark {
			continue
		}
		b.open("/admin/requests?status=approved")
		b.run(chromedp.WaitVisible(`#requests-live tr`, chromedp.ByQuery))
		save("requests-approved-" + v.name)
		b.open("/admin/requests?status=denied")
		b.run(chromedp.WaitVisible(`#requests-live tr`, chromedp.ByQuery))
		save("requests-denied-" + v.name)
		b.run(chromedp.Click(`#requests-live tr a.user`, chromedp.ByQuery), chromedp.WaitVisible(`#decide`, chromedp.ByQuery))
		save("request-closed-" + v.name)
		b.open("/admin/requests")
		b.run(chromedp.WaitVisible(`#requests-live [data-select]`, chromedp.ByQuery))
		var ok bool
		b.eval(`(() => { document.querySelectorAll('#requests-live [data-select]').forEach(c => c.click()); return true })()`, &ok)
		b.run(chromedp.Click(`[data-bulk-open="grant"]`, chromedp.ByQuery), chromedp.WaitVisible(`#bulk-grant-dialog`, chromedp.ByQuery))
		save("bulk-grant-" + v.name)
		b.open("/admin/requests")
		b.run(chromedp.Click(`#requests-live tr[data-status="pending"] a.user`, chromedp.ByQuery), chromedp.WaitVisible(`#decide`, chromedp.ByQuery))
		save("request-" + v.name)
		b.open("/admin/networks")
		b.run(chromedp.WaitVisible(`table.networks`, chromedp.ByQuery))
		save("networks-" + v.name)
		saveFull := func(name string) {
			var png []byte
			b.run(chromedp.FullScreenshot(&png, 90))
			if err := os.WriteFile(filepath.Join(*shots, name+".jpg"), png, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		office := networkByName(t, srv, "office-network")
		b.open("/admin/networks/" + office.ID + "/preview?user=" + userID(t, srv, "li.wei@example.com") +
			"&duration_amount=1&duration_unit=h&at=2026-12-01T10:00&time_zone=Europe/Berlin&reason=Restore+a+share,+ticket+OPS-2291")
		b.run(chromedp.WaitVisible(`#preview-result`, chromedp.ByQuery))
		saveFull("network-rules-" + v.name)
		b.open("/admin/networks/" + networkByName(t, srv, "production-db").ID + "/edit")
		saveFull("network-form-" + v.name)
		b.open("/admin/networks/" + office.ID)
		b.run(chromedp.Click(`table.rules tbody tr:nth-child(2) a[href$="/edit"]`, chromedp.ByQuery), chromedp.WaitVisible(`#rule-name`, chromedp.ByQuery))
		saveFull("rule-form-" + v.name)
		if v.mobile {
			continue
		}
		b.open("/admin/networks/" + networkByName(t, srv, "zero-path").ID)
		save("network-" + v.name)
		for _, p := range []string{"users", "settings", "audit", "outbox"} {
			b.open("/admin/" + p)
			save(p + "-" + v.name)
		}
	}
	login := newBrowser(t, srv)
	login.open("/admin/requests")
	login.run(chromedp.WaitVisible(`#email`, chromedp.ByQuery))
	var png []byte
	login.run(chromedp.CaptureScreenshot(&png))
	if err := os.WriteFile(filepath.Join(*shots, "login-desktop.png"), png, 0o644); err != nil {
		t.Fatal(err)
	}
	b.clean()
}
