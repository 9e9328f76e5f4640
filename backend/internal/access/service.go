package access

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
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

// Create files a new request of actor on a network.
func (s *Service) Create(ctx context.Context, by actor.Actor, networkID string, in api.NewRequest) (store.Request, error) {
	now := s.opt.Clock.Now().UTC()
	var req store.Request
	err := s.opt.DB.Tx(ctx, func(tx *sql.Tx) error {
		n, err := store.NetworkByID(ctx, tx, networkID)
		if errors.Is(err, store.ErrNotFound) {
			return fault.Detail(ErrNotFound, "no network %q", networkID)
		}
		if err != nil {
			return err
		}
		member, err := store.IsMember(ctx, tx, n, by.ID)
		if err != nil {
			return err
		}
		if !member {
			return fault.Detail(ErrForbidden, "you are not a member of network %s", n.Name)
		}
		if !n.JITEnabled {
			return fault.Detail(ErrInvalidTransition, "network %s does not need a request: you have standing access", n.Name)
		}
		var wished int64
		if in.DurationSeconds != nil {
			if wished = *in.DurationSeconds; wished == 0 {
				return fault.Field("duration_seconds", "must be positive (leave it out for no wish)")
			}
		}
		v, err := ValidateNewRequest(in.Reason, wished, n.MaxDuration)
		if err != nil {
			return err
		}
		if err := requestRate(ctx, tx, by.ID, now); err != nil {
			return err
		}
		req = store.Request{
			ID: store.NewID("req"), NetworkID: n.ID, UserID: by.ID, Status: api.StatusPending,
			Reason: v.Reason, Wished: v.Wished, RequestedAt: now,
		}
		if err := store.InsertRequest(ctx, tx, req); err != nil {
			return err
		}
		if req, err = store.RequestByID(ctx, tx, req.ID); err != nil {
			return err
		}
		details := map[string]string{"reason": req.Reason}
		if v.Wished > 0 {
			details["wished"] = humantime.Span(v.Wished)
		}
		if err := s.audit(ctx, tx, by, "request.create", req, now, details); err != nil {
			return err
		}
		return s.mailAdmins(ctx, tx, req, now)
	})
	if err != nil {
		return store.Request{}, err
	}
	s.opt.Metrics.Requests.Inc()
	c := changeOf([]string{req.UserID}, req.NetworkID, []Effect{EffectReschedule})
	c.Mail = true
	s.opt.Bus.Publish(c)
	return req, nil
}

