package web_test

import (
	"testing"

	"github.com/chromedp/chromedp"
)

// TestBrowserConfirmReopened: a confirmation cancelled and asked again at
// once — before the browser delivered the first closing, as a busy
// browser may when a click comes first — still does what its Confirm
// says: the late close event of the first opening neither cancels nor
// decides the second.
func TestBrowserConfirmReopened(t *testing.T) {
	srv := demoServer(t)
	office := networkByName(t, srv, "office-network")
	b := signedInBrowser(t, srv)
	b.open("/admin/networks/" + office.ID)
	b.run(chromedp.WaitVisible(`table.rules form[action$="/delete"] button`, chromedp.ByQuery))
	var open bool
	b.eval(`(() => {
		const form = document.querySelector('table.rules form[action$="/delete"]'), dlg = document.querySelector('#confirm-dialog');
		form.requestSubmit();
		dlg.querySelector('[data-field="cancel"]').click();
		form.requestSubmit();
		return dlg.open;
	})()`, &open)
	if !open {
		t.Fatal("the confirmation did not open again")
	}
	b.run(chromedp.Click(`#confirm-dialog [data-field="ok"]`, chromedp.ByQuery))
	b.waitText(`.flash-ok`, "Deleted the rule on-call of office-network")
	if rules, _ := srv.Admin(t).Rules(t.Context(), office.ID); len(rules) != 0 {
		t.Errorf("rules after the confirmed delete: %+v", rules)
	}
	b.clean()
}
