// Package statetest holds the tests that every auth.State must pass — the
// memory one of the rules' tests and the database one of the server
// (signin.DBState, on SQLite and on PostgreSQL) — so that the limits mean
// the same wherever the failures are kept.
package statetest

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"gatepass.dev/backend/internal/auth"
)

// New makes an empty State for one test.
type New func(t *testing.T) auth.State

// newClock is a fake clock at a whole second: a State may keep times to
// the millisecond (the database does).
func newClock() *clockwork.FakeClock {
	return clockwork.NewFakeClockAt(time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC))
}

// Run runs every test of a State.
func Run(t *testing.T, newState New) {
	t.Run("Window", func(t *testing.T) { window(t, newState) })
	t.Run("BackoffBound", func(t *testing.T) { backoffBound(t, newState) })
	t.Run("TakeIsAtomic", func(t *testing.T) { takeIsAtomic(t, newState) })
}

func take(t *testing.T, l *auth.Limiter, keys ...auth.Key) (auth.Taken, []time.Duration, bool) {
	t.Helper()
	taken, waits, ok, err := l.Take(context.Background(), keys...)
	if err != nil {
		t.Fatal(err)
	}
	return taken, waits, ok
}

// window: Max failures within Per, then a wait until the oldest leaves the
// window; Undo takes one failure back, Reset all.
func window(t *testing.T, newState New) {
	ctx := context.Background()
	clock := newClock()
	l := auth.NewLimiter(clock, newState(t))
	k := auth.Key{Name: "a", Rule: auth.Window{Max: 3, Per: time.Minute}}
	other := auth.Key{Name: "b", Rule: auth.Window{Max: 3, Per: time.Minute}}
	for i := range 3 {
		if _, _, ok := take(t, l, k); !ok {
			t.Fatalf("attempt %d blocked", i+1)
		}
		clock.Advance(10 * time.Second)
	}
	_, waits, ok := take(t, l, k, other)
	if ok || waits[0] != 30*time.Second || waits[1] != 0 {
		t.Fatalf("4th attempt: ok=%v waits=%v, want blocked 30s on a only", ok, waits)
	}
	if _, _, ok := take(t, l, other); !ok {
		t.Fatal("a blocked attempt counted against b")
	}
	clock.Advance(30 * time.Second)
	taken, _, ok := take(t, l, k)
	if !ok {
		t.Fatal("still blocked after the oldest left the window")
	}
	if _, _, ok := take(t, l, k); ok {
		t.Fatal("three failures in the window let a fourth through")
	}
	if err := l.Undo(ctx, nil, taken, "a"); err != nil {
		t.Fatal(err)
	}
	if _, _, ok := take(t, l, k); !ok {
		t.Fatal("Undo did not take the failure back")
	}
	if err := l.Reset(ctx, nil, "a"); err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		if _, _, ok := take(t, l, k); !ok {
			t.Fatalf("after Reset, attempt %d blocked", i+1)
		}
	}
	clock.Advance(time.Minute)
	if _, _, ok := take(t, l, k); !ok {
		t.Fatal("blocked a window after the last failure")
	}
}

// backoffBound: five failures at once, then waits of 1, 2, 4, 8 and 15
// minutes; a guesser that tries at every chance gets at most 11 failures
// in any hour and 4 per hour once the delay is at its cap. An hour without
// failures starts a new run.
func backoffBound(t *testing.T, newState New) {
	b := auth.Backoff{Free: 5, Base: time.Minute, Cap: 15 * time.Minute, Quiet: time.Hour}
	clock := newClock()
	start := clock.Now()
	l := auth.NewLimiter(clock, newState(t))
	k := auth.Key{Name: "acct", Rule: b}
	var fails []time.Time
	for clock.Now().Sub(start) < 5*time.Hour {
		if _, waits, ok := take(t, l, k); ok {
			fails = append(fails, clock.Now())
		} else if waits[0] > b.Cap {
			t.Fatalf("wait %v above the cap", waits[0])
		}
		clock.Advance(20 * time.Second)
	}
	most := 0
	for i := range fails {
		n := 0
		for _, f := range fails[i:] {
			if f.Sub(fails[i]) < time.Hour {
				n++
			}
		}
		most = max(most, n)
	}
	if most != 11 {
		t.Errorf("most failures in an hour: %d, want 11", most)
	}
	if n := len(fails); n != 11+4*4 {
		t.Errorf("failures in 5 hours: %d, want 27", n)
	}
	clock.Advance(time.Hour)
	for i := range 5 {
		if _, _, ok := take(t, l, k); !ok {
			t.Fatalf("after a quiet hour, attempt %d blocked", i+1)
		}
	}
}

// takeIsAtomic: concurrent attempts cannot all pass a limit before any of
// them is counted.
func takeIsAtomic(t *testing.T, newState New) {
	l := auth.NewLimiter(newClock(), newState(t))
	k := auth.Key{Name: "a", Rule: auth.Window{Max: 5, Per: time.Minute}}
	var mu sync.Mutex
	passed := 0
	var wg sync.WaitGroup
	for range 30 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, _, ok, err := l.Take(context.Background(), k); err != nil {
				t.Error(err)
			} else if ok {
				mu.Lock()
				passed++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if passed != 5 {
		t.Fatalf("%d of 30 concurrent attempts passed a limit of 5", passed)
	}
}
