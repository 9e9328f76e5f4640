package web_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"gatepass.dev/shared/api"
)

// TestBrowserRules: on office-network's page (the demo's rule on-call),
// an admin adds a rule whose name and reason pattern are hostile text —
// refused first without whom it serves, with a time zone that is none and
// with a pattern that does not compile, each with the API's message in
// the form's words, the form keeping what was typed and nothing saved —
// then moves it up, edits it, and deletes it after a confirmation; the
// list shows each rule's subjects, longest grant, schedule in its time
// zone and pattern, as text.
func TestBrowserRules(t *testing.T) {
	srv := demoServer(t)
	office := networkByName(t, srv, "office-network")
	contractorEmail, _ := demoCredential(t, srv, "contractor", "")
	casey := userID(t, srv, contractorEmail)
	admin := srv.Admin(t)
	pattern := `<script>|OPS-[0-9]+`
	b := signedInBrowser(t, srv)

	b.open("/admin/networks/" + office.ID)
	b.waitText(`table.rules`, "on-call")
	for sel, want := range map[string]string{`[data-field="who"]`: "group on-call", `[data-field="max"]`: "2h", `[data-field="schedule"]`: "any time", `[data-field="pattern"]`: "any reason"} {
		if got := b.text(`table.rules tbody tr ` + sel); got != want {
			t.Errorf("on-call %s: %q, want %q", sel, got, want)
		}
	}

	b.run(chromedp.Click(`#add-rule`, chromedp.ByQuery), chromedp.WaitVisible(`#rule-name`, chromedp.ByQuery),
		chromedp.SendKeys(`#rule-name`, hostile, chromedp.ByQuery), chromedp.Click(`form.rule-form button[type=submit]`, chromedp.ByQuery))
	b.waitText(`#form-error`, "Whom it serves: a rule names the users or groups it serves")
	b.run(chromedp.Click(`input[name=user][value="`+casey+`"]`, chromedp.ByQuery),
		chromedp.SetValue(`#max_amount`, "1", chromedp.ByQuery), chromedp.SetValue(`#max_unit`, "h", chromedp.ByQuery),
		chromedp.Click(`#scheduled`, chromedp.ByQuery), chromedp.SetValue(`#time_zone`, "Mars/Olympus", chromedp.ByQuery),
		chromedp.SetValue(`#reason_pattern`, "(OPS", chromedp.ByQuery), chromedp.Click(`form.rule-form button[type=submit]`, chromedp.ByQuery))
	b.waitText(`#form-error`, `Time zone: "Mars/Olympus" is not an IANA time zone`)
	var kept struct {
		Name, Zone  string
		User, Sched bool
	}
	b.eval(`({Name: document.querySelector('#rule-name').value, Zone: document.querySelector('#time_zone').value,
		User: document.querySelector('input[name=user][value="`+casey+`"]').checked, Sched: document.querySelector('#scheduled').checked})`, &kept)
	if kept.Name != hostile || kept.Zone != "Mars/Olympus" || !kept.User || !kept.Sched {
		t.Errorf("the form lost what was typed: %+v", kept)
	}
	b.run(chromedp.SetValue(`#time_zone`, "Europe/Berlin", chromedp.ByQuery), chromedp.Click(`form.rule-form button[type=submit]`, chromedp.ByQuery))
	b.waitText(`#form-error`, "Reason pattern: is not a valid regular expression (RE2 syntax)")
	if rules, _ := admin.Rules(t.Context(), office.ID); len(rules) != 1 {
		t.Fatalf("a refused rule was saved: %+v", rules)
	}
	b.run(chromedp.SetValue(`#reason_pattern`, pattern, chromedp.ByQuery), chromedp.Click(`form.rule-form button[type=submit]`, chromedp.ByQuery))
	b.waitText(`.flash-ok`, "Added the rule "+hostile+" to office-network as number 2.")
	row := `table.rules tbody tr:nth-child(2) `
	for sel, want := range map[string]string{`.rule-name a`: hostile, `[data-field="who"]`: contractorEmail, `[data-field="max"]`: "1h",
		`[data-field="schedule"]`: "Mon–Fri 08:00–18:00 Europe/Berlin", `[data-field="pattern"] code`: pattern} {
		if got := b.text(row + sel); !strings.HasPrefix(got, want) {
			t.Errorf("the new rule's %s: %q, want %q", sel, got, want)
		}
	}

	b.run(chromedp.Click(row+`[data-move="up"]`, chromedp.ByQuery))
	b.waitText(`.flash-ok`, "Moved the rule "+hostile+" to number 1.")
	rules, err := admin.Rules(t.Context(), office.ID)
	if err != nil || len(rules) != 2 || rules[0].Name != hostile || rules[1].Name != "on-call" {
		t.Fatalf("the order after the move: %+v %v", rules, err)
	}
	if got := b.text(`table.rules tbody tr:first-child .rule-name a`); got != hostile {
		t.Errorf("first row %q", got)
	}
	var disabled bool
	b.eval(`document.querySelector('table.rules tbody tr:first-child [data-move="up"]').disabled && document.querySelector('table.rules tbody tr:last-child [data-move="down"]').disabled`, &disabled)
	if !disabled {
		t.Error("the first rule can move up or the last down")
	}
	b.open("/admin/audit?action=rule.")
	b.waitText(`table.audit`, "moved the rule “"+hostile+"” of office-network to number 1")

	b.open("/admin/networks/" + office.ID)
	b.run(chromedp.Click(`table.rules tbody tr:first-child a[href$="/edit"]`, chromedp.ByQuery), chromedp.WaitVisible(`#rule-name`, chromedp.ByQuery))
	var form struct {
		Name, Max, Unit, Zone, Pattern string
		Sched                          bool
		Days                           int
	}
	b.eval(`({Name: document.querySelector('#rule-name').value, Max: document.querySelector('#max_amount').value, Unit: document.querySelector('#max_unit').value,
		Zone: document.querySelector('#time_zone').value, Pattern: document.querySelector('#reason_pattern').value,
		Sched: document.querySelector('#scheduled').checked, Days: document.querySelectorAll('input[name=day]:checked').length})`, &form)
	if form.Name != hostile || form.Max != "1" || form.Unit != "h" || form.Zone != "Europe/Berlin" || form.Pattern != pattern || !form.Sched || form.Days != 5 {
		t.Errorf("the edit form shows %+v", form)
	}
	b.run(chromedp.SetValue(`#max_amount`, "30", chromedp.ByQuery), chromedp.SetValue(`#max_unit`, "m", chromedp.ByQuery),
		chromedp.Click(`#scheduled`, chromedp.ByQuery), chromedp.Click(`form.rule-form button[type=submit]`, chromedp.ByQuery))
	b.waitText(`.flash-ok`, "Saved the rule "+hostile+" of office-network.")
	if got := b.text(`table.rules tbody tr:first-child [data-field="schedule"]`); got != "any time" {
		t.Errorf("schedule after removing it: %q", got)
	}
	if got := b.text(`table.rules tbody tr:first-child [data-field="max"]`); got != "30m" {
		t.Errorf("longest grant after the edit: %q", got)
	}
	if rows := srv.AuditRows(t, "rule.update"); len(rows) != 2 || rows[0].Details["changed"] != "max_duration_seconds,schedule" {
		t.Errorf("the edit's audit row names what changed: %+v", rows[0].Details)
	}

	b.run(chromedp.Click(`table.rules tbody tr:first-child form[action$="/delete"] button`, chromedp.ByQuery), chromedp.WaitVisible(`#confirm-dialog`, chromedp.ByQuery))
	if got := b.text(`#confirm-dialog [data-field="text"]`); !strings.Contains(got, "Delete the rule "+hostile+" of office-network?") {
		t.Errorf("delete confirmation %q", got)
	}
	b.run(chromedp.Click(`#confirm-dialog [data-field="ok"]`, chromedp.ByQuery))
	b.waitText(`.flash-ok`, "Deleted the rule "+hostile+" of office-network")
	if rules, _ := admin.Rules(t.Context(), office.ID); len(rules) != 1 || rules[0].Name != "on-call" {
		t.Errorf("after the delete: %+v", rules)
	}
	b.clean()
}

