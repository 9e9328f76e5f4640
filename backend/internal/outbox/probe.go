package outbox

import (
	"context"
	"time"

	"gatepass.dev/backend/internal/mail"
	"gatepass.dev/backend/internal/store"
)

// Problem is why mail cannot be delivered right now.
type Problem struct {
	// Reason is the error of the last attempt or probe, or NotConfigured.
	Reason string
	// Since is when delivery started failing.
	Since time.Time
}

type problem struct {
	Problem
	// probe: the server could not be reached, and probing tells when it
	// can again.
	probe bool
}

// Problem returns why mail cannot be delivered; ok is false while it can.
func (w *Worker) Problem() (p Problem, ok bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.problem == nil {
		return Problem{}, false
	}
	return w.problem.Problem, true
}

func (w *Worker) setProblem(reason string, probe bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	since := w.clock.Now()
	if w.problem != nil {
		since = w.problem.Since
	}
	w.problem = &problem{Problem: Problem{Reason: reason, Since: since}, probe: probe}
}

// clearProblem ends the problem; with a reason, only that one.
func (w *Worker) clearProblem(reason string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.problem != nil && (reason == "" || w.problem.Reason == reason) {
		w.problem = nil
	}
}

func (w *Worker) probing() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.problem != nil && w.problem.probe
}

// probeIfDue probes the SMTP server when mail waits for a retry and the
// server could not be reached (or at start), at most every ProbeInterval.
// When it answers, the whole backlog is made due now.
func (w *Worker) probeIfDue(ctx context.Context, cfg mail.Config) error {
	now := w.clock.Now()
	due := w.probeAtStart || (w.probing() && !now.Before(w.lastProbe.Add(ProbeInterval)))
	if !due || w.prober == nil {
		return nil
	}
	waiting, err := store.MailRetrying(ctx, w.db, now)
	if err != nil {
		return err
	}
	w.probeAtStart = false
	if waiting == 0 {
		return nil
	}
	w.lastProbe = now
	if err := w.prober.Probe(ctx, cfg); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		w.setProblem(err.Error(), mail.IsUnreachable(err))
		w.log.Info("outbox: the SMTP server does not answer yet", "waiting", waiting, "err", err)
		return nil
	}
	w.clearProblem("")
	n, err := store.RetryMailNow(ctx, w.db, now)
	if err != nil {
		return err
	}
	w.log.Info("outbox: the SMTP server answers again: sending the waiting mail now", "messages", n)
	return nil
}

// planProbe sets when the next probe is due: ProbeInterval after the last
// one while the server could not be reached and mail waits for a retry.
func (w *Worker) planProbe(ctx context.Context) error {
	w.probeAt = time.Time{}
	if w.prober == nil || !w.probing() {
		return nil
	}
	waiting, err := store.MailRetrying(ctx, w.db, w.clock.Now())
	if err != nil || waiting == 0 {
		return err
	}
	w.probeAt = w.lastProbe.Add(ProbeInterval)
	return nil
}
