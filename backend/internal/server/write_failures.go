package server

import (
	"log/slog"
	"sync"
	"time"

	"github.com/jonboulle/clockwork"

	"gatepass.dev/backend/internal/metrics"
)

// writeFailureLogEvery is the most often a failing database is logged:
// under load every request may fail, and one line says as much as many.
const writeFailureLogEvery = 10 * time.Second

// writeFailures counts the writes the database refused for a storage
// reason (gatepass_store_write_failures_total) and logs them: the first at
// once, then at most one line every writeFailureLogEvery with the number
// left unlogged in between.
type writeFailures struct {
	clock   clockwork.Clock
	log     *slog.Logger
	metrics *metrics.Metrics

	mu       sync.Mutex
	logged   time.Time
	unlogged int
}

func (f *writeFailures) failed(reason string, err error) {
	f.metrics.StoreFailures.WithLabelValues(reason).Inc()
	f.mu.Lock()
	defer f.mu.Unlock()
	now := f.clock.Now()
	if !f.logged.IsZero() && now.Sub(f.logged) < writeFailureLogEvery {
		f.unlogged++
		return
	}
	f.log.Error("store: a write failed: the server cannot save changes", "reason", reason, "err", err, "unlogged_failures", f.unlogged)
	f.logged, f.unlogged = now, 0
}
