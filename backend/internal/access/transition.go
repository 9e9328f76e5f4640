// Package access is the request lifecycle of Gatepass.
//
//	            approve(duration ≤ network max)          expires_at reached
//	pending ───────────────────────────────▶ approved ─────────────────────▶ expired
//	  │  │  │ ↺ approve (not yet the last       │ ↺ extend (expires_at moves)
//	  │  │  │   of N distinct approvers)        │ ↺ acknowledge (break-glass reviewed)
//	  │  │  └─ timeout (pending TTL, or its start passed) ─▶ expired
//	  │  │                                      └── revoke (admin) or release (user) ──▶ revoked
//	  │  └── cancel (by requester) ──▶ cancelled
//	  └── deny(note), by any approver ──▶ denied
//
// Policies add to this lifecycle, not beside it:
//
//   - A rule that matches, or the last of a network's required approvals,
//     is an approve event; an approval that is not yet the last keeps the
//     request pending with one more entry in its approvals ("1 of 2"). The
//     grant is the shortest of the approvals' durations. The same approver
//     twice is ErrAlreadyApproved; a deny by any approver ends the request.
//   - Who decides: admins always; a network's named approvers (directly or
//     through a group: Event.Approver, read by the Service) for its
//     requests; the system only by a policy (Event.Rule: an auto-approval
//     rule's name, or BreakGlassRule). Never the requester.
//   - A scheduled request (starts_at) is decided in advance; its grant runs
//     from starts_at (expires_at = starts_at + duration) and it cannot be
//     approved once its start has passed: it times out then.
//   - An extension is a request of kind extension on an active grant: when
//     approved, the extend event moves its grant's expires_at (the network's
//     maximum caps the whole grant) and the extension holds no access of its
//     own; it is never revoked, released or expired itself.
//   - Break-glass is a request of kind break_glass approved at once by
//     BreakGlassRule and flagged for review; acknowledge clears the flag.
//
// Apply is the one pure function that moves a request: it takes the request,
// an event and the time, and returns the new request and the side effects
// the change calls for, or an error (ErrInvalidTransition for an illegal
// move). It reads no clock and touches no database; Service saves its result
// with a compare-and-set in the same transaction as the audit row and the
// outbox rows.
package access

import (
	"slices"
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
	ErrAlreadyApproved   = fault.Sentinel(fault.Conflict, "you approved this request already: another approver must give the next approval")
	ErrInvalidDuration   = fault.FieldSentinel("duration_seconds", "invalid duration")
)

// BreakGlassRule is the rule name of break-glass grants.
const BreakGlassRule = "break-glass"

// EventKind names a lifecycle event. The strings appear in the audit log as
// "request.<kind>".
type EventKind string

const (
	EventApprove     EventKind = "approve"     // an approver (or a rule) grants access for a duration
	EventDeny        EventKind = "deny"        // an approver refuses, with an optional note
	EventCancel      EventKind = "cancel"      // requester withdraws a pending request
	EventRevoke      EventKind = "revoke"      // admin ends an active grant
	EventRelease     EventKind = "release"     // requester gives up an active grant early
	EventExpire      EventKind = "expire"      // the grant's expires_at is reached
	EventTimeout     EventKind = "timeout"     // a pending request can no longer be decided in time
	EventExtend      EventKind = "extend"      // an approved extension moves its grant's expires_at
	EventAcknowledge EventKind = "acknowledge" // an approver reviewed a break-glass access
)

// AllEvents lists every event kind.
var AllEvents = []EventKind{EventApprove, EventDeny, EventCancel, EventRevoke, EventRelease, EventExpire, EventTimeout, EventExtend, EventAcknowledge}

// Event is one lifecycle event.
type Event struct {
	Kind  EventKind
	Actor actor.Actor
	// Duration is the grant length for EventApprove (zero means the
	// policy's default) and the time added for EventExtend.
	Duration time.Duration
	// Note is the deny or revoke note.
	Note string
	// Policy is the network's duration policy (approve, extend) and the
	// pending TTL (timeout).
	Policy Policy
	// Cause is why the system ends a request on an admin's change (Settle):
	// the requester can no longer pass the gateway. Audited.
	Cause Refusal
	// Approver says the actor is a named approver of the request's network
	// (directly or through a group); the Service reads it.
	Approver bool
	// Rule names the policy by which the system decides (approve, extend):
	// an auto-approval rule, or BreakGlassRule. Why says why it matched
	// (for the audit log).
	Rule string
	Why  string
	// GrantEnded says (timeout of an extension) that its grant is no
	// longer valid: the extension can never be granted.
	GrantEnded bool
}

