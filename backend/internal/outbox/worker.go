package outbox

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"time"

	"github.com/jonboulle/clockwork"

	"gatepass.dev/backend/internal/clockutil"
	"gatepass.dev/backend/internal/fault"
	"gatepass.dev/backend/internal/mail"
	"gatepass.dev/backend/internal/metrics"
	"gatepass.dev/backend/internal/store"
	"gatepass.dev/shared/api"
)

// Retry policy: the n-th failed attempt waits FirstRetry·2^(n-1), at most
// MaxBackoff; after MaxAttempts the message is marked failed.
const (
	FirstRetry  = 30 * time.Second
	MaxBackoff  = time.Hour
	MaxAttempts = 30 // about a day of retries
	batchSize   = 100
)

// Sender delivers one message; *mail.Sender is the real one.
type Sender interface {
	Send(ctx context.Context, cfg mail.Config, m mail.Message) error
}

// Worker delivers due messages.
type Worker struct {
	db      *store.DB
	clock   clockwork.Clock
	sender  Sender
	smtp    func(context.Context) (mail.Config, error)
	metrics *metrics.Metrics
	log     *slog.Logger
	wake    chan struct{}
}

// NewWorker returns a worker; smtp returns the current SMTP settings.
func NewWorker(db *store.DB, clock clockwork.Clock, sender Sender, smtp func(context.Context) (mail.Config, error), m *metrics.Metrics, log *slog.Logger) *Worker {
	return &Worker{db: db, clock: clock, sender: sender, smtp: smtp, metrics: m, log: log, wake: make(chan struct{}, 1)}
}

// Wake makes the worker look for due messages now.
func (w *Worker) Wake() {
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// Run delivers messages until ctx ends: at once, whenever woken, and when
// the next retry is due.
func (w *Worker) Run(ctx context.Context) {
	for {
		if _, err := w.DeliverDue(ctx); err != nil && ctx.Err() == nil {
			w.log.Error("outbox: delivery round failed", "err", err)
		}
		deadline := w.clock.Now().Add(time.Hour)
		if next, err := store.NextMailAttempt(ctx, w.db); err == nil && !next.IsZero() && next.Before(deadline) {
			deadline = next
		}
		timer := clockutil.TimerUntil(w.clock, deadline)
		select {
		case <-ctx.Done():
			timer.Stop()
			return
		case <-w.wake:
		case <-timer.Chan():
		}
		timer.Stop()
	}
}

// DeliverDue attempts every message that is due and returns how many were
// sent.
func (w *Worker) DeliverDue(ctx context.Context) (int, error) {
	cfg, err := w.smtp(ctx)
	if err != nil {
		return 0, err
	}
	if !cfg.Configured() {
		// Keep them all, marked with the reason, in one write.
		n, err := store.MarkMailUndeliverable(ctx, w.db, w.clock.Now(), NotConfigured)
		w.metrics.MailFailures.WithLabelValues("undeliverable").Add(float64(n))
		return 0, err
	}
	sent := 0
	for {
		due, err := store.DueMail(ctx, w.db, w.clock.Now(), batchSize)
		if err != nil {
			return sent, err
		}
		for _, m := range due {
			if ctx.Err() != nil {
				return sent, ctx.Err()
			}
			ok, err := w.deliver(ctx, cfg, m)
			if err != nil {
				return sent, err
			}
			if ok {
				sent++
			}
		}
		if len(due) < batchSize {
			return sent, nil
		}
	}
}

// deliver makes one attempt and records its outcome.
func (w *Worker) deliver(ctx context.Context, cfg mail.Config, m store.OutboxMessage) (bool, error) {
	if !cfg.Configured() {
		m.Status = api.OutboxUndeliverable
		m.LastError = NotConfigured
		m.NextAttemptAt = time.Time{}
		w.metrics.MailFailures.WithLabelValues("undeliverable").Inc()
		return false, w.save(ctx, m)
	}
	err := w.sender.Send(ctx, cfg, mail.Message{To: m.To, Subject: m.Subject, Text: m.Text, HTML: m.HTML})
	now := w.clock.Now()
	m.Attempts++
	if err == nil {
		m.Status, m.LastError, m.SentAt, m.NextAttemptAt = api.OutboxSent, "", now, time.Time{}
		w.metrics.MailSent.Inc()
		return true, w.save(ctx, m)
	}
	if ctx.Err() != nil {
		return false, ctx.Err()
	}
	m.LastError = err.Error()
	switch {
	case mail.IsPermanent(err):
		m.Status, m.NextAttemptAt = api.OutboxFailed, time.Time{}
		w.metrics.MailFailures.WithLabelValues("permanent").Inc()
	case m.Attempts >= MaxAttempts:
		m.Status, m.NextAttemptAt = api.OutboxFailed, time.Time{}
		m.LastError = fmt.Sprintf("gave up after %d attempts: %s", m.Attempts, m.LastError)
		w.metrics.MailFailures.WithLabelValues("temporary").Inc()
	default:
		m.Status, m.NextAttemptAt = api.OutboxPending, now.Add(Backoff(m.Attempts))
		w.metrics.MailFailures.WithLabelValues("temporary").Inc()
	}
	w.log.Warn("outbox: delivery failed", "id", m.ID, "to", m.To, "attempt", m.Attempts, "status", m.Status, "err", err)
	return false, w.save(ctx, m)
}

// NotConfigured is the reason of an undeliverable message.
const NotConfigured = "SMTP is not configured: set the mail server in the server settings, then retry"

// save records a delivery outcome (a write transaction, queued with the others).
func (w *Worker) save(ctx context.Context, m store.OutboxMessage) error {
	return w.db.Tx(ctx, func(tx *sql.Tx) error { return store.UpdateMailDelivery(ctx, tx, m) })
}

// Backoff is the wait after the n-th failed attempt (n ≥ 1).
func Backoff(n int) time.Duration {
	d := FirstRetry
	for i := 1; i < n && d < MaxBackoff; i++ {
		d *= 2
	}
	return min(d, MaxBackoff)
}

// ErrNotRetryable is returned when retrying a message that is pending or sent.
var ErrNotRetryable = fault.Sentinel(fault.Conflict, "only failed or undeliverable messages can be retried")

// Retry puts a failed or undeliverable message back in the queue, due now.
func Retry(ctx context.Context, q store.Querier, id int64, now time.Time) (store.OutboxMessage, error) {
	m, err := store.MailByID(ctx, q, id)
	if err != nil {
		return m, err
	}
	if m.Status != api.OutboxFailed && m.Status != api.OutboxUndeliverable {
		return m, ErrNotRetryable
	}
	m.Status, m.Attempts, m.NextAttemptAt = api.OutboxPending, 0, now
	return m, store.UpdateMailDelivery(ctx, q, m)
}