// Do applies event e to request id on behalf of e.Actor.
func (s *Service) Do(ctx context.Context, id string, e Event) (store.Request, error) {
	now := s.opt.Clock.Now().UTC()
	var next store.Request
	var effects []Effect
	var settle func()
	err := s.opt.DB.Tx(ctx, func(tx *sql.Tx) error {
		settleOnce(&settle) // a transaction run again: the peers it prepared are read back
		var err error
		next, effects, err = s.apply(ctx, tx, id, e, now)
		if err == nil && next.Status == api.StatusApproved && s.opt.Prepare != nil {
			settle, err = s.opt.Prepare(ctx, tx, next.NetworkID, now)
		}
		return err
	})
	if settle != nil {
		settle()
	}
	if err != nil {
		return store.Request{}, err
	}
	s.opt.Metrics.Transitions.WithLabelValues(string(e.Kind)).Inc()
	if e.Kind == EventApprove {
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

// apply is one transition inside tx: load, Apply, compare-and-set, audit,
// outbox.
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
	next, effects, err := Apply(r, e, now)
	if err != nil {
		return r, nil, err
	}
	if e.Kind == EventApprove {
		if err := admissionOnApproval(ctx, tx, r, now); err != nil {
			return r, nil, err
		}
	}
	if err := store.UpdateRequestCAS(ctx, tx, next, r.Status); err != nil {
		return r, nil, err
	}

	// Reload for the display fields of the decider and ender.
	if next, err = store.RequestByID(ctx, tx, id); err != nil {
		return r, nil, err
	}
	details := eventDetails(r, next, e.Kind, now)
	if e.Cause != "" {
		details["cause"] = string(e.Cause)
	}
	if e.Kind == EventCancel {
		// Withdrawn at once: the admins' email, if still held back, goes too.
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
	for _, ef := range effects {
		if err := s.mailFor(ctx, tx, ef, next, e.Actor, now); err != nil {
			return r, nil, err
		}
	}
	return next, effects, nil
}

func hasMail(effects []Effect) bool {
	for _, e := range effects {
		switch e {
		case EffectMailApproved, EffectMailDenied, EffectMailExpired, EffectMailRevoked, EffectMailPendingExpired:
			return true
		}
	}
	return false
}

// eventDetails are the audit details of one transition from r to next.
func eventDetails(r, next store.Request, kind EventKind, now time.Time) map[string]string {
	details := map[string]string{"from": string(r.Status), "to": string(next.Status)}
	switch kind {
	case EventApprove:
		details["duration"] = humantime.Span(next.Granted)
		details["duration_seconds"] = strconv.FormatInt(int64(next.Granted/time.Second), 10)
		details["expires_at"] = next.ExpiresAt.Format(time.RFC3339)
	case EventExpire:
		details["expires_at"] = r.ExpiresAt.Format(time.RFC3339Nano)
		details["late_ms"] = strconv.FormatInt(now.Sub(r.ExpiresAt).Milliseconds(), 10)
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
	return store.AuditEntry{
		At: now, ActorID: a.ID, ActorEmail: a.Email, Action: action, TargetType: "request", TargetID: r.ID,
		NetworkID: r.NetworkID, Source: a.Source, Details: details,
	}
}

// ExpiryBatch bounds how many expiries commit in one transaction.
const ExpiryBatch = 250

// ExpireResult reports one sweep.
type ExpireResult struct {
	Expired  int             // grants expired
	TimedOut int             // pending requests expired
	Lateness []time.Duration // per expired grant: commit time − expires_at
}

// ExpireDue expires every approved grant whose expires_at has passed and
// every pending request older than the pending TTL, in batches of one
// transaction each.
func (s *Service) ExpireDue(ctx context.Context) (ExpireResult, error) {
	var res ExpireResult
	// The outbox worker is woken once, after the whole sweep: woken after
	// each batch it would take the write lock between them and make the
	// later grants of a mass expiry wait on it.
	mailed := false
	defer func() {
		if mailed {
			s.opt.Bus.Publish(events.Change{Mail: true, Timed: true})
		}
	}()
	for {
		now := s.opt.Clock.Now().UTC()
		due, err := store.DueGrants(ctx, s.opt.DB, now, ExpiryBatch)
		if err != nil {
			return res, err
		}
		n, late, err := s.sweep(ctx, due, EventExpire, now)
		mailed = mailed || n > 0
		res.Expired += n
		res.Lateness = append(res.Lateness, late...)
		if err != nil {
			return res, err
		}
		if len(due) < ExpiryBatch {
			break
		}
	}
	if s.opt.PendingTTL > 0 {
		for {
			now := s.opt.Clock.Now().UTC()
			due, err := store.DuePending(ctx, s.opt.DB, now.Add(-s.opt.PendingTTL), ExpiryBatch)
			if err != nil {
				return res, err
			}
			n, _, err := s.sweep(ctx, due, EventTimeout, now)
			mailed = mailed || n > 0
			res.TimedOut += n
			if err != nil {
				return res, err
			}
			if len(due) < ExpiryBatch {
				break
			}
		}
	}
	return res, nil
}

// sweep applies a timed event to a batch in one transaction, on
// statements prepared once and the rows as DueGrants/DuePending loaded them
// (no reloads): the expiry of a thousand grants in the same second must not
// wait on a thousand round trips. A request that changed meanwhile (revoked
// a moment before) is skipped by the compare-and-set.
func (s *Service) sweep(ctx context.Context, due []store.Request, kind EventKind, now time.Time) (int, []time.Duration, error) {
	if len(due) == 0 {
		return 0, nil, nil
	}
	var users []string
	var effects []Effect
	var done []store.Request
	e := Event{Kind: kind, Actor: actor.System, Policy: Policy{PendingTTL: s.opt.PendingTTL}}
	letters := letterCache{}
	// Apply decides each move; a timed event only sets the status and the
	// end time, so the moves are saved with one compare-and-set statement
	// per chunk (EndMany), and their audit rows and emails with multi-row
	// inserts.
	type move struct {
		r, next store.Request
		ef      []Effect
	}
	var moves []move
	var ids []string
	for _, r := range due {
		next, ef, err := Apply(r, e, now)
		if err != nil {
			continue // not due or no longer in this state
		}
		same := r
		same.Status, same.EndedAt = next.Status, next.EndedAt
		if same != next {
			return 0, nil, fmt.Errorf("sweep: %s changes more than the status and end time", kind)
		}
		moves = append(moves, move{r, next, ef})
		ids = append(ids, r.ID)
	}
	if len(moves) == 0 {
		return 0, nil, nil
	}
	from, to := moves[0].r.Status, moves[0].next.Status
	err := s.opt.DB.Tx(ctx, func(tx *sql.Tx) error {
		users, effects, done = nil, nil, nil
		moved, err := store.EndMany(ctx, tx, ids, from, to, now)
		if err != nil {
			return err
		}
		var audits []store.AuditEntry
		var mails []store.OutboxMessage
		for _, m := range moves {
			if !moved[m.r.ID] {
				continue // it changed meanwhile (revoked a moment before)
			}
			audits = append(audits, auditEntry(e.Actor, "request."+string(kind), m.next, now, eventDetails(m.r, m.next, kind, now)))
			for _, x := range m.ef {
				if mk, msg, ok := letters.letter(s, x, m.next, e.Actor); ok {
					mails = append(mails, store.OutboxMessage{Kind: mk, To: msg.To, Subject: msg.Subject, Text: msg.Text, HTML: msg.HTML, CreatedAt: now})
				}
			}
			users = append(users, m.next.UserID)
			effects = append(effects, m.ef...)
			done = append(done, m.r)
		}
		if err := store.InsertAuditMany(ctx, tx, audits); err != nil {
			return err
		}
		return store.EnqueueMailMany(ctx, tx, mails)
	})
	if err != nil {
		return 0, nil, err
	}
	committed := s.opt.Clock.Now()
	var late []time.Duration
	for _, r := range done {
		s.opt.Metrics.Transitions.WithLabelValues(string(kind)).Inc()
		if kind == EventExpire {
			l := committed.Sub(r.ExpiresAt)
			late = append(late, l)
			s.opt.Metrics.Expiries.Inc()
			s.opt.Metrics.ExpiryLateness.Observe(l.Seconds())
		}
	}
	if len(done) > 0 {
		c := changeOf(users, "", dedupe(effects))
		c.Timed, c.Mail = true, false // the mail is announced once the sweep is over (ExpireDue)
		s.opt.Bus.Publish(c)
	}
	return len(done), late, nil
}

func dedupe(effects []Effect) []Effect {
	seen := map[Effect]bool{}
	var out []Effect
	for _, e := range effects {
		if !seen[e] {
			seen[e] = true
			out = append(out, e)
		}
	}
	return out
}

// NextDeadline returns when the next timed event is due: the earliest grant
// expiry or pending timeout; the zero time when none is scheduled.
func (s *Service) NextDeadline(ctx context.Context) (time.Time, error) {
	next, err := store.NextGrantExpiry(ctx, s.opt.DB)
	if err != nil {
		return time.Time{}, err
	}
	if s.opt.PendingTTL > 0 {
		oldest, err := store.OldestPending(ctx, s.opt.DB)
		if err != nil {
			return time.Time{}, err
		}
		if !oldest.IsZero() {
			t := oldest.Add(s.opt.PendingTTL)
			if next.IsZero() || t.Before(next) {
				next = t
			}
		}
	}
	return next, nil
}
