package web_test

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"gatepass.dev/backend/backendtest"
	"gatepass.dev/shared/api"
	"gatepass.dev/shared/client"
)

// chipState is the grant picker as the admin sees it.
type chipState struct {
	Chips   []string `json:"chips"`   // the visible chips' labels, in order
	Checked string   `json:"checked"` // the chosen radio's value
	Asked   []string `json:"asked"`   // the labels of the chips of the wish
	Custom  bool     `json:"custom"`  // the custom inputs are shown
	Wished  string   `json:"wished"`  // the hint about the wish
}

func pickerState(b *browser, root string) chipState {
	b.t.Helper()
	var s chipState
	b.eval(`(() => {
		const root = document.querySelector('`+root+`');
		const visible = el => !!el && getComputedStyle(el).display !== 'none' && !el.closest('[hidden]');
		const chips = [...root.querySelectorAll('.chip')].filter(visible);
		const checked = root.querySelector('input[name=duration]:checked');
		const w = root.querySelector('[data-field="wished"]');
		return {
			chips: chips.map(c => c.textContent.trim()),
			checked: checked ? checked.value : '',
			asked: [...root.querySelectorAll('[data-asked]')].map(r => r.closest('.chip').textContent.trim()),
			custom: visible(root.querySelector('.custom')),
			wished: w && !w.hidden ? w.textContent.trim() : '',
		};
	})()`, &s)
	return s
}

// TestBrowserGrantPreselectsWish: the Grant dialog preselects what the
// user asked for, with a chip of its own when it is no preset; a wish above
// the network's maximum is clamped to it and said so; the custom inputs
// show only while Custom is chosen. The request's page does the same.
func TestBrowserGrantPreselectsWish(t *testing.T) {
	srv := demoServer(t)
	staging := networkByName(t, srv, "staging-internal")
	kim, _ := srv.NewUser(t, "kim@example.com", api.RoleUser)
	lee, _ := srv.NewUser(t, "lee@example.com", api.RoleUser)
	two, err := kim.Request(t.Context(), staging.ID, "Rotate the staging TLS keys", 2*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	three, err := lee.Request(t.Context(), staging.ID, "Load test over the weekend", 3*24*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	day, def := int64(86400), int64(8*3600)
	if _, err := srv.Admin(t).UpdateNetwork(t.Context(), staging.ID, api.NetworkInput{MaxDurationSeconds: &day, DefaultDurationSeconds: &def}); err != nil {
		t.Fatal(err)
	}
	b := signedInBrowser(t, srv)
	open := func(id string) {
		b.run(chromedp.Click(`#requests-live tr[data-request="`+id+`"] [data-open="grant"]`, chromedp.ByQuery), chromedp.WaitVisible(`#grant-dialog`, chromedp.ByQuery))
	}
	closeDialog := func() {
		b.run(chromedp.Click(`#grant-dialog [data-close]`, chromedp.ByQuery), chromedp.WaitNotVisible(`#grant-dialog`, chromedp.ByQuery))
	}

	open(two.ID)
	s := pickerState(b, `#grant-dialog`)
	if strings.Join(s.Chips, ",") != "1 hour,2 hours,8 hours,1 day,Custom" || s.Checked != "7200" || strings.Join(s.Asked, ",") != "2 hours" {
		t.Errorf("a 2h wish: %+v", s)
	}
	if s.Custom {
		t.Error("the custom inputs show while a chip is chosen")
	}
	if s.Wished != "They asked for 2h." {
		t.Errorf("wish hint %q", s.Wished)
	}
	b.waitText(`#grant-dialog [data-field="submit"]`, "Grant access for 2h")
	b.run(chromedp.Click(`#grant-dialog [data-custom-radio]`, chromedp.ByQuery))
	if s := pickerState(b, `#grant-dialog`); !s.Custom {
		t.Error("the custom inputs stay hidden when Custom is chosen")
	}
	closeDialog()

	open(three.ID)
	s = pickerState(b, `#grant-dialog`)
	if strings.Join(s.Chips, ",") != "1 hour,8 hours,1 day,Custom" || s.Checked != "86400" || len(s.Asked) != 0 || s.Custom {
		t.Errorf("a 3d wish on a 1d network: %+v", s)
	}
	if s.Wished != "They asked for 3d; this network allows at most 1d." {
		t.Errorf("clamped wish hint %q", s.Wished)
	}
	closeDialog()

	// Without a wish: the network's default, as before.
	open(pendingID(t, srv, "contractor@example.com"))
	if s := pickerState(b, `#grant-dialog`); s.Checked != "28800" || len(s.Asked) != 0 || s.Wished != "" || s.Custom {
		t.Errorf("no wish: %+v", s)
	}
	closeDialog()

	open(two.ID) // the wish's chip is made once, not once per opening
	if s := pickerState(b, `#grant-dialog`); strings.Join(s.Asked, ",") != "2 hours" || s.Checked != "7200" {
		t.Errorf("reopened: %+v", s)
	}
	b.run(chromedp.Click(`#grant-dialog [data-field="submit"]`, chromedp.ByQuery))
	b.waitText(`.flash-ok`, "Granted kim@example.com access to staging-internal for 2h")

	// The request's own page, rendered by the server.
	b.open("/admin/requests/" + three.ID)
	b.run(chromedp.WaitVisible(`#decide`, chromedp.ByQuery))
	s = pickerState(b, `#decide`)
	if s.Checked != "86400" || s.Custom || s.Wished != "They asked for 3d; this network allows at most 1d." {
		t.Errorf("request page of a 3d wish: %+v", s)
	}
	b.clean()
}

// pendingID is the id of the pending request of a user.
func pendingID(t *testing.T, srv *backendtest.Server, email string) string {
	t.Helper()
	list, err := srv.Admin(t).AdminRequests(t.Context(), client.RequestQuery{Status: "pending", Q: email})
	if err != nil || len(list.Requests) != 1 {
		t.Fatalf("the pending request of %s: %v %+v", email, err, list.Requests)
	}
	return list.Requests[0].ID
}