// Policy holds the limits Apply checks.
type Policy struct {
	DefaultDuration time.Duration
	MaxDuration     time.Duration
	PendingTTL      time.Duration
	// MaxWhy says why MaxDuration is what it is, for the error that a
	// duration is longer ("" for "this network's maximum of 30d").
	MaxWhy string
	// RequiredApprovals is how many distinct approvers must approve
	// (below 1 counts as 1).
	RequiredApprovals int
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
	EffectMailProgress       Effect = "mail_progress"        // an approval, not the last: tell the requester and the other approvers
	EffectMailExtended       Effect = "mail_extended"        // an extension was granted: tell the requester
	EffectMailBreakGlass     Effect = "mail_break_glass"     // alert every approver of the network
	EffectGatewaySync        Effect = "gateway_sync"         // the set of valid grants changed
	EffectReschedule         Effect = "reschedule"           // the next expiry may have changed
)

// Apply moves r by e at now. It never mutates r.
func Apply(r store.Request, e Event, now time.Time) (store.Request, []Effect, error) {
	next := r
	kind := r.KindOrAccess()
	switch e.Kind {
	case EventApprove:
		if r.Status != api.StatusPending {
			return r, nil, invalid(r, e)
		}
		if err := decider(r, e, "approve or deny"); err != nil {
			return r, nil, err
		}
		if e.Rule == "" && r.ApprovedBy(e.Actor.ID) {
			return r, nil, ErrAlreadyApproved
		}
		if !r.StartsAt.IsZero() && !now.Before(r.StartsAt) {
			return r, nil, fault.Detail(ErrInvalidTransition, "the requested start (%s) has passed: the request can no longer be approved", r.StartsAt.Format(time.RFC3339))
		}
		d, err := GrantDuration(e.Duration, e.Policy)
		if err != nil {
			return r, nil, err
		}
		required := max(1, e.Policy.RequiredApprovals)
		if e.Rule != "" {
			required, next.Rule = 1, e.Rule
		} else {
			next.Approvals = append(slices.Clone(r.Approvals), store.Approval{UserID: e.Actor.ID, Email: e.Actor.Email, At: now, Duration: d})
			next.RequiredApprovals = required
			if len(next.Approvals) < required {
				return next, []Effect{EffectMailProgress}, nil
			}
			for _, a := range next.Approvals {
				d = min(d, a.Duration)
			}
		}
		next.RequiredApprovals = required
		next.Status = api.StatusApproved
		next.Granted = d
		next.DecidedAt, next.DecidedBy = now, e.Actor.ID
		if kind == api.KindExtension {
			// The time goes to the grant (EventExtend); the extension holds none.
			return next, []Effect{EffectMailExtended}, nil
		}
		next.ExpiresAt = now.Add(d) // the clock starts at approval …
		if !r.StartsAt.IsZero() {
			next.ExpiresAt = r.StartsAt.Add(d) // … or at the scheduled start
		}
		effects := []Effect{EffectGatewaySync, EffectReschedule, EffectMailApproved}
		if kind == api.KindBreakGlass {
			next.ReviewRequired = true
			effects = append(effects, EffectMailBreakGlass)
		}
		return next, effects, nil

	case EventDeny:
		if r.Status != api.StatusPending {
			return r, nil, invalid(r, e)
		}
		if e.Rule != "" {
			return r, nil, fault.Detail(ErrForbidden, "a rule never denies: requests no rule approves wait for people")
		}
		if err := decider(r, e, "approve or deny"); err != nil {
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
		if r.Status != api.StatusApproved || kind == api.KindExtension {
			return r, nil, invalid(r, e)
		}
		next.Status = api.StatusRevoked
		next.EndedAt, next.EndedBy, next.Note = now, e.Actor.ID, e.Note
		return next, []Effect{EffectGatewaySync, EffectReschedule, EffectMailRevoked}, nil

	case EventRelease:
		if e.Actor.ID != r.UserID {
			return r, nil, fault.Detail(ErrForbidden, "only the requester can give up their grant")
		}
		if r.Status != api.StatusApproved || kind == api.KindExtension {
			return r, nil, invalid(r, e)
		}
		next.Status = api.StatusRevoked
		next.EndedAt, next.EndedBy = now, e.Actor.ID
		return next, []Effect{EffectGatewaySync, EffectReschedule}, nil

	case EventExpire:
		if r.Status != api.StatusApproved || kind == api.KindExtension {
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
		ttl := e.Policy.PendingTTL > 0 && !now.Before(r.RequestedAt.Add(e.Policy.PendingTTL))
		started := !r.StartsAt.IsZero() && !now.Before(r.StartsAt)
		orphan := kind == api.KindExtension && e.GrantEnded
		if !ttl && !started && !orphan {
			return r, nil, ErrNotDue
		}
		next.Status = api.StatusExpired
		next.EndedAt = now
		if orphan {
			return next, []Effect{EffectReschedule}, nil // the grant's own end was mailed
		}
		return next, []Effect{EffectReschedule, EffectMailPendingExpired}, nil

	case EventExtend:
		if r.Status != api.StatusApproved || kind == api.KindExtension {
			return r, nil, invalid(r, e)
		}
		if !now.Before(r.ExpiresAt) {
			return r, nil, fault.Detail(ErrInvalidTransition, "the grant has ended: request access anew")
		}
		if !r.StartsAt.IsZero() && now.Before(r.StartsAt) {
			return r, nil, fault.Detail(ErrInvalidTransition, "the grant has not started yet: only an active grant can be extended")
		}
		if err := decider(r, e, "extend grants"); err != nil {
			return r, nil, err
		}
		if e.Duration <= 0 || e.Duration%time.Second != 0 {
			return r, nil, fault.Detail(ErrInvalidDuration, "an extension must add a positive number of whole seconds")
		}
		total := r.ExpiresAt.Add(e.Duration).Sub(r.Start())
		if e.Policy.MaxDuration > 0 && total > e.Policy.MaxDuration {
			return r, nil, fault.Detail(ErrInvalidDuration, "one grant may last at most %s (this network's maximum): this one would last %s",
				humantime.Span(e.Policy.MaxDuration), humantime.Span(total))
		}
		next.ExpiresAt = r.ExpiresAt.Add(e.Duration)
		next.Granted = r.Granted + e.Duration
		return next, []Effect{EffectGatewaySync, EffectReschedule}, nil

	case EventAcknowledge:
		if kind != api.KindBreakGlass || !r.ReviewRequired {
			return r, nil, fault.Detail(ErrInvalidTransition, "only a break-glass access that awaits review can be acknowledged")
		}
		switch r.Status {
		case api.StatusApproved, api.StatusExpired, api.StatusRevoked:
		default:
			return r, nil, invalid(r, e)
		}
		if e.Rule != "" {
			return r, nil, fault.Detail(ErrForbidden, "people acknowledge break-glass access, not rules")
		}
		if err := decider(r, e, "acknowledge break-glass access"); err != nil {
			return r, nil, err
		}
		next.ReviewRequired = false
		next.ReviewedAt, next.ReviewedBy = now, e.Actor.ID
		return next, []Effect{}, nil
	}
	return r, nil, fault.Detail(ErrInvalidTransition, "unknown event %q", e.Kind)
}

func invalid(r store.Request, e Event) error {
	if r.KindOrAccess() == api.KindExtension && r.Status == api.StatusApproved {
		return fault.Detail(ErrInvalidTransition, "cannot %s an extension: its time went to its grant %s", e.Kind, r.GrantID)
	}
	return fault.Detail(ErrInvalidTransition, "cannot %s a request that is %s", e.Kind, r.Status)
}

// decider checks that the actor of e may decide r (what names the
// decision, for the message): the system by a rule; an admin, or a named
// approver of the network — never the requester.
func decider(r store.Request, e Event, what string) error {
	a := e.Actor
	if e.Rule != "" {
		if !a.IsSystem() {
			return fault.Detail(ErrForbidden, "only the system decides by a rule")
		}
		return nil
	}
	if !a.IsAdmin() && !(e.Approver && !a.IsSystem()) {
		return fault.Detail(ErrForbidden, "only an admin or an approver of network %s can %s its requests", r.NetworkName, what)
	}
	if a.ID == r.UserID {
		return ErrSelfDecision
	}
	return nil
}

// GrantDuration resolves the duration of an approval: zero means the
// policy's default; the result must be positive, whole seconds, and at
// most the policy's maximum.
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
		why := p.MaxWhy
		if why == "" {
			why = "this network's maximum of " + humantime.Span(p.MaxDuration)
		}
		return 0, fault.Detail(ErrInvalidDuration, "%s is longer than %s", humantime.Span(d), why)
	}
	return d, nil
}
