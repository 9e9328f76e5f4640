package access

import (
	"errors"
	"fmt"
	"reflect"
	"slices"
	"testing"
	"time"

	"gatepass.dev/backend/internal/actor"
	"gatepass.dev/backend/internal/store"
	"gatepass.dev/shared/api"
)

var (
	t0 = time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC) // requested_at of every fixture

	requester = actor.Actor{ID: "u-requester", Email: "req@example.com", Role: api.RoleUser}
	adminReq  = actor.Actor{ID: "u-requester", Email: "req@example.com", Role: api.RoleAdmin} // the requester, who is an admin
	admin     = actor.Actor{ID: "u-admin", Email: "admin@example.com", Role: api.RoleAdmin}
	otherUser = actor.Actor{ID: "u-other", Email: "other@example.com", Role: api.RoleUser}

	policy = Policy{DefaultDuration: 8 * time.Hour, MaxDuration: 30 * 24 * time.Hour, PendingTTL: 24 * time.Hour}

	// now is past every fixture's expires_at and past requested_at+PendingTTL.
	now = t0.Add(48 * time.Hour)
)

// extendAt is when the table applies EventExtend: within the approved
// fixture's grant (every other event is applied at now).
var extendAt = t0.Add(31 * time.Minute)

// fixture returns an access request that is plausibly in status s.
func fixture(s api.RequestStatus) store.Request {
	return fixtureOf(api.KindAccess, s)
}

// fixtureOf returns a request of a kind that is plausibly in status s.
func fixtureOf(kind api.RequestKind, s api.RequestStatus) store.Request {
	r := store.Request{
		ID: "r-1", NetworkID: "n-1", UserID: requester.ID, Status: s,
		Reason: "deploy hotfix", Wished: 2 * time.Hour, RequestedAt: t0,
		NetworkName: "prod", UserEmail: requester.Email, UserName: "Req",
		Kind: kind, RequiredApprovals: 1,
	}
	if kind == api.KindExtension {
		r.GrantID = "r-0"
	}
	decided := t0.Add(time.Minute)
	switch s {
	case api.StatusApproved, api.StatusExpired, api.StatusRevoked:
		r.Granted = time.Hour
		r.DecidedAt, r.DecidedBy = decided, admin.ID
		r.Approvals = []store.Approval{{UserID: admin.ID, Email: admin.Email, At: decided, Duration: time.Hour}}
		if kind != api.KindExtension {
			r.ExpiresAt = decided.Add(time.Hour)
		}
		if kind == api.KindBreakGlass {
			r.Approvals, r.DecidedBy, r.Rule, r.ReviewRequired = nil, "", BreakGlassRule, true
		}
		if s == api.StatusExpired {
			r.EndedAt = decided.Add(time.Hour)
		}
		if s == api.StatusRevoked {
			r.EndedAt, r.EndedBy, r.Note = decided.Add(30*time.Minute), admin.ID, "done"
		}
	case api.StatusDenied:
		r.DecidedAt, r.DecidedBy, r.Note = decided, admin.ID, "not now"
	case api.StatusCancelled:
		r.EndedAt, r.EndedBy = decided, requester.ID
	}
	return r
}

// eventFor returns e with the right actor for its kind.
func eventFor(k EventKind) Event {
	e := Event{Kind: k, Policy: policy}
	switch k {
	case EventApprove:
		e.Actor, e.Duration = admin, 4*time.Hour
	case EventDeny, EventRevoke:
		e.Actor, e.Note = admin, "because"
	case EventCancel, EventRelease:
		e.Actor = requester
	case EventExpire, EventTimeout:
		e.Actor = actor.System
	case EventExtend:
		e.Actor, e.Duration = admin, 2*time.Hour
	case EventAcknowledge:
		e.Actor, e.Note = admin, "seen"
	}
	return e
}

// diffRequest lists the fields in which got and want differ, comparing
// times with Equal.
func diffRequest(got, want store.Request) []string {
	var out []string
	gv, wv := reflect.ValueOf(got), reflect.ValueOf(want)
	tt := reflect.TypeOf(time.Time{})
	for i := range gv.NumField() {
		f := gv.Type().Field(i)
		g, w := gv.Field(i).Interface(), wv.Field(i).Interface()
		same := false
		if f.Type == tt {
			same = g.(time.Time).Equal(w.(time.Time))
		} else {
			same = reflect.DeepEqual(g, w)
		}
		if !same {
			out = append(out, fmt.Sprintf("%s: got %v, want %v", f.Name, g, w))
		}
	}
	return out
}

