package access

import (
	"errors"
	"testing"
	"time"

	"gatepass.dev/backend/internal/actor"
	"gatepass.dev/backend/internal/store"
	"gatepass.dev/shared/api"
)

var (
	approverA = actor.Actor{ID: "u-appr-a", Email: "a@example.com", Role: api.RoleUser}
	approverB = actor.Actor{ID: "u-appr-b", Email: "b@example.com", Role: api.RoleUser}
	two       = Policy{DefaultDuration: 8 * time.Hour, MaxDuration: 30 * 24 * time.Hour, PendingTTL: 24 * time.Hour, RequiredApprovals: 2}
)

// must fails the test on Apply's error and returns its result.
func must(t *testing.T) func(store.Request, []Effect, error) (store.Request, []Effect) {
	return func(r store.Request, effects []Effect, err error) (store.Request, []Effect) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return r, effects
	}
}

// TestApplyApprovals: with two required, the first approval keeps the
// request pending with one approval and tells people; the same approver
// again is refused; a second, distinct approver approves it for the
// shorter of the two durations; a deny after one approval ends it.
func TestApplyApprovals(t *testing.T) {
	r := fixture(api.StatusPending)
	at := t0.Add(time.Hour)
	one, effects := must(t)(Apply(r, Event{Kind: EventApprove, Actor: approverA, Approver: true, Duration: 4 * time.Hour, Policy: two}, at))
	if one.Status != api.StatusPending || len(one.Approvals) != 1 || one.RequiredApprovals != 2 || !one.DecidedAt.IsZero() {
		t.Fatalf("after one approval: %+v", one)
	}
	if !sameEffects(effects, []Effect{EffectMailProgress}) {
		t.Errorf("effects %v", effects)
	}
	if _, _, err := Apply(one, Event{Kind: EventApprove, Actor: approverA, Approver: true, Policy: two}, at); !errors.Is(err, ErrAlreadyApproved) {
		t.Fatalf("the same approver twice: %v", err)
	}
	done, effects := must(t)(Apply(one, Event{Kind: EventApprove, Actor: approverB, Approver: true, Duration: 2 * time.Hour, Policy: two}, at.Add(time.Minute)))
	if done.Status != api.StatusApproved || done.Granted != 2*time.Hour || len(done.Approvals) != 2 || done.DecidedBy != approverB.ID ||
		!done.ExpiresAt.Equal(at.Add(time.Minute+2*time.Hour)) {
		t.Fatalf("after two approvals: %+v", done)
	}
	if !sameEffects(effects, []Effect{EffectGatewaySync, EffectReschedule, EffectMailApproved}) {
		t.Errorf("effects %v", effects)
	}
	denied, _ := must(t)(Apply(one, Event{Kind: EventDeny, Actor: approverB, Approver: true, Policy: two}, at))
	if denied.Status != api.StatusDenied {
		t.Fatalf("a deny after one approval: %s", denied.Status)
	}
}

// TestApplyWhoDecides: a named approver (not an admin) may decide; a user
// who is not one may not; an approver never decides their own request;
// the system decides only by a rule, and nobody else by one.
func TestApplyWhoDecides(t *testing.T) {
	r := fixture(api.StatusPending)
	cases := []struct {
		name string
		e    Event
		want error
	}{
		{"approver", Event{Kind: EventApprove, Actor: approverA, Approver: true, Policy: policy}, nil},
		{"not an approver", Event{Kind: EventApprove, Actor: approverA, Policy: policy}, ErrForbidden},
		{"approver denies", Event{Kind: EventDeny, Actor: approverA, Approver: true, Policy: policy}, nil},
		{"own request, as approver", Event{Kind: EventApprove, Actor: requester, Approver: true, Policy: policy}, ErrSelfDecision},
		{"system by a rule", Event{Kind: EventApprove, Actor: actor.System, Rule: "on-call", Policy: policy}, nil},
		{"admin by a rule", Event{Kind: EventApprove, Actor: admin, Rule: "on-call", Policy: policy}, ErrForbidden},
		{"system denies by a rule", Event{Kind: EventDeny, Actor: actor.System, Rule: "on-call", Policy: policy}, ErrForbidden},
		{"system, approver flag, no rule", Event{Kind: EventApprove, Actor: actor.System, Approver: true, Policy: policy}, ErrForbidden},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, _, err := Apply(r, c.e, now)
			if c.want == nil && err != nil || c.want != nil && !errors.Is(err, c.want) {
				t.Fatalf("err = %v, want %v", err, c.want)
			}
			if c.e.Rule != "" && err == nil && (got.Rule != c.e.Rule || len(got.Approvals) != 0) {
				t.Errorf("a rule's approval: rule %q approvals %v", got.Rule, got.Approvals)
			}
		})
	}
}

