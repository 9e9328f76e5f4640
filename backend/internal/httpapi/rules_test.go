package httpapi_test

import (
	"strings"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"gatepass.dev/backend/backendtest"
	"gatepass.dev/shared/api"
	"gatepass.dev/shared/client"
)

func autoApprove(name string) api.RuleInput {
	return api.RuleInput{Name: ptr(name), Action: ptr(api.ActionAutoApprove)}
}

func createRule(t *testing.T, admin *client.Client, networkID string, in api.RuleInput) api.Rule {
	t.Helper()
	r, err := admin.CreateRule(t.Context(), networkID, in)
	if err != nil {
		t.Fatalf("create rule: %v", err)
	}
	return r
}

// TestRulesAPI: rules are created, listed in order, moved, changed and
// deleted with the names scripts use; every bad field is a 400 naming it
// (an RE2 pattern that does not compile, one too long, an unknown zone, a
// bad day, no subjects, a maximum above the network's, an unknown
// action); a taken name is a 409; a non-admin gets 403; each change is
// audited.
func TestRulesAPI(t *testing.T) {
	srv := backendtest.NewServer(t)
	admin := srv.Admin(t)
	alice, aliceU := srv.NewUser(t, "alice@example.com", api.RoleUser)
	oncall, err := admin.CreateGroup(t.Context(), api.GroupInput{Name: ptr("on-call"), MemberIDs: &[]string{aliceU.ID}})
	if err != nil {
		t.Fatal(err)
	}
	n := srv.NewNetwork(t, "office-network")

	raw := backendtest.Do(t, "POST", srv.URL+"/api/v1/admin/networks/"+n.ID+"/rules", admin.Token(), "application/json", `{
		"name": "on-call", "action": "auto_approve", "group_ids": ["`+oncall.ID+`"], "max_duration_seconds": 7200,
		"schedule": {"days": ["fri", "mon", "tue", "wed", "thu"], "from": "08:00", "to": "18:00", "time_zone": "Europe/Berlin"},
		"reason_pattern": "^OPS-[0-9]+"}`)
	if raw.Status != 201 {
		t.Fatalf("create: %d %s", raw.Status, raw.Body)
	}
	for _, want := range []string{`"position":1`, `"days":["mon","tue","wed","thu","fri"]`, `"time_zone":"Europe/Berlin"`, `"max_duration_seconds":7200`} {
		if !strings.Contains(string(raw.Body), want) {
			t.Errorf("the created rule lacks %s: %s", want, raw.Body)
		}
	}
	second := createRule(t, admin, n.ID, func() api.RuleInput { in := autoApprove("alice"); in.UserIDs = &[]string{aliceU.ID}; return in }())
	first := createRule(t, admin, n.ID, func() api.RuleInput {
		in := autoApprove("first")
		in.UserIDs, in.Position = &[]string{aliceU.ID}, ptr(1)
		return in
	}())
	rules, err := admin.Rules(t.Context(), n.ID)
	if err != nil || len(rules) != 3 || rules[0].ID != first.ID || rules[1].Name != "on-call" || rules[2].ID != second.ID {
		t.Fatalf("order: %+v %v", rules, err)
	}
	moved, err := admin.UpdateRule(t.Context(), first.ID, api.RuleInput{Position: ptr(3), Schedule: api.OptionalSchedule{Set: true}})
	if err != nil || moved.Position != 3 || moved.Schedule != nil {
		t.Fatalf("move: %+v %v", moved, err)
	}
	cleared := backendtest.Do(t, "PATCH", srv.URL+"/api/v1/admin/rules/"+rules[1].ID, admin.Token(), "application/json", `{"schedule": null, "reason_pattern": ""}`)
	if cleared.Status != 200 || !strings.Contains(string(cleared.Body), `"schedule":null`) {
		t.Fatalf("clear the schedule: %d %s", cleared.Status, cleared.Body)
	}

	bad := []struct {
		body, field, part string
	}{
		{`{"name": "x", "action": "auto_approve", "user_ids": ["` + aliceU.ID + `"], "reason_pattern": "(unclosed"}`, "reason_pattern", "RE2"},
		{`{"name": "x", "action": "auto_approve", "user_ids": ["` + aliceU.ID + `"], "reason_pattern": "` + strings.Repeat("a", 201) + `"}`, "reason_pattern", "too long"},
		{`{"name": "x", "action": "auto_approve", "user_ids": ["` + aliceU.ID + `"], "schedule": {"days": ["mon"], "from": "08:00", "to": "18:00", "time_zone": "Mars/Olympus"}}`, "schedule.time_zone", "IANA"},
		{`{"name": "x", "action": "auto_approve", "user_ids": ["` + aliceU.ID + `"], "schedule": {"days": ["someday"], "from": "08:00", "to": "18:00", "time_zone": "UTC"}}`, "schedule.days", "not a day"},
		{`{"name": "x", "action": "auto_approve", "user_ids": ["` + aliceU.ID + `"], "schedule": {"days": ["mon"], "from": "8am", "to": "18:00", "time_zone": "UTC"}}`, "schedule.from", "time of day"},
		{`{"name": "x", "action": "auto_approve"}`, "user_ids", "no rule for everyone"},
		{`{"name": "x", "action": "auto_approve", "user_ids": ["` + aliceU.ID + `"], "max_duration_seconds": 99999999}`, "max_duration_seconds", "network's maximum"},
		{`{"name": "x", "action": "deny", "user_ids": ["` + aliceU.ID + `"]}`, "action", "auto_approve"},
		{`{"action": "auto_approve", "user_ids": ["` + aliceU.ID + `"]}`, "name", "required"},
		{`{"name": "x", "action": "auto_approve", "group_ids": ["grp_nope"]}`, "group_ids", "no group"},
	}
	for _, b := range bad {
		res := backendtest.Do(t, "POST", srv.URL+"/api/v1/admin/networks/"+n.ID+"/rules", admin.Token(), "application/json", b.body)
		e := res.WantError(t, b.field, 400)
		if e.Field != b.field || !strings.Contains(e.Message, b.part) {
			t.Errorf("%s: field %q message %q, want %q containing %q", b.body, e.Field, e.Message, b.field, b.part)
		}
	}
	_, err = admin.CreateRule(t.Context(), n.ID, func() api.RuleInput { in := autoApprove("alice"); in.UserIDs = &[]string{aliceU.ID}; return in }())
	backendtest.WantStatus(t, "a taken name", err, 409, "name")
	_, err = alice.Rules(t.Context(), n.ID)
	backendtest.WantStatus(t, "a user lists rules", err, 403)
	if rules, _ := admin.Rules(t.Context(), n.ID); len(rules) != 3 {
		t.Fatalf("a refused rule was saved: %d rules", len(rules))
	}
	if err := admin.DeleteRule(t.Context(), second.ID); err != nil {
		t.Fatal(err)
	}
	if rules, _ := admin.Rules(t.Context(), n.ID); len(rules) != 2 || rules[0].Position != 1 || rules[1].Position != 2 {
		t.Fatalf("after delete: %+v", rules)
	}
	for action, want := range map[string]int{"rule.create": 3, "rule.update": 2, "rule.delete": 1} {
		if rows := backendtest.Audit(t, admin, map[string][]string{"action": {action}}); len(rows) != want {
			t.Errorf("%s: %d audit rows, want %d", action, len(rows), want)
		}
	}
}