func sameEffects(got, want []Effect) bool {
	g, w := slices.Clone(got), slices.Clone(want)
	slices.Sort(g)
	slices.Sort(w)
	return slices.Equal(g, w)
}

type legal struct {
	to      api.RequestStatus
	effects []Effect
	fields  func(r *store.Request, e Event, at time.Time) // sets the fields the move changes besides Status
}

// approved sets the fields of a first and last approval at at.
func approved(r *store.Request, e Event, at time.Time) {
	r.Granted = e.Duration
	r.DecidedAt, r.DecidedBy = at, e.Actor.ID
	r.Approvals = []store.Approval{{UserID: e.Actor.ID, Email: e.Actor.Email, At: at, Duration: e.Duration}}
	r.ExpiresAt = at.Add(e.Duration) // from approval, not from RequestedAt
}

// grantMoves are the legal moves of access and break-glass requests.
func grantMoves(approveEffects []Effect, extra func(*store.Request)) map[api.RequestStatus]map[EventKind]legal {
	return map[api.RequestStatus]map[EventKind]legal{
		api.StatusPending: {
			EventApprove: {api.StatusApproved, approveEffects, func(r *store.Request, e Event, at time.Time) {
				approved(r, e, at)
				extra(r)
			}},
			EventDeny: {api.StatusDenied, []Effect{EffectReschedule, EffectMailDenied}, func(r *store.Request, e Event, at time.Time) {
				r.DecidedAt, r.DecidedBy, r.Note = at, e.Actor.ID, e.Note
			}},
			EventCancel: {api.StatusCancelled, []Effect{EffectReschedule}, func(r *store.Request, e Event, at time.Time) {
				r.EndedAt, r.EndedBy = at, e.Actor.ID
			}},
			EventTimeout: {api.StatusExpired, []Effect{EffectReschedule, EffectMailPendingExpired}, func(r *store.Request, e Event, at time.Time) {
				r.EndedAt = at
			}},
		},
		api.StatusApproved: {
			EventRevoke: {api.StatusRevoked, []Effect{EffectGatewaySync, EffectReschedule, EffectMailRevoked}, func(r *store.Request, e Event, at time.Time) {
				r.EndedAt, r.EndedBy, r.Note = at, e.Actor.ID, e.Note
			}},
			EventRelease: {api.StatusRevoked, []Effect{EffectGatewaySync, EffectReschedule}, func(r *store.Request, e Event, at time.Time) {
				r.EndedAt, r.EndedBy = at, e.Actor.ID
			}},
			EventExpire: {api.StatusExpired, []Effect{EffectGatewaySync, EffectReschedule, EffectMailExpired}, func(r *store.Request, e Event, at time.Time) {
				r.EndedAt = at
			}},
			EventExtend: {api.StatusApproved, []Effect{EffectGatewaySync, EffectReschedule}, func(r *store.Request, e Event, at time.Time) {
				r.ExpiresAt = r.ExpiresAt.Add(e.Duration)
				r.Granted += e.Duration
			}},
		},
	}
}

func acknowledged(r *store.Request, e Event, at time.Time) {
	r.ReviewRequired, r.ReviewedAt, r.ReviewedBy = false, at, e.Actor.ID
}

// legalMoves are every legal move: kind → status → event.
var legalMoves = func() map[api.RequestKind]map[api.RequestStatus]map[EventKind]legal {
	access := grantMoves([]Effect{EffectGatewaySync, EffectReschedule, EffectMailApproved}, func(*store.Request) {})
	bg := grantMoves([]Effect{EffectGatewaySync, EffectReschedule, EffectMailApproved, EffectMailBreakGlass}, func(r *store.Request) { r.ReviewRequired = true })
	for _, s := range []api.RequestStatus{api.StatusApproved, api.StatusExpired, api.StatusRevoked} {
		if bg[s] == nil {
			bg[s] = map[EventKind]legal{}
		}
		bg[s][EventAcknowledge] = legal{s, nil, acknowledged}
	}
	ext := grantMoves(nil, nil)
	delete(ext, api.StatusApproved) // an approved extension is folded into its grant
	ext[api.StatusPending][EventApprove] = legal{api.StatusApproved, []Effect{EffectMailExtended}, func(r *store.Request, e Event, at time.Time) {
		approved(r, e, at)
		r.ExpiresAt = time.Time{} // the time goes to the grant
	}}
	return map[api.RequestKind]map[api.RequestStatus]map[EventKind]legal{
		api.KindAccess: access, api.KindBreakGlass: bg, api.KindExtension: ext,
	}
}()

