// Package expiry ends grants on time. The Scheduler sleeps until the next
// deadline (the earliest expires_at of an approved grant, or the moment the
// oldest pending request times out), on an injected clock, and applies the
// timed events through access.Service. It is woken whenever a change may
// have moved the next deadline (an approval, a revocation), and at start it
// first expires everything that became overdue while the server was down,
// recording in the audit log how late each was.
package expiry

import (
	"context"
	"log/slog"
	"strconv"
	"time"

	"github.com/jonboulle/clockwork"

	"gatepass.dev/backend/internal/access"
	"gatepass.dev/backend/internal/actor"
	"gatepass.dev/backend/internal/clockutil"
	"gatepass.dev/backend/internal/events"
	"gatepass.dev/backend/internal/store"
)

// Scheduler runs the timed lifecycle events.
type Scheduler struct {
	svc   *access.Service
	db    *store.DB
	clock clockwork.Clock
	log   *slog.Logger
	wake  chan struct{}
	// Resync bounds how long the scheduler sleeps without looking again.
	Resync time.Duration
}

// New returns a scheduler; it listens on bus to be woken by changes that
// move deadlines.
func New(svc *access.Service, bus *events.Bus, db *store.DB, clock clockwork.Clock, log *slog.Logger) *Scheduler {
	s := &Scheduler{svc: svc, db: db, clock: clock, log: log, wake: make(chan struct{}, 1), Resync: time.Hour}
	bus.OnChange(func(c events.Change) {
		if c.Schedule {
			s.Wake()
		}
	})
	return s
}

// Wake makes the scheduler recompute its next deadline.
func (s *Scheduler) Wake() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// CatchUp expires everything overdue now and records a summary in the audit
// log. The server calls it once before serving.
func (s *Scheduler) CatchUp(ctx context.Context) (access.ExpireResult, error) {
	res, err := s.svc.ExpireDue(ctx)
	if err != nil {
		return res, err
	}
	if res.Expired+res.TimedOut > 0 {
		var worst time.Duration
		for _, l := range res.Lateness {
			worst = max(worst, l)
		}
		s.log.Info("expiry: caught up at start", "grants_expired", res.Expired, "pending_timed_out", res.TimedOut, "max_late", worst)
		err = store.InsertAudit(ctx, s.db, store.AuditEntry{
			At: s.clock.Now().UTC(), ActorEmail: actor.System.Email, Action: "expiry.catch_up", TargetType: "server",
			Details: map[string]string{
				"grants_expired":    strconv.Itoa(res.Expired),
				"pending_timed_out": strconv.Itoa(res.TimedOut),
				"max_late_ms":       strconv.FormatInt(worst.Milliseconds(), 10),
			},
		})
	}
	return res, err
}

// After a sweep that failed (the database refused the write), the
// scheduler waits FirstBackoff, doubling up to MaxBackoff, before it tries
// again — rather than at once, since the deadline it missed is still
// overdue. A change that commits meanwhile (the database writes again)
// still wakes it. The gateways remove expired peers by their own timers
// meanwhile: this only delays the record of the expiry and its email.
const (
	FirstBackoff = time.Second
	MaxBackoff   = 30 * time.Second
)

// Run sleeps until each deadline and applies it, until ctx ends.
func (s *Scheduler) Run(ctx context.Context) {
	var backoff time.Duration
	for {
		_, err := s.svc.ExpireDue(ctx)
		if ctx.Err() != nil {
			return
		}
		now := s.clock.Now()
		deadline := now.Add(s.Resync)
		if err != nil {
			backoff = min(max(2*backoff, FirstBackoff), MaxBackoff)
			s.log.Error("expiry: sweep failed", "err", err, "retry_in", backoff)
			deadline = now.Add(backoff)
		} else if next, err := s.svc.NextDeadline(ctx); err != nil {
			backoff = min(max(2*backoff, FirstBackoff), MaxBackoff)
			s.log.Error("expiry: next deadline", "err", err, "retry_in", backoff)
			deadline = now.Add(backoff)
		} else {
			backoff = 0
			if !next.IsZero() && next.Before(deadline) {
				deadline = next
			}
		}
		timer := clockutil.TimerUntil(s.clock, deadline)
		select {
		case <-ctx.Done():
			timer.Stop()
			return
		case <-s.wake:
		case <-timer.Chan():
		}
		timer.Stop()
	}
}
