package web_test

import (
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"gatepass.dev/shared/api"
	"gatepass.dev/shared/wgkey"
)

// TestBrowserGateways: a network's page shows its embedded gateway; "Add
// gateway" shows the command with its one-time token; the gateway enrolls
// with it (its hostile hostname is shown as text); the page then shows the
// remote gateway online with its version, endpoint and last contact; the
// Gateways page lists it; Revoke (after the confirmation) leaves the
// network without a gateway, and the audit log has every step.
func TestBrowserGateways(t *testing.T) {
	srv := demoServer(t)
	n := networkByName(t, srv, "office-network")
	b := signedInBrowser(t, srv)
	page := "/admin/networks/" + n.ID
	b.open(page)
	card := `[data-gateway-section]`
	b.waitText(card, "Embedded: runs inside gatepass-server")
	if got := b.text(card + ` [data-gw-status]`); got != "online" {
		t.Errorf("the embedded gateway's status %q, want online", got)
	}

	b.run(
		chromedp.SendKeys(`#gateway-endpoint`, "gw.office.example.com:51820", chromedp.ByQuery),
		chromedp.Click(`[data-add-gateway] button[type=submit]`, chromedp.ByQuery),
		chromedp.WaitVisible(`[data-enroll-command]`, chromedp.ByQuery),
	)
	cmd := b.text(`[data-enroll-command]`)
	m := regexp.MustCompile(`^gatepass-gateway up --server (\S+) --enroll-token (gpe_\S+) --state-dir /var/lib/gatepass-gateway --mode netstack$`).FindStringSubmatch(cmd)
	if m == nil || m[1] != srv.URL {
		t.Fatalf("the command %q", cmd)
	}
	if body := b.text(`main`); !strings.Contains(body, "gw.office.example.com:51820") || !strings.Contains(body, "UDP port 51820") {
		t.Errorf("the page does not say what clients dial and what the host must accept:\n%s", body)
	}

	// Before the enrollment the network page says it waits.
	b.open(page)
	b.waitText(card, "waiting for enrollment")
	if n := countOf(b, `[data-add-gateway]`); n != 0 {
		t.Errorf("the add form is still offered while a gateway waits")
	}

	key, _ := wgkey.NewPrivate()
	out, err := srv.Client().EnrollGateway(t.Context(), api.GatewayEnrollRequest{EnrollToken: m[2], PublicKey: key.Public().String(),
		Version: "1.4.2", Hostname: `<script>alert("gw")</script>`})
	if err != nil {
		t.Fatal(err)
	}
	b.open(page)
	remote := card + ` [data-gateway="` + out.GatewayID + `"]`
	b.waitText(remote, "Remote")
	got := b.text(remote)
	for _, want := range []string{`<script>alert("gw")</script>`, "online", "1.4.2", "gw.office.example.com:51820", "Last contact", key.Public().String()} {
		if !strings.Contains(got, want) {
			t.Errorf("the remote gateway's card lacks %q:\n%s", want, got)
		}
	}
	if n := countOf(b, `[data-gateway-section] [data-kind="embedded"]`); n != 0 {
		t.Errorf("the replaced embedded gateway is still shown")
	}

	b.run(chromedp.Click(`.mainnav a[href="/admin/gateways"]`, chromedp.ByQuery), chromedp.WaitVisible(`table.gateways`, chromedp.ByQuery))
	row := `table.gateways tr[data-gateway="` + out.GatewayID + `"]`
	b.waitText(row, "office-network")
	if got := b.text(row); !strings.Contains(got, "online") || !strings.Contains(got, "1.4.2") {
		t.Errorf("gateways row %q", got)
	}

	b.open(page)
	b.run(
		chromedp.Click(remote+` form[action$="/revoke"] button`, chromedp.ByQuery),
		chromedp.WaitVisible(`#confirm-dialog`, chromedp.ByQuery),
		chromedp.Click(`#confirm-dialog [data-field="ok"]`, chromedp.ByQuery),
		chromedp.WaitVisible(`.flash-ok`, chromedp.ByQuery),
	)
	if got := b.text(`.flash-ok`); !strings.Contains(got, "Revoked the gateway of office-network") {
		t.Errorf("flash %q", got)
	}
	b.waitText(card, "This network has no gateway")
	b.clean()

	for _, action := range []string{"gateway.add", "gateway.enroll", "gateway.revoke"} {
		res, err := srv.Admin(t).Audit(t.Context(), url.Values{"action": {action}})
		if err != nil || len(res.Entries) != 1 {
			t.Errorf("audit %s: %d entries, %v", action, len(res.Entries), err)
		}
	}
}

// countOf counts the elements matching sel.
func countOf(b *browser, sel string) int {
	b.t.Helper()
	var n int
	b.eval(`document.querySelectorAll(`+strconv.Quote(sel)+`).length`, &n)
	return n
}