func TestApplyAllPairs(t *testing.T) {
	if len(api.AllStatuses) != 6 || len(AllEvents) != 9 {
		t.Fatalf("the lifecycle changed (%d statuses, %d events): update this table", len(api.AllStatuses), len(AllEvents))
	}
	nLegal := 0
	for _, kind := range []api.RequestKind{api.KindAccess, api.KindExtension, api.KindBreakGlass} {
		for _, s := range api.AllStatuses {
			for _, k := range AllEvents {
				t.Run(string(kind)+"/"+string(s)+"/"+string(k), func(t *testing.T) {
					r := fixtureOf(kind, s)
					orig := fixtureOf(kind, s)
					e := eventFor(k)
					at := now
					if k == EventExtend {
						at = extendAt
					}
					got, effects, err := Apply(r, e, at)
					if d := diffRequest(r, orig); d != nil {
						t.Fatalf("input mutated: %v", d)
					}
					mv, ok := legalMoves[kind][s][k]
					if !ok {
						if !errors.Is(err, ErrInvalidTransition) {
							t.Fatalf("illegal move: err = %v, want ErrInvalidTransition", err)
						}
						if d := diffRequest(got, r); d != nil {
							t.Errorf("illegal move changed the request: %v", d)
						}
						if effects != nil {
							t.Errorf("illegal move gave effects %v", effects)
						}
						return
					}
					nLegal++
					if err != nil {
						t.Fatalf("legal move: err = %v", err)
					}
					want := orig
					want.Status = mv.to
					mv.fields(&want, e, at)
					if d := diffRequest(got, want); d != nil {
						t.Errorf("result differs:\n%v", d)
					}
					if !sameEffects(effects, mv.effects) {
						t.Errorf("effects = %v, want %v", effects, mv.effects)
					}
				})
			}
		}
	}
	if nLegal != 23 {
		t.Errorf("%d legal moves, want 23", nLegal)
	}
}

// TestApplyApproveClockStartsAtApproval guards against computing expires_at
// from requested_at.
func TestApplyApproveClockStartsAtApproval(t *testing.T) {
	r := fixture(api.StatusPending)
	at := t0.Add(10 * time.Hour)
	got, _, err := Apply(r, Event{Kind: EventApprove, Actor: admin, Duration: time.Hour, Policy: policy}, at)
	if err != nil {
		t.Fatal(err)
	}
	if want := at.Add(time.Hour); !got.ExpiresAt.Equal(want) {
		t.Errorf("ExpiresAt = %v, want %v (approval + duration)", got.ExpiresAt, want)
	}
}

