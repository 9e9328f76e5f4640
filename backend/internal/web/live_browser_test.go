package web_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"gatepass.dev/backend/backendtest"
	"gatepass.dev/shared/api"
)

// TestBrowserLiveUpdates: a new request, a decision made elsewhere and an
// expiry show up on the open page without a reload (SSE → the fragment).
func TestBrowserLiveUpdates(t *testing.T) {
	srv := demoServer(t)
	alice, _ := srv.NewUser(t, "alice@example.com", api.RoleUser)
	office := networkByName(t, srv, "office-network")
	b := signedInBrowser(t, srv)
	b.waitFor("the live stream", `document.querySelector('[data-live-state]').getAttribute('data-live-state') === 'on'`)
	var ok bool
	b.eval(`window.__sameDocument = true`, &ok)

	req, err := alice.Request(t.Context(), office.ID, "Patch the office firewall tonight", 0)
	if err != nil {
		t.Fatal(err)
	}
	row := fmt.Sprintf(`#requests-live tr[data-request="%s"]`, req.ID)
	b.waitText(row, "Patch the office firewall tonight")
	b.waitText(`.tab[data-tab="pending"] .count`, "2")

	// Another admin grants it (through the API): it leaves the pending tab.
	if _, err := srv.Admin(t).Approve(t.Context(), req.ID, time.Hour); err != nil {
		t.Fatal(err)
	}
	b.waitFor("the granted row to leave", fmt.Sprintf(`!document.querySelector(%q)`, row))
	b.waitText(`.tab[data-tab="approved"] .count`, "2")
	b.eval(`window.__sameDocument === true`, &ok)
	if !ok {
		t.Fatal("the page reloaded")
	}

	// On the approved tab, the grant expires when the clock passes it.
	b.run(chromedp.Click(`.tab[data-tab="approved"]`, chromedp.ByQuery))
	b.waitText(row, "Approved")
	b.waitFor("the live stream", `document.querySelector('[data-live-state]').getAttribute('data-live-state') === 'on'`)
	b.eval(`window.__sameDocument = true`, &ok)
	srv.Advance(time.Hour + time.Second)
	b.waitFor("the expired grant to leave", fmt.Sprintf(`!document.querySelector(%q)`, row))
	b.waitText(`.tab[data-tab="ended"] .count`, "1")
	b.eval(`window.__sameDocument === true`, &ok)
	if !ok {
		t.Fatal("the page reloaded")
	}
	if got := b.text(`.tab[data-tab="approved"] .count`); got != "1" {
		t.Errorf("approved count after the expiry: %q", got)
	}
	b.clean()
}

// Hostile text in every field a user or admin can fill.
const (
	hostileScript = `<script>alert(1)</script>`
	hostileImg    = `"><img src=x onerror=alert(2)>`
	hostileName   = `<b>Mallory</b><svg onload=alert(3)>`
	hostileNote   = `</textarea><script>alert(4)</script>`
	hostileDesc   = `'><iframe src=javascript:alert(5)>`
)

