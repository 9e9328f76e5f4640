package access

import (
	"context"
	"database/sql"
	"time"

	"gatepass.dev/backend/internal/actor"
	"gatepass.dev/backend/internal/events"
	"gatepass.dev/backend/internal/store"
)

// ExpiryBatch bounds how many expiries commit in one transaction.
const ExpiryBatch = 250

// ExpireResult reports one sweep.
type ExpireResult struct {
	Expired  int             // grants expired
	TimedOut int             // pending requests expired
	Lateness []time.Duration // per expired grant: commit time − expires_at
}

// ExpireDue expires every approved grant whose expires_at has passed,
// every pending request older than the pending TTL or whose requested
// start has come, and every pending extension whose grant ended, in
// batches of one transaction each; then it tells the users whose
// scheduled grants started since the last sweep.
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
		n, late, err := s.sweep(ctx, due, Event{Kind: EventExpire, Actor: actor.System}, now)
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
	type pass struct {
		due func(now time.Time) ([]store.Request, error)
		e   Event
	}
	passes := []pass{
		{func(now time.Time) ([]store.Request, error) { return store.DueStarts(ctx, s.opt.DB, now, ExpiryBatch) }, Event{}},
		{func(now time.Time) ([]store.Request, error) {
			return store.DueOrphanExtensions(ctx, s.opt.DB, now, ExpiryBatch)
		}, Event{GrantEnded: true}},
	}
	if s.opt.PendingTTL > 0 {
		passes = append(passes, pass{func(now time.Time) ([]store.Request, error) {
			return store.DuePending(ctx, s.opt.DB, now.Add(-s.opt.PendingTTL), ExpiryBatch)
		}, Event{}})
	}
	for _, p := range passes {
		p.e.Kind, p.e.Actor, p.e.Policy = EventTimeout, actor.System, Policy{PendingTTL: s.opt.PendingTTL}
		for {
			now := s.opt.Clock.Now().UTC()
			due, err := p.due(now)
			if err != nil {
				return res, err
			}
			n, _, err := s.sweep(ctx, due, p.e, now)
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
	return res, s.announceStarts(ctx)
}

// announceStarts tells the streams of the users whose scheduled grants
// started since the last sweep: their state turns from scheduled to
// active. (The gateways add the peers on their own timer at each start.)
func (s *Service) announceStarts(ctx context.Context) error {
	now := s.opt.Clock.Now().UTC()
	s.startsMu.Lock()
	from := s.startsSeen
	s.startsSeen = now
	s.startsMu.Unlock()
	if from.IsZero() {
		return nil // the first sweep: the streams start from a snapshot
	}
	users, err := store.StartedBetween(ctx, s.opt.DB, from, now)
	if err != nil || len(users) == 0 {
		return err
	}
	s.opt.Bus.Publish(events.Change{UserIDs: users, Timed: true})
	return nil
}

// sweep applies a timed event to a batch in one transaction, on
// statements prepared once and the rows as DueGrants/DuePending loaded them
// (no reloads): the expiry of a thousand grants in the same second must not
// wait on a thousand round trips. A request that changed meanwhile (revoked
// a moment before) is skipped by the compare-and-set.
func (s *Service) sweep(ctx context.Context, due []store.Request, e Event, now time.Time) (int, []time.Duration, error) {
	if len(due) == 0 {
		return 0, nil, nil
	}
	var users []string
	var effects []Effect
	var done []*store.Request
	kind := e.Kind
	letters := letterCache{}
	// Apply decides each move; a timed event only sets the status and the
	// end time, so the moves are saved with one compare-and-set statement
	// per chunk (EndMany), and their audit rows and emails with multi-row
	// inserts.
	type move struct {
		r, next store.Request
		ef      []Effect
	}
	// Slices are sized once: a mass expiry's allocations are memory the
	// process touches, and first touches are what make a burst slow.
	moves := make([]move, 0, len(due))
	ids := make([]string, 0, len(due))
	for _, r := range due {
		next, ef, err := Apply(r, e, now)
		if err != nil {
			continue // not due or no longer in this state
		}
		// A timed move changes the status and the end time only (held by
		// TestTimedEventsChangeOnlyStatusAndEnd over every legal one), so
		// EndMany saves all of it.
		moves = append(moves, move{r, next, ef})
		ids = append(ids, r.ID)
	}
	if len(moves) == 0 {
		return 0, nil, nil
	}
	from, to := moves[0].r.Status, moves[0].next.Status
	err := s.opt.DB.Tx(ctx, func(tx *sql.Tx) error {
		users, effects, done = make([]string, 0, len(moves)), nil, make([]*store.Request, 0, len(moves))
		moved, err := store.EndMany(ctx, tx, ids, from, to, now)
		if err != nil {
			return err
		}
		audits := make([]store.AuditEntry, 0, len(moves))
		mails := make([]store.OutboxMessage, 0, len(moves))
		for i := range moves {
			m := &moves[i]
			if !moved[m.r.ID] {
				continue // it changed meanwhile (revoked a moment before)
			}
			audits = append(audits, auditEntry(e.Actor, "request."+string(kind), m.next, now, eventDetails(m.r, m.next, e, now)))
			for _, x := range m.ef {
				if mk, msg, ok := letters.letter(s, x, m.next, e.Actor); ok {
					mails = append(mails, store.OutboxMessage{Kind: mk, To: msg.To, Subject: msg.Subject, Text: msg.Text, HTML: msg.HTML, CreatedAt: now})
				}
			}
			users = append(users, m.next.UserID)
			effects = append(effects, m.ef...)
			done = append(done, &m.r)
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
// expiry, pending timeout or scheduled start; the zero time when none is
// scheduled.
func (s *Service) NextDeadline(ctx context.Context) (time.Time, error) {
	next, err := store.NextGrantExpiry(ctx, s.opt.DB)
	if err != nil {
		return time.Time{}, err
	}
	// A pending request is due at its start (also when it has passed
	// while the sweep ran); a scheduled grant's start is announced
	// (announceStarts) after the last span announced.
	s.startsMu.Lock()
	seen := s.startsSeen
	s.startsMu.Unlock()
	pendingStart, err := store.NextPendingStart(ctx, s.opt.DB)
	if err != nil {
		return time.Time{}, err
	}
	grantStart, err := store.NextGrantStart(ctx, s.opt.DB, seen)
	if err != nil {
		return time.Time{}, err
	}
	for _, t := range []time.Time{pendingStart, grantStart} {
		if !t.IsZero() && (next.IsZero() || t.Before(next)) {
			next = t
		}
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