func TestApplyErrors(t *testing.T) {
	pending, approved := fixture(api.StatusPending), fixture(api.StatusApproved)
	day := 24 * time.Hour
	tests := []struct {
		name string
		r    store.Request
		e    Event
		at   time.Time
		want []error // any of these
	}{
		// Who may decide.
		{"approve by requester who is admin", pending, Event{Kind: EventApprove, Actor: adminReq, Policy: policy}, now, []error{ErrSelfDecision}},
		{"deny by requester who is admin", pending, Event{Kind: EventDeny, Actor: adminReq, Policy: policy}, now, []error{ErrSelfDecision}},
		{"approve by requester (user)", pending, Event{Kind: EventApprove, Actor: requester, Policy: policy}, now, []error{ErrForbidden, ErrSelfDecision}},
		{"approve by non-admin", pending, Event{Kind: EventApprove, Actor: otherUser, Policy: policy}, now, []error{ErrForbidden}},
		{"approve by system", pending, Event{Kind: EventApprove, Actor: actor.System, Policy: policy}, now, []error{ErrForbidden}},
		{"deny by non-admin", pending, Event{Kind: EventDeny, Actor: otherUser, Policy: policy}, now, []error{ErrForbidden}},
		{"revoke by non-admin", approved, Event{Kind: EventRevoke, Actor: otherUser, Policy: policy}, now, []error{ErrForbidden}},
		{"revoke by requester (user)", approved, Event{Kind: EventRevoke, Actor: requester, Policy: policy}, now, []error{ErrForbidden}},
		{"approve with unknown role", pending, Event{Kind: EventApprove, Actor: actor.Actor{ID: "x", Role: "superuser"}, Policy: policy}, now, []error{ErrForbidden}},
		// Who may cancel or release.
		{"cancel by admin", pending, Event{Kind: EventCancel, Actor: admin, Policy: policy}, now, []error{ErrForbidden}},
		{"cancel by other user", pending, Event{Kind: EventCancel, Actor: otherUser, Policy: policy}, now, []error{ErrForbidden}},
		{"cancel by system", pending, Event{Kind: EventCancel, Actor: actor.System, Policy: policy}, now, []error{ErrForbidden}},
		{"release by admin", approved, Event{Kind: EventRelease, Actor: admin, Policy: policy}, now, []error{ErrForbidden}},
		{"release by other user", approved, Event{Kind: EventRelease, Actor: otherUser, Policy: policy}, now, []error{ErrForbidden}},
		// Durations.
		{"duration over max", pending, Event{Kind: EventApprove, Actor: admin, Duration: policy.MaxDuration + time.Second, Policy: policy}, now, []error{ErrInvalidDuration}},
		{"duration negative", pending, Event{Kind: EventApprove, Actor: admin, Duration: -time.Hour, Policy: policy}, now, []error{ErrInvalidDuration}},
		{"duration -1ns", pending, Event{Kind: EventApprove, Actor: admin, Duration: -1, Policy: policy}, now, []error{ErrInvalidDuration}},
		{"duration sub-second", pending, Event{Kind: EventApprove, Actor: admin, Duration: 500 * time.Millisecond, Policy: policy}, now, []error{ErrInvalidDuration}},
		{"duration fractional seconds", pending, Event{Kind: EventApprove, Actor: admin, Duration: time.Hour + time.Millisecond, Policy: policy}, now, []error{ErrInvalidDuration}},
		{"zero duration, no default", pending, Event{Kind: EventApprove, Actor: admin, Policy: Policy{MaxDuration: day}}, now, []error{ErrInvalidDuration}},
		{"zero duration, default over max", pending, Event{Kind: EventApprove, Actor: admin, Policy: Policy{DefaultDuration: 2 * day, MaxDuration: day}}, now, []error{ErrInvalidDuration}},
		// Timing.
		{"expire before expires_at", approved, Event{Kind: EventExpire, Actor: actor.System, Policy: policy}, approved.ExpiresAt.Add(-time.Nanosecond), []error{ErrNotDue}},
		{"expire long before expires_at", approved, Event{Kind: EventExpire, Actor: actor.System, Policy: policy}, approved.DecidedAt, []error{ErrNotDue}},
		{"timeout before TTL", pending, Event{Kind: EventTimeout, Actor: actor.System, Policy: policy}, t0.Add(policy.PendingTTL - time.Nanosecond), []error{ErrNotDue}},
		{"timeout with zero TTL", pending, Event{Kind: EventTimeout, Actor: actor.System, Policy: Policy{}}, now, []error{ErrNotDue}},
		{"timeout with negative TTL", pending, Event{Kind: EventTimeout, Actor: actor.System, Policy: Policy{PendingTTL: -time.Hour}}, now, []error{ErrNotDue}},
		// Unknown events.
		{"unknown event", pending, Event{Kind: "bogus", Actor: admin, Policy: policy}, now, []error{ErrInvalidTransition}},
		{"empty event", approved, Event{Actor: admin, Policy: policy}, now, []error{ErrInvalidTransition}},
		{"event kind in wrong case", pending, Event{Kind: "Approve", Actor: admin, Policy: policy}, now, []error{ErrInvalidTransition}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			orig := tc.r
			got, effects, err := Apply(tc.r, tc.e, tc.at)
			if !slices.ContainsFunc(tc.want, func(w error) bool { return errors.Is(err, w) }) {
				t.Fatalf("err = %v, want one of %v", err, tc.want)
			}
			if d := diffRequest(got, orig); d != nil {
				t.Errorf("failed move changed the request: %v", d)
			}
			if d := diffRequest(tc.r, orig); d != nil {
				t.Errorf("input mutated: %v", d)
			}
			if effects != nil {
				t.Errorf("failed move gave effects %v", effects)
			}
		})
	}
}

