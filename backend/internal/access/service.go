package access

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/jonboulle/clockwork"

	"gatepass.dev/backend/internal/actor"
	"gatepass.dev/backend/internal/events"
	"gatepass.dev/backend/internal/fault"
	"gatepass.dev/backend/internal/metrics"
	"gatepass.dev/backend/internal/store"
	"gatepass.dev/shared/api"
	"gatepass.dev/shared/humantime"
)

// ErrNotFound is returned for a request or network that does not exist (404).
var ErrNotFound = store.ErrNotFound

// ErrConflict is returned when the state changed under the caller or a
// unique rule is broken, e.g. a second open request (409).
var ErrConflict = store.ErrConflict

// changeOf is the bus change of committed effects: the gateway re-syncs
// for EffectGatewaySync, the scheduler re-plans for EffectReschedule, the
// outbox worker wakes for a mail effect.
func changeOf(userIDs []string, networkID string, effects []Effect) events.Change {
	c := events.Change{UserIDs: userIDs, NetworkID: networkID, Mail: hasMail(effects)}
	for _, e := range effects {
		switch e {
		case EffectGatewaySync:
			c.Gateway = true
		case EffectReschedule:
			c.Schedule = true
		}
	}
	return c
}

// Options configure a Service.
type Options struct {
	DB *store.DB
	// Bus is where committed changes are published.
	Bus     *events.Bus
	Clock   clockwork.Clock
	Metrics *metrics.Metrics
	Logger  *slog.Logger
	// PublicURL returns the base URL for links in emails (it can change at
	// run time through the server settings).
	PublicURL func() string
	// PendingTTL is how long a pending request waits for a decision.
	PendingTTL time.Duration
	// Prepare, if set, is called inside the transaction of an approval,
	// after the request is saved: the gateway adds the grant's peers there,
	// before the client can learn that it is approved. The settle function
	// it returns is called when the transaction has ended (committed or
	// not) — also when it ended to be run again (store.DB.Tx on
	// PostgreSQL).
	Prepare func(ctx context.Context, tx *sql.Tx, networkID string, now time.Time) (settle func(), err error)
	// Gateway returns what tunnel configs need of a network's gateway: its
	// public key and endpoint; a fault when the network has none.
	Gateway func(ctx context.Context, networkID string) (GatewayInfo, error)
	// IsGatewayKey reports whether a public key (base64) is a gateway's:
	// never a device's.
	IsGatewayKey func(ctx context.Context, publicKey string) (bool, error)
	// MaxDevices returns how many active devices a user may register
	// (default 5).
	MaxDevices func() int
}

// Service applies lifecycle changes: each in one transaction that saves the
// request with a compare-and-set, appends the audit row and queues the
// emails; the bus hears of it after the commit.
type Service struct {
	opt Options
	// startsSeen is the end of the last span announceStarts looked at.
	startsMu   sync.Mutex
	startsSeen time.Time
}

// NewService returns a Service.
func NewService(opt Options) *Service {
	if opt.Logger == nil {
		opt.Logger = slog.Default()
	}
	if opt.PublicURL == nil {
		opt.PublicURL = func() string { return "" }
	}
	return &Service{opt: opt}
}

// PendingTTL returns how long a pending request waits for a decision.
func (s *Service) PendingTTL() time.Duration { return s.opt.PendingTTL }

// Do applies event e to request id on behalf of e.Actor.
func (s *Service) Do(ctx context.Context, id string, e Event) (store.Request, error) {
	now := s.opt.Clock.Now().UTC()
	var next store.Request
	var effects []Effect
	var settle func()
	err := s.opt.DB.Tx(ctx, func(tx *sql.Tx) error {
		settleOnce(&settle) // a transaction run again: the peers it prepared are read back
		var err error
		if next, effects, err = s.apply(ctx, tx, id, e, now); err != nil {
			return err
		}
		settle, err = s.prepare(ctx, tx, next, now)
		return err
	})
	if settle != nil {
		settle()
	}
	if err != nil {
		return store.Request{}, err
	}
	s.opt.Metrics.Transitions.WithLabelValues(string(e.Kind)).Inc()
	if e.Kind == EventApprove && next.Status == api.StatusApproved {
		s.opt.Metrics.Approvals.Inc()
	}
	s.opt.Bus.Publish(changeOf([]string{next.UserID}, next.NetworkID, effects))
	return next, nil
}

// settleOnce calls *settle, if set, and clears it.
func settleOnce(settle *func()) {
	if *settle != nil {
		(*settle)()
		*settle = nil
	}
}

// prepare adds a new grant's peers to the gateway inside the transaction
// of its approval (Options.Prepare); the settle function it returns is to
// be called when the transaction has ended.
func (s *Service) prepare(ctx context.Context, tx *sql.Tx, r store.Request, now time.Time) (func(), error) {
	if r.Status != api.StatusApproved || s.opt.Prepare == nil {
		return nil, nil
	}
	return s.opt.Prepare(ctx, tx, r.NetworkID, now)
}