// TestBrowserRulePreview: the preview on a network's page asks
// access.Service.Preview which rule a request by a user, for a duration,
// at a time in a time zone, with a reason, would meet, and shows the
// outcome with the API's explanation and each rule's verdict — the same
// answer as the API's dry run; a time zone that is none is refused with a
// readable message.
func TestBrowserRulePreview(t *testing.T) {
	srv := demoServer(t)
	office := networkByName(t, srv, "office-network")
	contractorEmail, _ := demoCredential(t, srv, "contractor", "")
	casey := userID(t, srv, contractorEmail)
	_, alice := srv.NewUser(t, "alice@example.com", api.RoleUser)
	admin := srv.Admin(t)
	name, action, hour := "business-hours", api.ActionAutoApprove, int64(3600)
	pattern := `OPS-[0-9]+`
	first := 1
	if _, err := admin.CreateRule(t.Context(), office.ID, api.RuleInput{Name: &name, Action: &action, UserIDs: &[]string{alice.ID},
		MaxDurationSeconds: &hour, ReasonPattern: &pattern, Position: &first,
		Schedule: api.OptionalSchedule{Set: true, Value: &api.Schedule{Days: []string{"mon", "tue", "wed", "thu", "fri"}, From: "08:00", To: "18:00", TimeZone: "Europe/Berlin"}}}); err != nil {
		t.Fatal(err)
	}
	b := signedInBrowser(t, srv)
	b.open("/admin/networks/" + office.ID)
	var zone string
	b.run(chromedp.WaitVisible(`#preview-user`, chromedp.ByQuery), chromedp.Value(`#preview-zone`, &zone, chromedp.ByQuery))
	if zone != "Europe/Berlin" {
		t.Errorf("the preview's time zone is %q, want the first schedule's Europe/Berlin", zone)
	}
	preview := func(user, amount, at, zone, reason string) {
		t.Helper()
		var ok bool
		b.eval(fmt.Sprintf(`(() => { const f = document.querySelector('form.preview-form'), v = {user: %q, duration_amount: %q, duration_unit: 'h', at: %q, time_zone: %q, reason: %q};
			for (const k in v) f.elements[k].value = v[k];
			return Object.keys(v).every(k => f.elements[k].value === v[k]); })()`, user, amount, at, zone, reason), &ok)
		if !ok {
			t.Fatal("the preview form did not take the values")
		}
		b.run(chromedp.Click(`form.preview-form button[type=submit]`, chromedp.ByQuery))
	}
	// Tuesday 1 December 2026, 10:00 in Berlin: within the window.
	preview(alice.ID, "1", "2026-12-01T10:00", "Europe/Berlin", "Fix the printer, ticket OPS-12")
	b.waitText(`#preview-result`, "Approved at once by the rule business-hours for 1h")
	at := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	secs := int64(3600)
	want, err := admin.PreviewRules(t.Context(), office.ID, api.PreviewRequest{UserID: alice.ID, DurationSeconds: &secs, At: &at, Reason: "Fix the printer, ticket OPS-12"})
	if err != nil || want.Outcome != api.OutcomeAutoApprove {
		t.Fatalf("the API's preview: %+v %v", want, err)
	}
	if got := b.text(`#preview-result [data-field="message"]`); !strings.EqualFold(strings.TrimSuffix(got, "."), want.Message) {
		t.Errorf("the page says %q, the API %q", got, want.Message)
	}
	if got := b.text(`#preview-result li.check-match`); !strings.Contains(got, "business-hours — matches and decides") || !strings.Contains(got, "Tue 10:00 Europe/Berlin is within Mon–Fri 08:00–18:00 Europe/Berlin") {
		t.Errorf("the deciding rule's reasons: %q", got)
	}
	// Saturday: outside the window; alice is in no group: it waits.
	preview(alice.ID, "1", "2026-12-05T10:00", "Europe/Berlin", "Fix the printer, ticket OPS-12")
	b.waitText(`#preview-result`, "Waits for an approval")
	b.waitText(`#preview-result [data-field="message"]`, "No rule matches: it waits for an approval (the admins).")
	b.waitText(`#preview-result [data-check]`, "Sat 10:00 Europe/Berlin is outside Mon–Fri 08:00–18:00 Europe/Berlin")

	// The contractor is on call: the second rule decides, for the default
	// capped at 2h; a hostile reason is shown back as text.
	preview(casey, "", "", "Europe/Berlin", hostile)
	b.waitText(`#preview-result`, "Approved at once by the rule on-call for 2h")
	var checks int
	b.eval(`document.querySelectorAll('#preview-result [data-check]').length`, &checks)
	if checks != 2 {
		t.Errorf("%d rule verdicts, want 2", checks)
	}
	var reason string
	b.eval(`document.querySelector('#preview-reason').value`, &reason)
	if reason != hostile {
		t.Errorf("the reason shown back: %q", reason)
	}

	preview(casey, "1", "2026-12-05T10:00", "Mars/Olympus", "")
	b.waitText(`#preview-error`, `Time zone: "Mars/Olympus" is not an IANA time zone such as Europe/Berlin or UTC.`)
	var typed string
	b.eval(`document.querySelector('#preview-zone').value`, &typed)
	if typed != "Mars/Olympus" {
		t.Errorf("the form lost the zone: %q", typed)
	}
	b.clean()
}