func TestApplyBoundaries(t *testing.T) {
	pending, approved := fixture(api.StatusPending), fixture(api.StatusApproved)

	t.Run("zero duration uses default", func(t *testing.T) {
		got, _, err := Apply(pending, Event{Kind: EventApprove, Actor: admin, Policy: policy}, now)
		if err != nil {
			t.Fatal(err)
		}
		if got.Granted != policy.DefaultDuration || !got.ExpiresAt.Equal(now.Add(policy.DefaultDuration)) {
			t.Errorf("Granted = %v, ExpiresAt = %v; want default %v from now", got.Granted, got.ExpiresAt, policy.DefaultDuration)
		}
	})
	t.Run("duration equal to max", func(t *testing.T) {
		got, _, err := Apply(pending, Event{Kind: EventApprove, Actor: admin, Duration: policy.MaxDuration, Policy: policy}, now)
		if err != nil {
			t.Fatal(err)
		}
		if got.Granted != policy.MaxDuration || !got.ExpiresAt.Equal(now.Add(policy.MaxDuration)) {
			t.Errorf("Granted = %v, ExpiresAt = %v", got.Granted, got.ExpiresAt)
		}
	})
	t.Run("one second", func(t *testing.T) {
		got, _, err := Apply(pending, Event{Kind: EventApprove, Actor: admin, Duration: time.Second, Policy: policy}, now)
		if err != nil || got.Granted != time.Second {
			t.Fatalf("Granted = %v, err = %v", got.Granted, err)
		}
	})
	t.Run("expire exactly at expires_at", func(t *testing.T) {
		got, _, err := Apply(approved, Event{Kind: EventExpire, Actor: actor.System}, approved.ExpiresAt)
		if err != nil {
			t.Fatal(err)
		}
		if got.Status != api.StatusExpired || !got.EndedAt.Equal(approved.ExpiresAt) || got.EndedBy != "" {
			t.Errorf("got status %s, EndedAt %v, EndedBy %q", got.Status, got.EndedAt, got.EndedBy)
		}
	})
	t.Run("timeout exactly at TTL", func(t *testing.T) {
		at := pending.RequestedAt.Add(policy.PendingTTL)
		got, _, err := Apply(pending, Event{Kind: EventTimeout, Actor: actor.System, Policy: policy}, at)
		if err != nil {
			t.Fatal(err)
		}
		if got.Status != api.StatusExpired || !got.EndedAt.Equal(at) {
			t.Errorf("got status %s, EndedAt %v", got.Status, got.EndedAt)
		}
	})
	t.Run("revoke by the requester who is admin", func(t *testing.T) {
		// An admin may end their own grant either way; only decisions are
		// guarded against self-dealing.
		got, _, err := Apply(approved, Event{Kind: EventRevoke, Actor: adminReq}, now)
		if err != nil || got.Status != api.StatusRevoked {
			t.Fatalf("status %s, err %v", got.Status, err)
		}
	})
	t.Run("wrong status with the right actor", func(t *testing.T) {
		// With the right actor, a move from the wrong status is an
		// invalid transition, not a permission error.
		_, _, err := Apply(approved, Event{Kind: EventCancel, Actor: requester}, now)
		if !errors.Is(err, ErrInvalidTransition) {
			t.Errorf("cancel approved by requester: %v", err)
		}
		_, _, err = Apply(pending, Event{Kind: EventRevoke, Actor: admin}, now)
		if !errors.Is(err, ErrInvalidTransition) {
			t.Errorf("revoke pending by admin: %v", err)
		}
	})
}

// TestTimedEventsChangeOnlyStatusAndEnd: the sweeps save a timed move
// (expiry, timeout, an extension whose grant ended) with one statement
// that sets the status and the end time only (store.EndMany); every legal
// timed move must change nothing else.
func TestTimedEventsChangeOnlyStatusAndEnd(t *testing.T) {
	timed := 0
	for _, kind := range []api.RequestKind{api.KindAccess, api.KindExtension, api.KindBreakGlass} {
		for _, s := range api.AllStatuses {
			for _, e := range []Event{eventFor(EventExpire), eventFor(EventTimeout), {Kind: EventTimeout, Actor: actor.System, Policy: policy, GrantEnded: true}} {
				r := fixtureOf(kind, s)
				got, _, err := Apply(r, e, now)
				if err != nil {
					continue // not a legal move here
				}
				timed++
				same := r
				same.Status, same.EndedAt = got.Status, got.EndedAt
				if d := diffRequest(got, same); d != nil {
					t.Errorf("%s/%s/%s (grant ended %v) changes more than the status and end time: %v", kind, s, e.Kind, e.GrantEnded, d)
				}
			}
		}
	}
	if timed == 0 {
		t.Fatal("no timed move was legal: the fixtures changed")
	}
}
