package admin_test

import (
	"testing"

	"gatepass.dev/backend/internal/admin"
	"gatepass.dev/backend/internal/store"
)

// TestAuditTextPolicies: the policies' entries in one sentence each.
func TestAuditTextPolicies(t *testing.T) {
	entry := func(actor, action string, d map[string]string) store.AuditEntry {
		d["user"], d["network"] = "casey@example.com", "production-db"
		e := store.AuditEntry{ActorID: "usr_a", ActorEmail: actor, SubjectName: "Casey", Action: action, TargetType: "request", Details: d}
		if actor == "system" {
			e.ActorID = ""
		}
		return e
	}
	hostile := `<script>alert(1)</script>`
	for _, tc := range []struct {
		e    store.AuditEntry
		want string
	}{
		{entry("casey@example.com", "request.create", map[string]string{"kind": "extension", "reason": hostile, "wished": "2h"}),
			"casey@example.com asked for 2h more on their access to production-db: “" + hostile + "”"},
		{entry("casey@example.com", "request.create", map[string]string{"kind": "break_glass", "break_glass": "true", "reason": "outage"}),
			"casey@example.com broke the glass on production-db: “outage”"},
		{entry("casey@example.com", "request.create", map[string]string{"reason": "deploy", "starts_at": "2026-11-24T08:00:00Z"}),
			"casey@example.com asked for access to production-db from 2026-11-24T08:00:00Z: “deploy”"},
		{entry("dana@example.com", "request.approve", map[string]string{"to": "pending", "approvals": "1 of 2", "duration": "2h"}),
			"dana@example.com approved 2h for Casey on production-db (1 of 2 approvals)"},
		{entry("erik@example.com", "request.approve", map[string]string{"to": "approved", "approvals": "2 of 2", "duration": "2h"}),
			"erik@example.com granted 2h to Casey on production-db (2 of 2 approvals)"},
		{entry("system", "request.approve", map[string]string{"to": "approved", "duration": "2h", "rule": "on-call", "why": "casey is in group on-call"}),
			"Gatepass granted 2h to Casey on production-db by the rule “on-call”: casey is in group on-call"},
		{entry("system", "request.approve", map[string]string{"to": "approved", "duration": "1h", "rule": "break-glass", "why": "in a break-glass group"}),
			"Gatepass granted 1h to Casey on production-db by break-glass, to be reviewed: in a break-glass group"},
		{entry("dana@example.com", "request.extend", map[string]string{"added": "2h", "duration": "6h"}),
			"dana@example.com extended the access of Casey to production-db by 2h, to 6h in all"},
		{entry("dana@example.com", "request.acknowledge", map[string]string{"note": "fine"}),
			"dana@example.com reviewed the break-glass access of Casey to production-db: “fine”"},
		{store.AuditEntry{ActorID: "usr_a", ActorEmail: "alex@example.com", Action: "group.update", Details: map[string]string{"name": "on-call", "added": "usr_1,usr_2", "removed": "usr_3"}},
			"alex@example.com changed the group on-call: added 2 members, removed 1 member"},
		{store.AuditEntry{ActorID: "usr_a", ActorEmail: "alex@example.com", Action: "rule.create", Details: map[string]string{"name": hostile, "network": "office", "position": "1"}},
			"alex@example.com added the rule “" + hostile + "” to office (number 1)"},
		{store.AuditEntry{ActorID: "usr_a", ActorEmail: "alex@example.com", Action: "rule.update", Details: map[string]string{"name": "on-call", "network": "office", "position": "2", "changed": "position"}},
			"alex@example.com moved the rule “on-call” of office to number 2"},
		{store.AuditEntry{ActorID: "usr_a", ActorEmail: "alex@example.com", Action: "user.create", Details: map[string]string{"email": "ci@example.com", "service": "true"}},
			"alex@example.com created the service user ci@example.com"},
	} {
		if got := admin.AuditText(tc.e); got != tc.want {
			t.Errorf("%s %v:\n got %q\nwant %q", tc.e.Action, tc.e.Details, got, tc.want)
		}
	}
}
