package web_test

import (
	"net/url"
	"strings"
	"testing"

	"gatepass.dev/backend/backendtest"
)

// TestRulePagesBadInput: the rule and preview forms answer bad input with
// a readable message and change nothing; an unknown rule or network is
// the 404 page.
func TestRulePagesBadInput(t *testing.T) {
	srv := demoServer(t)
	office := networkByName(t, srv, "office-network")
	rules, err := srv.Admin(t).Rules(t.Context(), office.ID)
	if err != nil || len(rules) != 1 {
		t.Fatalf("demo rules: %+v %v", rules, err)
	}
	danaID := userID(t, srv, dana)
	c := newWebClient(t, srv)
	c.signIn(backendtest.AdminEmail, backendtest.AdminPassword)
	audit := len(srv.AuditRows(t, ""))

	if kind, text := c.flash(c.post("/admin/rules/"+rules[0].ID+"/move", url.Values{"position": {"first"}})); kind != "error" || text != "Nothing was changed: the position must be a number from 1." {
		t.Errorf("a position that is no number: %s %q", kind, text)
	}
	c.get("/admin/networks/" + office.ID)
	p := c.post("/admin/networks/"+office.ID+"/rules", url.Values{"name": {"night"}, "group": {rules[0].GroupIDs[0]},
		"scheduled": {"on"}, "day": {"mon", "someday"}, "from": {"22:00"}, "to": {"06:00"}, "time_zone": {"UTC"}, "max_amount": {"2"}, "max_unit": {"h"}})
	if p.Status != 400 || !strings.Contains(p.Body, "Days: &#34;someday&#34; is not a day: use mon, tue, wed, thu, fri, sat or sun.") ||
		!strings.Contains(p.Body, `value="22:00"`) {
		t.Errorf("a day that is none: %d", p.Status)
	}
	p = c.post("/admin/networks/"+office.ID+"/rules", url.Values{"name": {"long"}, "group": {rules[0].GroupIDs[0]}, "max_amount": {"60"}, "max_unit": {"d"}})
	if p.Status != 400 || !strings.Contains(p.Body, "Longest grant: must be from 0 (the network&#39;s maximum) to 30d, the network&#39;s maximum.") {
		t.Errorf("a rule longer than the network's maximum: %d", p.Status)
	}
	for q, want := range map[string]string{
		"":                                "User: choose the user who would ask.",
		"user=nobody":                     "User: no user &#34;nobody&#34;.",
		"user=" + danaID + "&at=tomorrow": "At: &#34;tomorrow&#34; is not a date and time like 2026-11-30T19:00.",
		"user=x&duration_amount=0&duration_unit=h": "Duration: must be a whole number of minutes, hours or days.",
	} {
		if p := c.get("/admin/networks/" + office.ID + "/preview?" + q); p.Status != 400 || !strings.Contains(p.Body, want) {
			t.Errorf("preview ?%s: %d, want %q", q, p.Status, want)
		}
	}
	if got := len(srv.AuditRows(t, "")); got != audit {
		t.Errorf("bad input wrote %d audit rows", got-audit)
	}
	if got, _ := srv.Admin(t).Rules(t.Context(), office.ID); len(got) != 1 {
		t.Errorf("bad input saved rules: %+v", got)
	}
	for _, path := range []string{"/admin/rules/rul_nope/edit", "/admin/networks/net_nope/rules/new", "/admin/networks/net_nope/preview?user=x"} {
		if p := c.get(path); p.Status != 404 {
			t.Errorf("%s: %d, want 404", path, p.Status)
		}
	}
	if p := c.post("/admin/rules/rul_nope/delete", nil); p.Status != 404 {
		t.Errorf("deleting an unknown rule: %d, want 404", p.Status)
	}
}
