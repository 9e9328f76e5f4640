package auth

import (
	"context"
	"database/sql"
	"time"

	"github.com/jonboulle/clockwork"
)

// Rule decides from the recorded failures of one key whether a further
// attempt has to wait. Rules are pure: the same times give the same answer,
// so a State kept elsewhere (a database) can apply them too.
type Rule interface {
	// Wait is how long an attempt at now has to wait given the key's
	// failures (oldest first); zero lets it through.
	Wait(fails []time.Time, now time.Time) time.Duration
	// Retain is how many of the newest failures the rule reads, and how
	// long after the newest one they still matter.
	Retain() (n int, ttl time.Duration)
}

// Window allows at most Max failures within Per (a sliding window); the
// next attempt waits until the oldest of them leaves the window.
type Window struct {
	Max int
	Per time.Duration
}

// Wait implements Rule.
func (w Window) Wait(fails []time.Time, now time.Time) time.Duration {
	if len(fails) < w.Max {
		return 0
	}
	return max(0, fails[len(fails)-w.Max].Add(w.Per).Sub(now))
}

// Retain implements Rule.
func (w Window) Retain() (int, time.Duration) { return w.Max, w.Per }

// Backoff lets the first Free failures of a run through at once; after
// each further failure the next attempt waits Base, doubled per failure up
// to Cap, counted from that failure. A run ends after Quiet without
// failures. It bounds the failures in any Quiet period: Free at once, then
// one per delay.
type Backoff struct {
	Free  int
	Base  time.Duration
	Cap   time.Duration
	Quiet time.Duration
}

// backoffRetain bounds the failures a Backoff reads: far past the count at
// which the delay reaches any sensible Cap.
const backoffRetain = 64

// Wait implements Rule.
func (b Backoff) Wait(fails []time.Time, now time.Time) time.Duration {
	n := b.run(fails, now)
	if n < b.Free {
		return 0
	}
	return max(0, fails[len(fails)-1].Add(b.Delay(n)).Sub(now))
}

// run counts the failures of the current run: back from the newest, while
// the gaps are shorter than Quiet.
func (b Backoff) run(fails []time.Time, now time.Time) int {
	if len(fails) == 0 || now.Sub(fails[len(fails)-1]) >= b.Quiet {
		return 0
	}
	n := 1
	for i := len(fails) - 1; i > 0 && fails[i].Sub(fails[i-1]) < b.Quiet; i-- {
		n++
	}
	return n
}

// Delay is the wait after the n-th failure of a run (n ≥ Free).
func (b Backoff) Delay(n int) time.Duration {
	d := b.Base
	for i := b.Free; i < n && d < b.Cap; i++ {
		d *= 2
	}
	return min(d, b.Cap)
}

// Retain implements Rule.
func (b Backoff) Retain() (int, time.Duration) { return backoffRetain, b.Quiet }

// Key is one counter of failures (e.g. an account, a source address) and
// the rule that limits it.
type Key struct {
	Name string
	Rule Rule
}

// State keeps the failures of every key: the limiter's only state, so that
// it can live in the database (shared by several server replicas, kept
// across restarts) without changing the rules. Its methods are atomic;
// Take in particular checks and records all its keys at once, so that
// concurrent attempts cannot all pass a limit before any of them has been
// counted.
type State interface {
	// Take asks each key's rule for the wait of an attempt at now. If
	// none has to wait, it records a failure at now for every key (the
	// attempt counts as failed until Undo) and returns nil; otherwise it
	// records nothing and returns the wait of each key (zero for those
	// that let it through).
	Take(ctx context.Context, now time.Time, keys []Key) ([]time.Duration, error)
	// Undo removes the failure recorded at at by Take from each key,
	// inside tx when it is not nil (the transaction of the sign-in that
	// succeeded), so that it commits with it.
	Undo(ctx context.Context, tx *sql.Tx, at time.Time, keys []string) error
	// Reset forgets every failure of each key, inside tx when it is not
	// nil.
	Reset(ctx context.Context, tx *sql.Tx, keys []string) error
}

// Limiter limits failed attempts per key by rules, on an injected clock.
type Limiter struct {
	clock clockwork.Clock
	state State
}

// NewLimiter returns a limiter keeping its failures in state (in memory
// when nil).
func NewLimiter(clock clockwork.Clock, state State) *Limiter {
	if state == nil {
		state = NewMemoryState()
	}
	return &Limiter{clock: clock, state: state}
}

// Taken is an attempt let through by Take: counted as a failure of each of
// its keys until Undo.
type Taken struct{ At time.Time }

// Take lets an attempt through when no key has to wait, counting it as a
// failure of every key right away. Otherwise ok is false and waits holds
// each key's wait. err is the state's failure (the database's).
func (l *Limiter) Take(ctx context.Context, keys ...Key) (t Taken, waits []time.Duration, ok bool, err error) {
	now := l.clock.Now()
	waits, err = l.state.Take(ctx, now, keys)
	if err != nil {
		return Taken{}, nil, false, err
	}
	if waits != nil {
		return Taken{}, waits, false, nil
	}
	return Taken{At: now}, nil, true, nil
}

// Undo takes back the failure that t counted for the named keys (the
// attempt succeeded, or must not count against them), inside tx when it
// is not nil.
func (l *Limiter) Undo(ctx context.Context, tx *sql.Tx, t Taken, names ...string) error {
	return l.state.Undo(ctx, tx, t.At, names)
}

// Reset forgets the failures of the named keys, inside tx when it is not
// nil.
func (l *Limiter) Reset(ctx context.Context, tx *sql.Tx, names ...string) error {
	return l.state.Reset(ctx, tx, names)
}