// apply is one transition inside tx: load, Apply, compare-and-set, audit,
// outbox — and what follows from it in the same transaction: an approved
// extension moves its grant (EventExtend), and a grant that ends takes its
// pending extension with it.
func (s *Service) apply(ctx context.Context, tx *sql.Tx, id string, e Event, now time.Time) (store.Request, []Effect, error) {
	r, err := store.RequestByID(ctx, tx, id)
	if errors.Is(err, store.ErrNotFound) {
		return r, nil, fault.Detail(ErrNotFound, "no request %q", id)
	}
	if err != nil {
		return r, nil, err
	}
	n, err := store.NetworkByID(ctx, tx, r.NetworkID)
	if err != nil {
		return r, nil, err
	}
	e.Policy.DefaultDuration, e.Policy.MaxDuration = n.DefaultDuration, n.MaxDuration
	e.Policy.PendingTTL = s.opt.PendingTTL
	e.Policy.RequiredApprovals = n.RequiredApprovals
	if e.Rule == "" && !e.Actor.IsSystem() && decides(e.Kind) {
		if e.Approver, err = store.IsApprover(ctx, tx, r.NetworkID, e.Actor.ID); err != nil {
			return r, nil, err
		}
	}
	var grant store.Request
	switch {
	case r.KindOrAccess() == api.KindExtension && e.Kind == EventApprove:
		if grant, err = store.RequestByID(ctx, tx, r.GrantID); err != nil {
			return r, nil, err
		}
		room := n.MaxDuration - grant.ExpiresAt.Sub(grant.Start())
		if room <= 0 {
			return r, nil, fault.Conflictf("the grant lasts %s, this network's maximum, already: it cannot be extended", humantime.Span(n.MaxDuration))
		}
		e.Policy.MaxDuration, e.Policy.DefaultDuration = room, min(r.Wished, room)
		e.Policy.MaxWhy = fmt.Sprintf("the %s this grant may still grow (one grant lasts at most %s)", humantime.Span(room), humantime.Span(n.MaxDuration))
	case r.KindOrAccess() == api.KindBreakGlass && e.Kind == EventApprove:
		e.Policy.MaxDuration, e.Policy.DefaultDuration = n.BreakGlass.MaxDuration, n.BreakGlass.MaxDuration
		e.Policy.MaxWhy = "the break-glass maximum of " + humantime.Span(n.BreakGlass.MaxDuration)
	}
	next, effects, err := Apply(r, e, now)
	if err != nil {
		return r, nil, err
	}
	if e.Kind == EventApprove && next.Status == api.StatusApproved {
		if err := admissionOnApproval(ctx, tx, r); err != nil {
			return r, nil, err
		}
	}
	if err := store.SaveRequestCAS(ctx, tx, next, r); err != nil {
		return r, nil, err
	}

	// Reload for the display fields of the decider and ender.
	if next, err = store.RequestByID(ctx, tx, id); err != nil {
		return r, nil, err
	}
	details := eventDetails(r, next, e, now)
	if e.Kind == EventCancel {
		// Withdrawn at once: the deciders' email, if still held back, goes too.
		n, err := store.WithdrawHeldMail(ctx, tx, MailNewRequest, r.ID, now)
		if err != nil {
			return r, nil, err
		}
		if n > 0 {
			details["admin_email"] = "withdrawn: cancelled within " + humantime.Span(AdminMailHold) + " of the request"
		}
	}
	if err := s.audit(ctx, tx, e.Actor, "request."+string(e.Kind), next, now, details); err != nil {
		return r, nil, err
	}
	if next.KindOrAccess() == api.KindExtension && next.Status == api.StatusApproved {
		ge, err := s.extendGrant(ctx, tx, grant, next, e, n, now)
		if err != nil {
			return r, nil, err
		}
		effects = append(effects, ge...)
	}
	for _, ef := range effects {
		if err := s.mailFor(ctx, tx, ef, next, e.Actor, now); err != nil {
			return r, nil, err
		}
	}
	if r.Status == api.StatusApproved && next.Status != api.StatusApproved && next.KindOrAccess() != api.KindExtension {
		oe, err := s.endExtension(ctx, tx, next.ID, now)
		if err != nil {
			return r, nil, err
		}
		effects = append(effects, oe...)
	}
	return next, effects, nil
}

// decides reports whether an event is a decision of an approver.
func decides(k EventKind) bool {
	return k == EventApprove || k == EventDeny || k == EventExtend || k == EventAcknowledge
}

