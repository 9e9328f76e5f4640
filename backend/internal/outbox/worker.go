package outbox

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/jonboulle/clockwork"

	"gatepass.dev/backend/internal/clockutil"
	"gatepass.dev/backend/internal/mail"
	"gatepass.dev/backend/internal/metrics"
	"gatepass.dev/backend/internal/store"
)

// Retry policy: the n-th failed attempt waits FirstRetry·2^(n-1), at most
// MaxBackoff; after MaxAttempts the message is marked failed.
const (
	FirstRetry  = 30 * time.Second
	MaxBackoff  = time.Hour
	MaxAttempts = 30 // about a day of retries
)

// While mail waits because the SMTP server cannot be reached, the server
// is probed every ProbeInterval.
const ProbeInterval = 5 * time.Second

// After a round that failed (the database refused a write), the worker
// waits StoreFirstBackoff, doubling up to StoreMaxBackoff.
const (
	StoreFirstBackoff = time.Second
	StoreMaxBackoff   = 30 * time.Second
)

const (
	// batchSize is how many messages one write claims on SQLite (one
	// process); on PostgreSQL a replica claims one at a time (batch), so
	// that a replica that dies leaves at most the message in flight to wait
	// for its lease, and the others are free for the other replicas.
	batchSize = 20
	// leaseMargin is added to the batch's worst-case sending time: the
	// time to record the outcome, and the skew between replicas' clocks.
	leaseMargin = 15 * time.Second
)

// batch is how many messages one claim takes.
func (w *Worker) batch() int {
	if w.db.Dialect() == store.Postgres {
		return 1
	}
	return batchSize
}

// Sender delivers one message; *mail.Sender is the real one.
type Sender interface {
	Send(ctx context.Context, cfg mail.Config, m mail.Message) error
}

// Prober tells whether the SMTP server answers without sending anything;
// *mail.Sender is one. A Sender that is not a Prober leaves waiting mail to
// its back-off.
type Prober interface {
	Probe(ctx context.Context, cfg mail.Config) error
}

// Worker delivers due messages.
type Worker struct {
	db      *store.DB
	clock   clockwork.Clock
	sender  Sender
	prober  Prober // nil when the sender cannot probe
	smtp    func(context.Context) (mail.Config, error)
	metrics *metrics.Metrics
	log     *slog.Logger
	wake    chan struct{}

	// round is held for a delivery round; it guards the fields below.
	round        sync.Mutex
	unsaved      []unsaved // outcomes whose record failed, to write first
	probeAtStart bool      // probe once before the first round
	lastProbe    time.Time // last probe, or failure to connect
	probeAt      time.Time // when the next probe is due; zero: none

	mu      sync.Mutex // guards problem
	problem *problem

	// Resync bounds how long the worker waits without looking for due
	// messages (default an hour): with several replicas, shorter, for a
	// change whose notification was lost with the replica that made it.
	Resync time.Duration
}

// NewWorker returns a worker; smtp returns the current SMTP settings.
func NewWorker(db *store.DB, clock clockwork.Clock, sender Sender, smtp func(context.Context) (mail.Config, error), m *metrics.Metrics, log *slog.Logger) *Worker {
	w := &Worker{db: db, clock: clock, sender: sender, smtp: smtp, metrics: m, log: log, wake: make(chan struct{}, 1), probeAtStart: true,
		Resync: time.Hour}
	w.prober, _ = sender.(Prober)
	return w
}

// Wake makes the worker look for due messages now (unless it is backing
// off after a failing database).
func (w *Worker) Wake() {
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// Run delivers messages until ctx ends: at once, whenever woken, when the
// next retry is due, and when the next probe of an unreachable SMTP server
// is due. After a failed round it backs off, growing, and ignores Wake.
func (w *Worker) Run(ctx context.Context) {
	var backoff time.Duration
	for {
		_, err := w.DeliverDue(ctx)
		if ctx.Err() != nil {
			return
		}
		var deadline time.Time
		if err == nil {
			deadline, err = w.nextRound(ctx)
		}
		wake := w.wake
		if err != nil {
			backoff = min(max(2*backoff, StoreFirstBackoff), StoreMaxBackoff)
			w.log.Error("outbox: delivery round failed", "err", err, "retry_in", backoff)
			deadline, wake = w.clock.Now().Add(backoff), nil
		} else {
			backoff = 0
		}
		timer := clockutil.TimerUntil(w.clock, deadline)
		select {
		case <-ctx.Done():
			timer.Stop()
			return
		case <-wake:
		case <-timer.Chan():
		}
		timer.Stop()
	}
}

// nextRound is when the next round is due: the next message's attempt, the
// next probe, or after Resync at the latest.
func (w *Worker) nextRound(ctx context.Context) (time.Time, error) {
	deadline := w.clock.Now().Add(w.Resync)
	next, err := store.NextMailAttempt(ctx, w.db)
	if err != nil {
		return deadline, err
	}
	if !next.IsZero() && next.Before(deadline) {
		deadline = next
	}
	w.round.Lock()
	probeAt := w.probeAt
	w.round.Unlock()
	if !probeAt.IsZero() && probeAt.Before(deadline) {
		deadline = probeAt
	}
	return deadline, nil
}