// TestApplyScheduled: a scheduled request's grant runs from its start;
// once the start has come it can no longer be approved, and it times out.
func TestApplyScheduled(t *testing.T) {
	r := fixture(api.StatusPending)
	r.StartsAt = t0.Add(10 * time.Hour)
	got, _ := must(t)(Apply(r, Event{Kind: EventApprove, Actor: admin, Duration: time.Hour, Policy: policy}, t0.Add(time.Hour)))
	if !got.ExpiresAt.Equal(r.StartsAt.Add(time.Hour)) || !got.DecidedAt.Equal(t0.Add(time.Hour)) {
		t.Fatalf("expires %v decided %v", got.ExpiresAt, got.DecidedAt)
	}
	if _, _, err := Apply(r, Event{Kind: EventApprove, Actor: admin, Duration: time.Hour, Policy: policy}, r.StartsAt); !errors.Is(err, ErrInvalidTransition) {
		t.Fatalf("approve at the start: %v", err)
	}
	if _, _, err := Apply(r, Event{Kind: EventTimeout, Actor: actor.System, Policy: policy}, r.StartsAt.Add(-time.Millisecond)); !errors.Is(err, ErrNotDue) {
		t.Fatalf("timeout before the start: %v", err)
	}
	out, effects := must(t)(Apply(r, Event{Kind: EventTimeout, Actor: actor.System, Policy: policy}, r.StartsAt))
	if out.Status != api.StatusExpired || !sameEffects(effects, []Effect{EffectReschedule, EffectMailPendingExpired}) {
		t.Fatalf("timeout at the start: %s %v", out.Status, effects)
	}
	// Extending a grant that has not started is refused.
	if _, _, err := Apply(got, Event{Kind: EventExtend, Actor: admin, Duration: time.Hour, Policy: policy}, t0.Add(2*time.Hour)); !errors.Is(err, ErrInvalidTransition) {
		t.Fatalf("extend before the start: %v", err)
	}
}

// TestApplyExtend: the network's maximum caps the whole grant; an ended
// grant cannot be extended; an orphaned extension times out without a
// mail of its own.
func TestApplyExtend(t *testing.T) {
	g := fixture(api.StatusApproved) // 1h from t0+1m
	capped := Policy{MaxDuration: 3 * time.Hour}
	got, _ := must(t)(Apply(g, Event{Kind: EventExtend, Actor: admin, Duration: 2 * time.Hour, Policy: capped}, extendAt))
	if got.Granted != 3*time.Hour || !got.ExpiresAt.Equal(g.DecidedAt.Add(3*time.Hour)) {
		t.Fatalf("extended to the cap: granted %v expires %v", got.Granted, got.ExpiresAt)
	}
	if _, _, err := Apply(got, Event{Kind: EventExtend, Actor: admin, Duration: time.Second, Policy: capped}, extendAt); !errors.Is(err, ErrInvalidDuration) {
		t.Fatalf("one second past the cap: %v", err)
	}
	if _, _, err := Apply(g, Event{Kind: EventExtend, Actor: admin, Duration: time.Hour, Policy: capped}, g.ExpiresAt); !errors.Is(err, ErrInvalidTransition) {
		t.Fatalf("extend at expiry: %v", err)
	}
	if _, _, err := Apply(g, Event{Kind: EventExtend, Actor: otherUser, Duration: time.Hour, Policy: capped}, extendAt); !errors.Is(err, ErrForbidden) {
		t.Fatalf("extend by a user: %v", err)
	}
	ext := fixtureOf(api.KindExtension, api.StatusPending)
	if _, _, err := Apply(ext, Event{Kind: EventTimeout, Actor: actor.System, Policy: policy}, t0.Add(time.Hour)); !errors.Is(err, ErrNotDue) {
		t.Fatalf("timeout of an extension whose grant lives: %v", err)
	}
	out, effects := must(t)(Apply(ext, Event{Kind: EventTimeout, Actor: actor.System, Policy: policy, GrantEnded: true}, t0.Add(time.Hour)))
	if out.Status != api.StatusExpired || !sameEffects(effects, []Effect{EffectReschedule}) {
		t.Fatalf("orphaned extension: %s %v", out.Status, effects)
	}
}

// TestApplyAcknowledge: only an approver or an admin acknowledges a
// break-glass access, never its user, and only once.
func TestApplyAcknowledge(t *testing.T) {
	r := fixtureOf(api.KindBreakGlass, api.StatusApproved)
	if _, _, err := Apply(r, Event{Kind: EventAcknowledge, Actor: requester, Approver: true}, now); !errors.Is(err, ErrSelfDecision) {
		t.Fatalf("by its user: %v", err)
	}
	if _, _, err := Apply(r, Event{Kind: EventAcknowledge, Actor: otherUser}, now); !errors.Is(err, ErrForbidden) {
		t.Fatalf("by a non-approver: %v", err)
	}
	got, _ := must(t)(Apply(r, Event{Kind: EventAcknowledge, Actor: approverA, Approver: true}, now))
	if got.ReviewRequired || got.ReviewedBy != approverA.ID {
		t.Fatalf("%+v", got)
	}
	if _, _, err := Apply(got, Event{Kind: EventAcknowledge, Actor: approverB, Approver: true}, now); !errors.Is(err, ErrInvalidTransition) {
		t.Fatalf("twice: %v", err)
	}
}
