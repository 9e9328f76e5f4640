package outbox

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"time"

	"gatepass.dev/backend/internal/mail"
	"gatepass.dev/backend/internal/store"
	"gatepass.dev/shared/api"
)

// NotConfigured is the reason of an undeliverable message.
const NotConfigured = "SMTP is not configured: set the mail server in the server settings, then retry"

// unsaved is the outcome of an attempt whose record failed, and the rest of
// its claim (messages not attempted), to release once it is recorded.
type unsaved struct {
	m       store.OutboxMessage
	claimID string
	rest    []int64
}

// DeliverDue makes one delivery round: it records the outcomes left from a
// failed record, probes an unreachable SMTP server when that is due, then
// claims, sends and records every message that is due. It returns how many
// were sent.
func (w *Worker) DeliverDue(ctx context.Context) (int, error) {
	w.round.Lock()
	defer w.round.Unlock()
	if err := w.saveUnsaved(ctx); err != nil {
		return 0, err
	}
	cfg, err := w.smtp(ctx)
	if err != nil {
		return 0, err
	}
	if !cfg.Configured() {
		w.probeAt = time.Time{}
		w.setProblem(NotConfigured, false)
		// Keep them all, marked with the reason, in one write.
		n, err := store.MarkMailUndeliverable(ctx, w.db, w.clock.Now(), NotConfigured)
		w.metrics.MailFailures.WithLabelValues("undeliverable").Add(float64(n))
		return 0, err
	}
	w.clearProblem(NotConfigured)
	if err := w.probeIfDue(ctx, cfg); err != nil {
		return 0, err
	}
	sent, err := w.deliverDue(ctx, cfg)
	if err != nil {
		return sent, err
	}
	return sent, w.planProbe(ctx)
}

// saveUnsaved writes the outcomes whose record failed, oldest first, and
// releases the rest of their claims.
func (w *Worker) saveUnsaved(ctx context.Context) error {
	for len(w.unsaved) > 0 {
		u := w.unsaved[0]
		err := w.db.Tx(ctx, func(tx *sql.Tx) error {
			if err := store.RecordMailDelivery(ctx, tx, u.m, u.claimID); err != nil {
				return err
			}
			return store.ReleaseMail(ctx, tx, u.claimID, u.rest)
		})
		if errors.Is(err, store.ErrClaimLost) {
			w.log.Error("outbox: a message's claim was lost before its outcome was saved", "id", u.m.ID, "status", u.m.Status)
		} else if err != nil {
			return err
		}
		w.unsaved = w.unsaved[1:]
	}
	return nil
}

// deliverDue claims due messages a batch at a time, sends and records them.
// When a record fails it stops: the outcome waits in memory (see
// saveUnsaved), so that a crash before it is written leaves only that one
// message sent but not recorded.
func (w *Worker) deliverDue(ctx context.Context, cfg mail.Config) (int, error) {
	sent := 0
	size := w.batch()
	lease := time.Duration(size)*cfg.SendTimeout() + leaseMargin
	for {
		claimID := store.NewID("claim")
		batch, err := store.ClaimMail(ctx, w.db, w.clock.Now(), lease, claimID, size)
		if err != nil {
			return sent, err
		}
		for i, m := range batch {
			if ctx.Err() != nil {
				w.release(ctx, claimID, ids(batch[i:]))
				return sent, ctx.Err()
			}
			done, ok := w.attempt(ctx, cfg, m)
			if !ok {
				// Stopping: whether the message in flight went is unknown,
				// so its claim stays until the lease passes; the others
				// were not tried and are due again at once.
				w.release(ctx, claimID, ids(batch[i+1:]))
				return sent, ctx.Err()
			}
			if done.Status == api.OutboxSent {
				sent++
			}
			err := w.record(ctx, done, claimID)
			if errors.Is(err, store.ErrClaimLost) {
				w.log.Error("outbox: a message's claim was lost while it was sent", "id", m.ID)
			} else if err != nil {
				w.unsaved = append(w.unsaved, unsaved{m: done, claimID: claimID, rest: ids(batch[i+1:])})
				return sent, err
			}
		}
		if len(batch) < size {
			return sent, nil
		}
	}
}

func ids(ms []store.OutboxMessage) []int64 {
	out := make([]int64, len(ms))
	for i, m := range ms {
		out[i] = m.ID
	}
	return out
}

// attempt sends m once and returns it with the outcome; ok is false when
// ctx ended during the send.
func (w *Worker) attempt(ctx context.Context, cfg mail.Config, m store.OutboxMessage) (store.OutboxMessage, bool) {
	err := w.sender.Send(ctx, cfg, mail.Message{To: m.To, Subject: m.Subject, Text: m.Text, HTML: m.HTML,
		ID: MessageID(m)})
	if err != nil && ctx.Err() != nil {
		return m, false
	}
	now := w.clock.Now()
	m.Attempts++
	if err == nil {
		m.Status, m.LastError, m.SentAt, m.NextAttemptAt = api.OutboxSent, "", now, time.Time{}
		w.metrics.MailSent.Inc()
		w.clearProblem("")
		return m, true
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
		w.setProblem(err.Error(), mail.IsUnreachable(err))
	default:
		m.Status, m.NextAttemptAt = api.OutboxPending, now.Add(Backoff(m.Attempts))
		w.metrics.MailFailures.WithLabelValues("temporary").Inc()
		w.setProblem(err.Error(), mail.IsUnreachable(err))
	}
	if mail.IsUnreachable(err) {
		w.lastProbe = now // a failed connect tells as much as a probe
	}
	w.log.Warn("outbox: delivery failed", "id", m.ID, "to", m.To, "attempt", m.Attempts, "status", m.Status, "err", err)
	return m, true
}

// record saves the outcome of an attempt (a write transaction, queued with
// the others).
func (w *Worker) record(ctx context.Context, m store.OutboxMessage, claimID string) error {
	return w.db.Tx(ctx, func(tx *sql.Tx) error { return store.RecordMailDelivery(ctx, tx, m, claimID) })
}

// release gives back the claim on messages that were not attempted. It runs
// as the worker stops, so not on ctx; a failure only delays them to the end
// of the lease.
func (w *Worker) release(ctx context.Context, claimID string, ids []int64) {
	if len(ids) == 0 {
		return
	}
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	err := w.db.Tx(rctx, func(tx *sql.Tx) error { return store.ReleaseMail(rctx, tx, claimID, ids) })
	if err != nil {
		w.log.Warn("outbox: release unsent messages", "err", err)
	}
}

// Backoff is the wait after the n-th failed attempt (n ≥ 1).
func Backoff(n int) time.Duration {
	d := FirstRetry
	for i := 1; i < n && d < MaxBackoff; i++ {
		d *= 2
	}
	return min(d, MaxBackoff)
}

// MessageID is the Message-ID tail of an outbox message: its row and when
// it was queued, the same at every attempt, so that a message sent again
// after a crash between its send and its record is recognisably the same.
func MessageID(m store.OutboxMessage) string {
	return "outbox-" + strconv.FormatInt(m.ID, 10) + "-" + strconv.FormatInt(m.CreatedAt.UnixMilli(), 10)
}
