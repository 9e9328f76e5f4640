package web_test

import (
	"net/url"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"gatepass.dev/backend/backendtest"
)

// demoGroups maps the demo's group names to their ids.
func demoGroups(t *testing.T, srv *backendtest.Server) map[string]string {
	t.Helper()
	gs, err := srv.Admin(t).Groups(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, g := range gs {
		out[g.Name] = g.ID
	}
	return out
}

// userID finds a user's id by email through the admin API.
func userID(t *testing.T, srv *backendtest.Server, email string) string {
	t.Helper()
	us, err := srv.Admin(t).Users(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range us {
		if u.Email == email {
			return u.ID
		}
	}
	t.Fatalf("no user %s", email)
	return ""
}

// TestBrowserNetworkPolicy: the network form sets staging-internal's
// policy — members through a group, approvers (a user and a group), two
// required approvals, break-glass for a group — through the admin service
// the API uses; the network page shows it. Out-of-range approvals and
// break-glass without groups are refused with the API's messages in the
// form's words, the form keeps what was typed, and nothing changes.
func TestBrowserNetworkPolicy(t *testing.T) {
	srv := demoServer(t)
	staging := networkByName(t, srv, "staging-internal")
	groups := demoGroups(t, srv)
	danaID := userID(t, srv, dana)
	b := signedInBrowser(t, srv)
	submit := chromedp.Click(`form.form-card button[type=submit]`, chromedp.ByQuery)

	b.open("/admin/networks/" + staging.ID + "/edit")
	b.run(chromedp.WaitVisible(`#required_approvals`, chromedp.ByQuery),
		chromedp.Click(`input[name=members][value=selected]`, chromedp.ByQuery),
		chromedp.Click(`input[name=member_group][value="`+groups["on-call"]+`"]`, chromedp.ByQuery),
		chromedp.Click(`input[name=approver][value="`+danaID+`"]`, chromedp.ByQuery),
		chromedp.Click(`input[name=approver_group][value="`+groups["db-admins"]+`"]`, chromedp.ByQuery),
		chromedp.SetValue(`#required_approvals`, "9", chromedp.ByQuery), submit)
	b.waitText(`#form-error`, "Required approvals: must be from 1 to 5.")
	var kept struct {
		Required string
		Approver bool
		Invalid  bool
	}
	b.eval(`({Required: document.querySelector('#required_approvals').value,
		Approver: document.querySelector('input[name=approver][value="`+danaID+`"]').checked,
		Invalid: document.querySelector('#required_approvals').getAttribute('aria-invalid') === 'true'})`, &kept)
	if kept.Required != "9" || !kept.Approver || !kept.Invalid {
		t.Errorf("after the error the form keeps what was typed and marks the field: %+v", kept)
	}

	b.run(chromedp.SetValue(`#required_approvals`, "2", chromedp.ByQuery),
		chromedp.Click(`#break_glass`, chromedp.ByQuery), submit)
	b.waitText(`#form-error`, "Break-glass groups: name the groups whose members may break the glass.")
	if n := networkByName(t, srv, "staging-internal"); n.RequiredApprovals != 1 || len(n.ApproverIDs) != 0 || n.BreakGlass.Enabled || !n.AllUsers {
		t.Fatalf("a refused form changed the network: %+v", n)
	}

	b.run(chromedp.Click(`input[name=break_glass_group][value="`+groups["on-call"]+`"]`, chromedp.ByQuery),
		chromedp.SetValue(`#break_glass_amount`, "30", chromedp.ByQuery), chromedp.SetValue(`#break_glass_unit`, "m", chromedp.ByQuery), submit)
	b.waitText(`.flash-ok`, "Saved the network staging-internal.")
	for sel, want := range map[string]string{
		`[data-prop="members"]`:     "group on-call",
		`[data-prop="approvers"]`:   "lead@example.com; group db-admins (and the admins)",
		`[data-prop="required"]`:    "2 from distinct approvers",
		`[data-prop="break-glass"]`: "Allowed for group on-call, at most 30m",
	} {
		if got := b.text(sel); !strings.Contains(got, want) {
			t.Errorf("%s: %q, want %q", sel, got, want)
		}
	}
	n := networkByName(t, srv, "staging-internal")
	if n.AllUsers || len(n.MemberGroupIDs) != 1 || n.MemberGroupIDs[0] != groups["on-call"] || n.RequiredApprovals != 2 ||
		len(n.ApproverIDs) != 1 || n.ApproverIDs[0] != danaID || len(n.ApproverGroupIDs) != 1 ||
		!n.BreakGlass.Enabled || n.BreakGlass.MaxDurationSeconds != 1800 {
		t.Errorf("saved: %+v", n)
	}
	rows := srv.AuditRows(t, "network.update")
	if len(rows) != 1 || rows[0].Details["changed"] != "member_ids,member_group_ids,approver_ids,approver_group_ids,required_approvals,break_glass" {
		t.Errorf("one audit row naming what changed: %+v", rows)
	}

	// The form shows the saved policy; saving it unchanged changes nothing.
	b.open("/admin/networks/" + staging.ID + "/edit")
	var shown struct {
		Required string
		Checked  int
	}
	b.eval(`({Required: document.querySelector('#required_approvals').value,
		Checked: document.querySelectorAll('[data-list] input:checked').length})`, &shown)
	if shown.Required != "2" || shown.Checked != 4 {
		t.Errorf("the edit form shows %+v, want 2 approvals and 4 boxes checked", shown)
	}
	b.run(submit)
	b.waitText(`.flash-ok`, "Saved the network staging-internal.")
	if rows := srv.AuditRows(t, "network.update"); len(rows) != 2 || rows[0].Details["changed"] != "" {
		t.Errorf("an unchanged save: %+v", rows[0].Details)
	}
	b.clean()
}

// TestNetworkFormPolicyCreate: a new network is created with its policy
// from the form; hostile text typed as the required approvals comes back
// as text in the message, and nothing is created.
func TestNetworkFormPolicyCreate(t *testing.T) {
	srv := demoServer(t)
	groups := demoGroups(t, srv)
	c := newWebClient(t, srv)
	c.signIn(backendtest.AdminEmail, backendtest.AdminPassword)
	c.get("/admin/networks/new")
	form := url.Values{"name": {"lab"}, "cidr": {"10.90.0.0/24"}, "jit_enabled": {"on"}, "default_amount": {"2"}, "default_unit": {"h"},
		"max_amount": {"1"}, "max_unit": {"d"}, "members": {"selected"}, "member_group": {groups["on-call"]},
		"approver_group": {groups["db-admins"]}, "required_approvals": {hostile},
		"break_glass": {"on"}, "break_glass_group": {groups["on-call"]}, "break_glass_amount": {"2"}, "break_glass_unit": {"h"}}
	p := c.post("/admin/networks", form)
	if p.Status != 400 || strings.Contains(p.Body, "<script>alert") || !strings.Contains(p.Body, "&lt;script&gt;alert(1)&lt;/script&gt;") ||
		!strings.Contains(p.Body, "is not a number: enter a whole number from 1 to 5") {
		t.Fatalf("hostile approvals: %d", p.Status)
	}
	form.Set("required_approvals", "3")
	if kind, text := c.flash(c.post("/admin/networks", form)); kind != "ok" || !strings.Contains(text, "Created the network lab") {
		t.Fatalf("create: %s %q", kind, text)
	}
	n := networkByName(t, srv, "lab")
	if n.AllUsers || len(n.MemberGroupIDs) != 1 || len(n.ApproverGroupIDs) != 1 || n.RequiredApprovals != 3 ||
		!n.BreakGlass.Enabled || n.BreakGlass.MaxDurationSeconds != 7200 || len(n.BreakGlass.GroupIDs) != 1 {
		t.Errorf("created: %+v", n)
	}
}