// TestBrowserHostileText: hostile reasons, names, notes and descriptions
// stay text on every page and in the dialogs: no injected element, no
// alert, no CSP violation.
func TestBrowserHostileText(t *testing.T) {
	srv := demoServer(t)
	admin := srv.Admin(t)
	if _, err := admin.CreateUser(t.Context(), api.UserInput{Email: "mallory@example.com", Name: hostileName, Role: api.RoleUser, Password: backendtest.UserPassword}); err != nil {
		t.Fatal(err)
	}
	mallory := srv.Login(t, "mallory@example.com", backendtest.UserPassword)
	office, staging, zero := networkByName(t, srv, "office-network"), networkByName(t, srv, "staging-internal"), networkByName(t, srv, "zero-path")
	desc := hostileDesc
	if _, err := admin.UpdateNetwork(t.Context(), office.ID, api.NetworkInput{Description: &desc}); err != nil {
		t.Fatal(err)
	}
	r1, err := mallory.Request(t.Context(), office.ID, hostileScript, 0)
	if err != nil {
		t.Fatal(err)
	}
	r2, err := mallory.Request(t.Context(), staging.ID, hostileImg, 0)
	if err != nil {
		t.Fatal(err)
	}
	r3, err := mallory.Request(t.Context(), zero.ID, hostileScript+hostileImg, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := admin.Deny(t.Context(), r3.ID, hostileNote); err != nil {
		t.Fatal(err)
	}

	b := signedInBrowser(t, srv)
	noInjection := `(() => {
		const bad = [];
		if (document.querySelectorAll('img:not(.logo), iframe, b, object, embed').length) bad.push('element');
		if ([...document.querySelectorAll('img.logo')].some(i => !i.getAttribute('src').startsWith('/admin/static/mark.svg?'))) bad.push('logo');
		if (document.querySelectorAll('[onerror], [onload]').length) bad.push('handler');
		const scripts = document.querySelectorAll('script');
		if (scripts.length !== 1 || !scripts[0].src.includes('/admin/static/app.js')) bad.push('script');
		if (document.querySelectorAll('svg').length !== document.querySelectorAll('svg.logo').length) bad.push('svg');
		return bad.join(',');
	})()`
	check := func(where string, texts ...string) {
		t.Helper()
		var bad string
		b.eval(noInjection, &bad)
		if bad != "" {
			t.Errorf("%s: injected %s", where, bad)
		}
		var body string
		b.eval(`document.body.innerText + [...document.querySelectorAll('[title]')].map(e => e.title).join(' ')`, &body)
		for _, want := range texts {
			if !strings.Contains(body, want) {
				t.Errorf("%s: the text %q is not shown as text", where, want)
			}
		}
	}
	pages := []struct {
		path  string
		texts []string
	}{
		{"/admin/requests", []string{hostileScript, hostileImg, hostileName}},
		{"/admin/requests?status=denied", []string{hostileScript + hostileImg, "Note: " + hostileNote}},
		{"/admin/requests?q=" + urlQuery(hostileImg), []string{hostileImg}},
		{"/admin/requests/" + r1.ID, []string{hostileScript, hostileName}},
		{"/admin/requests/" + r2.ID, []string{hostileImg}},
		{"/admin/requests/" + r3.ID, []string{hostileNote}},
		{"/admin/networks", []string{hostileDesc}},
		{"/admin/networks/" + office.ID, []string{hostileDesc}},
		{"/admin/networks/" + office.ID + "/requests", []string{hostileScript}},
		{"/admin/users", []string{hostileName}},
		{"/admin/audit", []string{hostileScript}},
		{"/admin/outbox", nil},
	}
	for _, p := range pages {
		b.open(p.path)
		b.run(chromedp.WaitReady(`body`, chromedp.ByQuery))
		check(p.path, p.texts...)
	}
	var q string
	b.open("/admin/requests?q=" + urlQuery(hostileImg))
	b.eval(`document.querySelector('#q').value`, &q)
	if q != hostileImg {
		t.Errorf("the search box holds %q", q)
	}
	// The dialogs are filled by script: with text only.
	for _, id := range []string{r1.ID, r2.ID} {
		b.open("/admin/requests")
		b.run(chromedp.Click(`tr[data-request="`+id+`"] [data-open="grant"]`, chromedp.ByQuery), chromedp.WaitVisible(`#grant-dialog`, chromedp.ByQuery))
		check("grant dialog of "+id, hostileName)
		got := b.text(`#grant-dialog [data-field="reason"]`)
		if got != hostileScript && got != hostileImg {
			t.Errorf("grant dialog reason %q", got)
		}
		b.run(chromedp.Click(`#grant-dialog [data-close]`, chromedp.ByQuery),
			chromedp.Click(`tr[data-request="`+id+`"] [data-open="deny"]`, chromedp.ByQuery), chromedp.WaitVisible(`#deny-dialog`, chromedp.ByQuery))
		check("deny dialog of " + id)
	}
	b.clean()
}

func urlQuery(s string) string {
	r := strings.NewReplacer("%", "%25", "&", "%26", "#", "%23", "+", "%2B", " ", "+", `"`, "%22", "<", "%3C", ">", "%3E", "=", "%3D")
	return r.Replace(s)
}
