// Package access is the request lifecycle of Gatepass.
//
//	            approve(duration ≤ network max)          expires_at reached
//	pending ───────────────────────────────▶ approved ─────────────────────▶ expired
//	  │  │  │                                   │
//	  │  │  └─ timeout (pending TTL) ─▶ expired  └── revoke (admin) or release (user) ──▶ revoked
//	  │  └── cancel (by requester) ──▶ cancelled
//	  └── deny(note) ──▶ denied
//
// Apply is the one pure function that moves a request: it takes the request,
// an event and the time, and returns the new request and the side effects
// the change calls for, or an error (ErrInvalidTransition for an illegal
// move). It reads no clock and touches no database; Service saves its result
// with a compare-and-set in the same transaction as the audit row and the
// outbox rows.
package access

import (
	"time"

	"gatepass.dev/backend/internal/actor"
	"gatepass.dev/backend/internal/fault"
	"gatepass.dev/backend/internal/store"
	"gatepass.dev/shared/api"
	"gatepass.dev/shared/humantime"
)

// Errors of Apply, each of a fault kind.
var (
	ErrInvalidTransition = fault.Sentinel(fault.Conflict, "this change is not possible in the request's current state")
	ErrNotDue            = fault.Sentinel(fault.Conflict, "the request is not due to expire yet")
	ErrForbidden         = fault.Sentinel(fault.Forbidden, "you may not do this")
	ErrSelfDecision      = fault.Sentinel(fault.Forbidden, "you cannot approve or deny your own request")
	ErrInvalidDuration   = fault.FieldSentinel("duration_seconds", "invalid duration")
)

// EventKind names a lifecycle event. The strings appear in the audit log as
// "request.<kind>".
type EventKind string

const (
	EventApprove EventKind = "approve" // admin grants access for a duration
	EventDeny    EventKind = "deny"    // admin refuses, with an optional note
	EventCancel  EventKind = "cancel"  // requester withdraws a pending request
	EventRevoke  EventKind = "revoke"  // admin ends an active grant
	EventRelease EventKind = "release" // requester gives up an active grant early
	EventExpire  EventKind = "expire"  // the grant's expires_at is reached
	EventTimeout EventKind = "timeout" // a pending request waited longer than the pending TTL
)

// AllEvents lists every event kind.
var AllEvents = []EventKind{EventApprove, EventDeny, EventCancel, EventRevoke, EventRelease, EventExpire, EventTimeout}

// Event is one lifecycle event.
type Event struct {
	Kind  EventKind
	Actor actor.Actor
	// Duration is the grant length for EventApprove; zero means the
	// network's default.
	Duration time.Duration
	// Note is the deny or revoke note.
	Note string
	// Policy is the network's duration policy (approve) and the pending TTL (timeout).
	Policy Policy
	// Cause is why the system ends a request on an admin's change (Settle):
	// the requester can no longer pass the gateway. Audited.
	Cause Refusal
}

// Policy holds the limits Apply checks.
type Policy struct {
	DefaultDuration time.Duration
	MaxDuration     time.Duration
	PendingTTL      time.Duration
}

// Effect is a side effect a transition calls for. Service turns effects into
// outbox rows and notifications after saving the request.
type Effect string

const (
	EffectMailApproved       Effect = "mail_approved"        // tell the requester
	EffectMailDenied         Effect = "mail_denied"          // tell the requester
	EffectMailExpired        Effect = "mail_expired"         // tell the requester
	EffectMailRevoked        Effect = "mail_revoked"         // tell the requester
	EffectMailPendingExpired Effect = "mail_pending_expired" // tell the requester
	EffectGatewaySync        Effect = "gateway_sync"         // the set of valid grants changed
	EffectReschedule         Effect = "reschedule"           // the next expiry may have changed
)