// extendGrant moves the grant of an approved extension by the time it
// granted (EventExtend on the grant), audited on the grant, and mails the
// requester the grant's new end.
func (s *Service) extendGrant(ctx context.Context, tx *sql.Tx, grant, ext store.Request, e Event, n store.Network, now time.Time) ([]Effect, error) {
	ge := Event{Kind: EventExtend, Actor: e.Actor, Approver: e.Approver, Rule: e.Rule, Duration: ext.Granted,
		Policy: Policy{MaxDuration: n.MaxDuration}}
	next, effects, err := Apply(grant, ge, now)
	if err != nil {
		return nil, err
	}
	if err := store.SaveRequestCAS(ctx, tx, next, grant); err != nil {
		return nil, err
	}
	details := map[string]string{"extension": ext.ID, "added": humantime.Span(ext.Granted),
		"from_expires_at": grant.ExpiresAt.Format(time.RFC3339), "expires_at": next.ExpiresAt.Format(time.RFC3339),
		"duration": humantime.Span(next.Granted)}
	if e.Rule != "" {
		details["rule"] = e.Rule
	}
	if err := s.audit(ctx, tx, e.Actor, "request.extend", next, now, details); err != nil {
		return nil, err
	}
	return effects, s.mailExtended(ctx, tx, next, ext, now)
}

// endExtension ends the pending extension of a grant that ended: it can
// never be granted.
func (s *Service) endExtension(ctx context.Context, tx *sql.Tx, grantID string, now time.Time) ([]Effect, error) {
	ext, err := store.PendingExtension(ctx, tx, grantID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	_, effects, err := s.apply(ctx, tx, ext.ID, Event{Kind: EventTimeout, Actor: actor.System, GrantEnded: true}, now)
	return effects, err
}

func hasMail(effects []Effect) bool {
	for _, e := range effects {
		switch e {
		case EffectMailApproved, EffectMailDenied, EffectMailExpired, EffectMailRevoked, EffectMailPendingExpired,
			EffectMailProgress, EffectMailExtended, EffectMailBreakGlass:
			return true
		}
	}
	return false
}

// eventDetails are the audit details of one transition from r to next.
func eventDetails(r, next store.Request, e Event, now time.Time) map[string]string {
	details := map[string]string{"from": string(r.Status), "to": string(next.Status)}
	switch e.Kind {
	case EventApprove:
		if len(next.Approvals) > 0 {
			details["approvals"] = fmt.Sprintf("%d of %d", len(next.Approvals), max(1, next.RequiredApprovals))
		}
		if next.Status == api.StatusPending {
			a := next.Approvals[len(next.Approvals)-1]
			details["duration"] = humantime.Span(a.Duration)
			break
		}
		details["duration"] = humantime.Span(next.Granted)
		details["duration_seconds"] = strconv.FormatInt(int64(next.Granted/time.Second), 10)
		if !next.ExpiresAt.IsZero() {
			details["expires_at"] = next.ExpiresAt.Format(time.RFC3339)
		}
		if !next.StartsAt.IsZero() {
			details["starts_at"] = next.StartsAt.Format(time.RFC3339)
		}
		if e.Rule != "" {
			details["rule"], details["why"] = e.Rule, e.Why
		}
	case EventExpire:
		details["expires_at"] = r.ExpiresAt.Format(time.RFC3339Nano)
		details["late_ms"] = strconv.FormatInt(now.Sub(r.ExpiresAt).Milliseconds(), 10)
	case EventTimeout:
		switch {
		case e.GrantEnded:
			details["why"] = "its grant ended"
		case !r.StartsAt.IsZero() && !now.Before(r.StartsAt):
			details["why"] = "its start passed undecided"
		default:
			details["why"] = "no decision within the pending time"
		}
	case EventAcknowledge:
		if e.Note != "" {
			details["note"] = e.Note
		}
	}
	if e.Cause != "" {
		details["cause"] = string(e.Cause)
	}
	if next.Note != "" && next.Note != r.Note {
		details["note"] = next.Note
	}
	return details
}

// audit appends the audit row of a request event.
func (s *Service) audit(ctx context.Context, q store.Querier, a actor.Actor, action string, r store.Request, now time.Time, details map[string]string) error {
	return store.InsertAudit(ctx, q, auditEntry(a, action, r, now, details))
}

func auditEntry(a actor.Actor, action string, r store.Request, now time.Time, details map[string]string) store.AuditEntry {
	if details == nil {
		details = map[string]string{}
	}
	details["user"] = r.UserEmail
	details["network"] = r.NetworkName
	if k := r.KindOrAccess(); k != api.KindAccess {
		details["kind"] = string(k)
	}
	if r.KindOrAccess() == api.KindBreakGlass {
		details["break_glass"] = "true" // every row of a break-glass access is flagged
	}
	if r.UserService {
		details["service_user"] = "true"
	}
	return store.AuditEntry{
		At: now, ActorID: a.ID, ActorEmail: a.Email, Action: action, TargetType: "request", TargetID: r.ID,
		NetworkID: r.NetworkID, Source: a.Source, Details: details,
	}
}
