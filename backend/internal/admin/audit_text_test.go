package admin_test

import (
	"errors"
	"testing"
	"time"

	"gatepass.dev/backend/internal/access"
	"gatepass.dev/backend/internal/admin"
	"gatepass.dev/backend/internal/store"
	"gatepass.dev/shared/api"
)

// TestAuditText: each action in one sentence, people by their names (else
// their emails), user text quoted as it is.
func TestAuditText(t *testing.T) {
	req := func(action string, d map[string]string) store.AuditEntry {
		if d == nil {
			d = map[string]string{}
		}
		d["user"], d["network"] = "casey@example.com", "staging-internal"
		return store.AuditEntry{ActorID: "usr_a", ActorEmail: "alex@example.com", ActorName: "Alex", SubjectName: "Casey",
			Action: action, TargetType: "request", TargetID: "req_1", Details: d}
	}
	own := func(action string, d map[string]string) store.AuditEntry {
		e := req(action, d)
		e.ActorEmail, e.ActorName = "casey@example.com", "Casey"
		return e
	}
	system := func(action string) store.AuditEntry {
		e := req(action, nil)
		e.ActorID, e.ActorEmail, e.ActorName = "", "system", ""
		return e
	}
	hostile := `<script>alert(1)</script>`
	for _, tc := range []struct {
		e    store.AuditEntry
		want string
	}{
		{req("request.approve", map[string]string{"duration": "8h"}), "Alex granted 8h to Casey on staging-internal"},
		{own("request.create", map[string]string{"reason": hostile, "wished": "2h"}), "Casey asked for access to staging-internal for 2h: “" + hostile + "”"},
		{req("request.create", map[string]string{"reason": "Deploy", "again_of": "req_0"}), "Alex granted Casey access to staging-internal again, for the same reason: “Deploy”"},
		{req("request.deny", map[string]string{"note": "ask again"}), "Alex denied the request of Casey for staging-internal: “ask again”"},
		{req("request.revoke", nil), "Alex revoked the access of Casey to staging-internal"},
		{own("request.release", nil), "Casey gave up their access to staging-internal"},
		{own("request.cancel", nil), "Casey withdrew their request for staging-internal"},
		{system("request.expire"), "The access of Casey to staging-internal expired"},
		{system("request.timeout"), "The request of Casey for staging-internal timed out unanswered"},
		{store.AuditEntry{ActorID: "usr_a", ActorEmail: "alex@example.com", Action: "network.update",
			Details: map[string]string{"name": "office", "changed": "jit_enabled,max_duration"}}, "alex@example.com changed the network office: jit_enabled, max_duration"},
		{store.AuditEntry{ActorID: "usr_a", ActorEmail: "alex@example.com", ActorName: "Alex", SubjectName: "Lee", Action: "user.update", TargetType: "user",
			Details: map[string]string{"role": "admin", "disabled": "true"}}, "Alex changed the account of Lee: made them an admin, disabled their account"},
		{store.AuditEntry{ActorEmail: "=cmd@example.com", Action: "login.failure", Details: map[string]string{"reason": "wrong password"}},
			"A sign-in as =cmd@example.com failed: wrong password"},
		{store.AuditEntry{ActorID: "usr_a", ActorEmail: "alex@example.com", ActorName: "Alex", Action: admin.ActionRetryUndeliverable,
			Details: map[string]string{"count": "3"}}, "Alex queued 3 undeliverable emails again"},
		{store.AuditEntry{ActorEmail: "system", Action: "expiry.catch_up", Details: map[string]string{"grants_expired": "1", "pending_timed_out": "2"}},
			"At start-up, Gatepass ended what fell due while it was down: 1 grant expired, 2 pending requests timed out"},
		{store.AuditEntry{ActorID: "usr_a", ActorEmail: "alex@example.com", Action: "something.new"}, "alex@example.com: something.new"},
	} {
		if got := admin.AuditText(tc.e); got != tc.want {
			t.Errorf("%s:\n got %s\nwant %s", tc.e.Action, got, tc.want)
		}
	}
}

// TestMailText: whom an email tells what, and where its delivery stands.
func TestMailText(t *testing.T) {
	for _, tc := range []struct {
		m    store.OutboxMessage
		want string
	}{
		{store.OutboxMessage{Kind: access.MailApproved, To: "casey@example.com", Subject: "Access approved: staging-internal", Status: api.OutboxSent},
			"To casey@example.com: their access to staging-internal was approved — delivered"},
		{store.OutboxMessage{Kind: access.MailNewRequest, To: "alex@example.com", Subject: "Access request: casey@example.com → staging-internal", Status: api.OutboxUndeliverable},
			"To alex@example.com: a new access request to review, casey@example.com → staging-internal — not sent: no SMTP server was configured"},
		{store.OutboxMessage{Kind: access.MailRevoked, To: "casey@example.com", Subject: "Access ended: office", Status: api.OutboxPending, Attempts: 2},
			"To casey@example.com: they gave up their access to office — failed 2 times, will try again"},
		{store.OutboxMessage{Kind: access.MailDenied, To: "casey@example.com", Subject: "Access denied: office", Status: api.OutboxFailed, Attempts: 8, LastError: "550 no such user"},
			"To casey@example.com: their request for office was denied — given up after 8 attempts: 550 no such user"},
		{store.OutboxMessage{Kind: admin.MailInvite, To: "lee@example.com", Subject: "Alex invited you to Gatepass", Status: api.OutboxPending},
			"To lee@example.com: an invitation to set a password and sign in — waiting to be sent"},
	} {
		if got := admin.MailText(tc.m); got != tc.want {
			t.Errorf("%s:\n got %s\nwant %s", tc.m.Kind, got, tc.want)
		}
	}
}

// TestBulkWords: one line per request and a summary; String writes times
// in UTC.
func TestBulkWords(t *testing.T) {
	until := time.Date(2026, 11, 23, 17, 0, 0, 0, time.UTC)
	granted := access.Outcome{ID: "req_1", Request: store.Request{ID: "req_1", UserEmail: "casey@example.com", NetworkName: "staging-internal",
		Status: api.StatusApproved, Granted: 8 * time.Hour, ExpiresAt: until}}
	changed := access.Outcome{ID: "req_2", Err: access.ErrConflict, Request: store.Request{ID: "req_2", UserEmail: "lee@example.com", NetworkName: "office",
		Status: api.StatusApproved, DeciderEmail: "ann@example.com", ExpiresAt: until}}
	missing := access.Outcome{ID: "req_3", Err: store.ErrNotFound}
	stopped := access.Outcome{ID: "req_4", Err: errors.New("disk I/O error")}
	for _, tc := range []struct {
		o    access.Outcome
		want string
	}{
		{granted, "casey@example.com → staging-internal: granted for 8h, until Nov 23, 17:00 UTC"},
		{changed, "lee@example.com → office: had changed meanwhile: it is approved by ann@example.com until Nov 23, 17:00 UTC"},
		{missing, "Request req_3: there is no such request"},
		{stopped, "Request req_4: not decided: the server cannot save changes right now"},
	} {
		if got := admin.BulkLine(access.EventApprove, tc.o).String(); got != tc.want {
			t.Errorf("got  %s\nwant %s", got, tc.want)
		}
	}
	if got := admin.BulkSummary(access.EventApprove, []access.Outcome{granted, changed, missing, stopped}); got != "1 granted; 1 had changed meanwhile; 1 not found; 1 not decided (the server cannot save changes right now)" {
		t.Errorf("summary %q", got)
	}
}