// Apply moves r by e at now. It never mutates r.
func Apply(r store.Request, e Event, now time.Time) (store.Request, []Effect, error) {
	next := r
	switch e.Kind {
	case EventApprove:
		if r.Status != api.StatusPending {
			return r, nil, invalid(r, e)
		}
		if err := decider(r, e.Actor); err != nil {
			return r, nil, err
		}
		d, err := GrantDuration(e.Duration, e.Policy)
		if err != nil {
			return r, nil, err
		}
		next.Status = api.StatusApproved
		next.Granted = d
		next.DecidedAt, next.DecidedBy = now, e.Actor.ID
		next.ExpiresAt = now.Add(d) // the clock starts at approval
		return next, []Effect{EffectGatewaySync, EffectReschedule, EffectMailApproved}, nil

	case EventDeny:
		if r.Status != api.StatusPending {
			return r, nil, invalid(r, e)
		}
		if err := decider(r, e.Actor); err != nil {
			return r, nil, err
		}
		next.Status = api.StatusDenied
		next.DecidedAt, next.DecidedBy, next.Note = now, e.Actor.ID, e.Note
		return next, []Effect{EffectReschedule, EffectMailDenied}, nil

	case EventCancel:
		if e.Actor.ID != r.UserID {
			return r, nil, fault.Detail(ErrForbidden, "only the requester can cancel a request")
		}
		if r.Status != api.StatusPending {
			return r, nil, invalid(r, e)
		}
		next.Status = api.StatusCancelled
		next.EndedAt, next.EndedBy = now, e.Actor.ID
		return next, []Effect{EffectReschedule}, nil

	case EventRevoke:
		if !e.Actor.IsAdmin() {
			return r, nil, fault.Detail(ErrForbidden, "only an admin can revoke a grant")
		}
		if r.Status != api.StatusApproved {
			return r, nil, invalid(r, e)
		}
		next.Status = api.StatusRevoked
		next.EndedAt, next.EndedBy, next.Note = now, e.Actor.ID, e.Note
		return next, []Effect{EffectGatewaySync, EffectReschedule, EffectMailRevoked}, nil

	case EventRelease:
		if e.Actor.ID != r.UserID {
			return r, nil, fault.Detail(ErrForbidden, "only the requester can give up their grant")
		}
		if r.Status != api.StatusApproved {
			return r, nil, invalid(r, e)
		}
		next.Status = api.StatusRevoked
		next.EndedAt, next.EndedBy = now, e.Actor.ID
		return next, []Effect{EffectGatewaySync, EffectReschedule}, nil

	case EventExpire:
		if r.Status != api.StatusApproved {
			return r, nil, invalid(r, e)
		}
		if now.Before(r.ExpiresAt) {
			return r, nil, ErrNotDue
		}
		next.Status = api.StatusExpired
		next.EndedAt = now
		return next, []Effect{EffectGatewaySync, EffectReschedule, EffectMailExpired}, nil

	case EventTimeout:
		if r.Status != api.StatusPending {
			return r, nil, invalid(r, e)
		}
		if e.Policy.PendingTTL <= 0 || now.Before(r.RequestedAt.Add(e.Policy.PendingTTL)) {
			return r, nil, ErrNotDue
		}
		next.Status = api.StatusExpired
		next.EndedAt = now
		return next, []Effect{EffectReschedule, EffectMailPendingExpired}, nil
	}
	return r, nil, fault.Detail(ErrInvalidTransition, "unknown event %q", e.Kind)
}

func invalid(r store.Request, e Event) error {
	return fault.Detail(ErrInvalidTransition, "cannot %s a request that is %s", e.Kind, r.Status)
}

// decider checks that the actor may approve or deny r.
func decider(r store.Request, a actor.Actor) error {
	if !a.IsAdmin() {
		return fault.Detail(ErrForbidden, "only an admin can approve or deny requests")
	}
	if a.ID == r.UserID {
		return ErrSelfDecision
	}
	return nil
}

// GrantDuration resolves the duration of an approval: zero means the
// network's default; the result must be positive, whole seconds, and at
// most the network's maximum.
func GrantDuration(d time.Duration, p Policy) (time.Duration, error) {
	if d == 0 {
		d = p.DefaultDuration
	}
	if d <= 0 {
		return 0, fault.Detail(ErrInvalidDuration, "the duration must be positive")
	}
	if d%time.Second != 0 {
		return 0, fault.Detail(ErrInvalidDuration, "the duration must be whole seconds")
	}
	if p.MaxDuration > 0 && d > p.MaxDuration {
		return 0, fault.Detail(ErrInvalidDuration, "%s is longer than this network's maximum of %s", humantime.Span(d), humantime.Span(p.MaxDuration))
	}
	return d, nil
}
