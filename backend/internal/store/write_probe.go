package store

import (
	"context"
	"database/sql"
	"sync"
	"time"

	"github.com/jonboulle/clockwork"

	"gatepass.dev/backend/internal/fault"
)

// WriteProbe tells whether the database accepts writes, for the health
// check. Its probe is a real committed write through DB.Tx — an UPSERT of
// the one row of write_probe — so it takes the write lock (BEGIN
// IMMEDIATE, queued behind this process's writers), appends to the WAL and
// syncs it: a held lock, a read-only file or a failing disk all fail it. A
// BEGIN + write + ROLLBACK would not do: a rollback never reaches the disk.
//
// A full disk fails a commit only once the WAL must grow, and a commit
// that fits in the WAL's space already allocated still succeeds; so the
// probe also counts as failed when any write failed for a storage reason
// since the previous probe.
//
// One probe at a time, and its answer is kept for TTL (one second), so
// that health checks cost at most one small write a second. A probe that
// has not finished within Wait (it may be queued behind the lock) counts as
// failed; it goes on in the background and the next check takes its result.
type WriteProbe struct {
	DB    *DB
	Clock clockwork.Clock
	TTL   time.Duration // default 1 s
	Wait  time.Duration // default 2 s

	mu       sync.Mutex
	at       time.Time // when the last probe finished
	err      error     // its result
	failures int64     // DB.WriteFailures when it finished
	running  chan struct{}
}

// ErrProbeTimeout is the result of a probe that took longer than Wait.
var ErrProbeTimeout = fault.Sentinel(fault.Unavailable, "the write probe did not finish in time")

// Check returns nil when the database accepts writes, else why not.
func (p *WriteProbe) Check(ctx context.Context) error {
	p.mu.Lock()
	if p.running == nil && (p.at.IsZero() || p.Clock.Since(p.at) >= p.ttl()) {
		p.running = make(chan struct{})
		go p.probe(p.running)
	}
	running, last := p.running, p.err
	p.mu.Unlock()
	if running == nil {
		return last
	}
	// A bound on waiting for I/O, in real time like every I/O timeout.
	ctx, cancel := context.WithTimeout(ctx, p.wait())
	defer cancel()
	select {
	case <-running:
	case <-ctx.Done():
		return ErrProbeTimeout
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.err
}

func (p *WriteProbe) probe(done chan struct{}) {
	p.mu.Lock()
	before, first := p.failures, p.at.IsZero()
	p.mu.Unlock()
	now := p.Clock.Now()
	// Not the caller's context: a health check that gives up must not
	// cancel the probe other checks wait for.
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	failuresAtStart := p.DB.WriteFailures()
	err := p.DB.Tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO write_probe (id, at) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET at = excluded.at`, now.UnixMilli())
		return err
	})
	if err == nil && !first && failuresAtStart > before {
		err = fault.Wrap(fault.Unavailable, nil, "%d writes failed since the last probe", failuresAtStart-before)
	}
	p.mu.Lock()
	p.at, p.err, p.failures, p.running = p.Clock.Now(), err, p.DB.WriteFailures(), nil
	p.mu.Unlock()
	close(done)
}

func (p *WriteProbe) ttl() time.Duration {
	if p.TTL > 0 {
		return p.TTL
	}
	return time.Second
}

func (p *WriteProbe) wait() time.Duration {
	if p.Wait > 0 {
		return p.Wait
	}
	return 2 * time.Second
}