// TestAutoApprove: a rule approves at once the requests of the users it
// names and of its groups' members, up to its maximum: the grant records
// the rule, the email says "rule: on-call", the audit says why; a wish
// above its maximum is not auto-approved (it waits for people, or the
// next rule that fits); without a wish it grants the network's default
// capped at its maximum; the first matching rule wins; a reason pattern
// must match.
func TestAutoApprove(t *testing.T) {
	srv := backendtest.NewServer(t)
	admin := srv.Admin(t)
	alice, aliceU := srv.NewUser(t, "alice@example.com", api.RoleUser)
	bob, bobU := srv.NewUser(t, "bob@example.com", api.RoleUser)
	carol, carolU := srv.NewUser(t, "carol@example.com", api.RoleUser)
	oncall, err := admin.CreateGroup(t.Context(), api.GroupInput{Name: ptr("on-call"), MemberIDs: &[]string{aliceU.ID}})
	if err != nil {
		t.Fatal(err)
	}
	n := srv.NewNetwork(t, "office-network")
	rule := autoApprove("on-call")
	rule.GroupIDs, rule.MaxDurationSeconds = &[]string{oncall.ID}, ptr(int64(7200))
	createRule(t, admin, n.ID, rule)
	tickets := autoApprove("tickets")
	tickets.UserIDs, tickets.ReasonPattern, tickets.MaxDurationSeconds = &[]string{bobU.ID, aliceU.ID}, ptr(`^OPS-[0-9]+\b`), ptr(int64(4*3600))
	createRule(t, admin, n.ID, tickets)

	t.Run("group member within the maximum", func(t *testing.T) {
		dev := registerDevice(t, alice)
		r := request(t, alice, n.ID, "paged: disk full", time.Hour)
		wantStatus(t, "alice's request", r, api.StatusApproved)
		if r.Rule != "on-call" || r.GrantedSeconds != 3600 || r.DecidedBy != "" || !r.ExpiresAt.Equal(srv.Now().Add(time.Hour)) {
			t.Fatalf("the rule's grant: %+v", r)
		}
		if !onGateway(srv, n.ID, dev.PublicKey) {
			t.Fatal("the auto-approved grant's peer is not on the gateway")
		}
		m := srv.SMTP.WaitFor(t, backendtest.MailTo("alice@example.com", "Access approved"), 10*time.Second)
		if !strings.Contains(m.Text(), "rule: on-call") {
			t.Errorf("the approved email does not name the rule:\n%s", m.Text())
		}
		rows := auditOf(t, admin, r.ID, "request.approve")
		if len(rows) != 1 || rows[0].ActorEmail != "system" || rows[0].Details["rule"] != "on-call" ||
			!strings.Contains(rows[0].Details["why"], "alice@example.com is in group on-call") || !strings.Contains(rows[0].Details["why"], "1h is within the rule's 2h") {
			t.Fatalf("audit of the rule's approval: %+v", rows)
		}
		if n := mailsTo(t, srv, admin, backendtest.AdminEmail, "Access request: alice"); n != 0 {
			t.Errorf("the admin was asked to review an auto-approved request")
		}
		if _, err := alice.Release(t.Context(), r.ID); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("no wish: the default capped at the rule's maximum", func(t *testing.T) {
		r := request(t, alice, n.ID, "paged", 0)
		wantStatus(t, "no wish", r, api.StatusApproved)
		if r.GrantedSeconds != 7200 {
			t.Fatalf("granted %ds, want the rule's 2h (the network's default is 8h)", r.GrantedSeconds)
		}
		if _, err := alice.Release(t.Context(), r.ID); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("a wish above the maximum goes on to the next rule", func(t *testing.T) {
		r := request(t, alice, n.ID, "OPS-42 long migration", 3*time.Hour)
		wantStatus(t, "3h with a ticket", r, api.StatusApproved)
		if r.Rule != "tickets" || r.GrantedSeconds != 3*3600 {
			t.Fatalf("want the tickets rule for 3h: %+v", r)
		}
		if _, err := alice.Release(t.Context(), r.ID); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("a wish above every rule waits for people", func(t *testing.T) {
		r := request(t, alice, n.ID, "OPS-43 all day", 6*time.Hour)
		wantStatus(t, "6h", r, api.StatusPending)
		srv.SMTP.WaitFor(t, backendtest.MailTo(backendtest.AdminEmail, "Access request: alice@example.com"), 10*time.Second)
		if _, err := alice.Cancel(t.Context(), r.ID); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("reason pattern", func(t *testing.T) {
		r := request(t, bob, n.ID, "OPS-7 rotate keys", time.Hour)
		wantStatus(t, "with a ticket", r, api.StatusApproved)
		if r.Rule != "tickets" {
			t.Fatalf("rule %q", r.Rule)
		}
		if _, err := bob.Release(t.Context(), r.ID); err != nil {
			t.Fatal(err)
		}
		r = request(t, bob, n.ID, "rotate keys, ticket to follow", time.Hour)
		wantStatus(t, "without a ticket", r, api.StatusPending)
	})
	t.Run("neither named nor in a group", func(t *testing.T) {
		r := request(t, carol, n.ID, "OPS-9", time.Hour)
		wantStatus(t, "carol", r, api.StatusPending)
		// Once in the group, the rule serves her too.
		if _, err := carol.Cancel(t.Context(), r.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := admin.UpdateGroup(t.Context(), oncall.ID, api.GroupInput{MemberIDs: &[]string{aliceU.ID, carolU.ID}}); err != nil {
			t.Fatal(err)
		}
		r = request(t, carol, n.ID, "paged", time.Hour)
		wantStatus(t, "carol in on-call", r, api.StatusApproved)
	})
}

// TestAutoApproveScheduleAcrossDST: a rule "Mon–Fri 08:00–18:00
// Europe/Berlin" is read on Berlin's clock across the change to summer
// time (28 March 2027): at 06:30 UTC it is outside on the Friday before
// (07:30 CET) and inside on the Monday after (08:30 CEST); at 16:30 UTC it
// is inside on the Friday (17:30) and outside on the Monday (18:30); never
// on a Saturday. A scheduled request is judged at its start.
func TestAutoApproveScheduleAcrossDST(t *testing.T) {
	fri := time.Date(2027, 3, 26, 6, 30, 0, 0, time.UTC)
	srv := backendtest.NewServer(t, backendtest.WithClock(clockwork.NewFakeClockAt(fri)))
	admin := srv.Admin(t)
	alice, aliceU := srv.NewUser(t, "alice@example.com", api.RoleUser)
	n := srv.NewNetwork(t, "office-network")
	rule := autoApprove("office-hours")
	rule.UserIDs = &[]string{aliceU.ID}
	rule.Schedule = api.OptionalSchedule{Set: true, Value: &api.Schedule{Days: []string{"mon", "tue", "wed", "thu", "fri"}, From: "08:00", To: "18:00", TimeZone: "Europe/Berlin"}}
	createRule(t, admin, n.ID, rule)

	try := func(at time.Time, want api.RequestStatus, why string) {
		t.Helper()
		srv.Advance(at.Sub(srv.Now()))
		r := request(t, alice, n.ID, "work", time.Hour)
		wantStatus(t, at.Format(time.RFC3339)+" "+why, r, want)
		if want == api.StatusApproved {
			if _, err := alice.Release(t.Context(), r.ID); err != nil {
				t.Fatal(err)
			}
		} else if _, err := alice.Cancel(t.Context(), r.ID); err != nil {
			t.Fatal(err)
		}
	}
	try(fri, api.StatusPending, "Friday 07:30 CET is before 08:00")
	try(time.Date(2027, 3, 26, 16, 30, 0, 0, time.UTC), api.StatusApproved, "Friday 17:30 CET is within")
	try(time.Date(2027, 3, 27, 10, 0, 0, 0, time.UTC), api.StatusPending, "Saturday")
	mon := time.Date(2027, 3, 29, 6, 30, 0, 0, time.UTC)
	try(mon, api.StatusApproved, "Monday 08:30 CEST is within")
	try(time.Date(2027, 3, 29, 16, 30, 0, 0, time.UTC), api.StatusPending, "Monday 18:30 CEST is after 18:00")

	// Requested on Monday evening for Tuesday 09:00 Berlin: judged at the start.
	start := time.Date(2027, 3, 30, 7, 0, 0, 0, time.UTC)
	r, err := alice.RequestWith(t.Context(), n.ID, api.NewRequest{Reason: "tomorrow", StartsAt: &start})
	if err != nil {
		t.Fatal(err)
	}
	wantStatus(t, "scheduled into the window", r, api.StatusApproved)
	if r.StartsAt == nil || !r.StartsAt.Equal(start) {
		t.Fatalf("starts_at %v", r.StartsAt)
	}
	rows := auditOf(t, admin, r.ID, "request.approve")
	if len(rows) != 1 || !strings.Contains(rows[0].Details["why"], "Tue 09:00 Europe/Berlin is within Mon–Fri 08:00–18:00 Europe/Berlin") {
		t.Fatalf("why: %+v", rows)
	}
}

// TestRulePreview: the dry run says which rule a hypothetical request
// would meet, with every rule's verdict and reasons, and nothing is
// filed; it knows standing access and non-members; bad input is a 400.
func TestRulePreview(t *testing.T) {
	srv := backendtest.NewServer(t)
	admin := srv.Admin(t)
	_, aliceU := srv.NewUser(t, "alice@example.com", api.RoleUser)
	_, bobU := srv.NewUser(t, "bob@example.com", api.RoleUser)
	_, outU := srv.NewUser(t, "outsider@example.com", api.RoleUser)
	oncall, err := admin.CreateGroup(t.Context(), api.GroupInput{Name: ptr("on-call"), MemberIDs: &[]string{aliceU.ID}})
	if err != nil {
		t.Fatal(err)
	}
	n := srv.NewNetwork(t, "office-network", func(in *api.NetworkInput) {
		in.MemberIDs = &[]string{aliceU.ID, bobU.ID}
		in.RequiredApprovals = ptr(2)
	})
	rule := autoApprove("on-call")
	rule.GroupIDs, rule.MaxDurationSeconds = &[]string{oncall.ID}, ptr(int64(7200))
	created := createRule(t, admin, n.ID, rule)

	p, err := admin.PreviewRules(t.Context(), n.ID, api.PreviewRequest{UserID: aliceU.ID, DurationSeconds: ptr(int64(3600))})
	if err != nil {
		t.Fatal(err)
	}
	if p.Outcome != api.OutcomeAutoApprove || p.Rule != "on-call" || p.RuleID != created.ID || p.DurationSeconds != 3600 || len(p.Checks) != 1 || !p.Checks[0].Matched {
		t.Fatalf("alice, 1h: %+v", p)
	}
	p, err = admin.PreviewRules(t.Context(), n.ID, api.PreviewRequest{UserID: aliceU.ID, DurationSeconds: ptr(int64(4 * 3600))})
	if err != nil || p.Outcome != api.OutcomeNeedsApproval || p.Checks[0].Matched || !strings.Contains(strings.Join(p.Checks[0].Reasons, ";"), "4h is more than the rule's 2h") ||
		!strings.Contains(p.Message, "2 approvals") {
		t.Fatalf("alice, 4h: %+v %v", p, err)
	}
	p, err = admin.PreviewRules(t.Context(), n.ID, api.PreviewRequest{UserID: bobU.ID})
	if err != nil || p.Outcome != api.OutcomeNeedsApproval || !strings.Contains(p.Checks[0].Reasons[0], "bob@example.com is neither named by the rule nor in its groups (on-call)") {
		t.Fatalf("bob: %+v %v", p, err)
	}
	if p, _ := admin.PreviewRules(t.Context(), n.ID, api.PreviewRequest{UserID: outU.ID}); p.Outcome != api.OutcomeNotAllowed {
		t.Fatalf("outsider: %+v", p)
	}
	me, err := admin.Me(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := admin.UpdateNetwork(t.Context(), n.ID, api.NetworkInput{MemberIDs: &[]string{aliceU.ID, bobU.ID, me.ID}}); err != nil {
		t.Fatal(err)
	}
	if p, _ := admin.PreviewRules(t.Context(), n.ID, api.PreviewRequest{UserID: me.ID}); p.Outcome != api.OutcomeStanding {
		t.Fatalf("an admin: %+v", p)
	}
	_, err = admin.PreviewRules(t.Context(), n.ID, api.PreviewRequest{UserID: "usr_nope"})
	backendtest.WantStatus(t, "unknown user", err, 400, "user_id")
	_, err = admin.PreviewRules(t.Context(), n.ID, api.PreviewRequest{UserID: aliceU.ID, DurationSeconds: ptr(int64(-5))})
	backendtest.WantStatus(t, "negative duration", err, 400, "duration_seconds")
	_, err = admin.PreviewRules(t.Context(), "net_nope", api.PreviewRequest{UserID: aliceU.ID})
	backendtest.WantStatus(t, "unknown network", err, 404)
	if list, _ := admin.AdminRequests(t.Context(), client.RequestQuery{}); list.Total != 0 {
		t.Fatalf("a preview filed %d requests", list.Total)
	}
}
