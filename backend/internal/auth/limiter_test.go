package auth

import (
	"sync"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
)

// TestLimiterWindow: Max failures within Per, then a wait until the oldest
// leaves the window; Undo takes one failure back, Reset all.
func TestLimiterWindow(t *testing.T) {
	clock := clockwork.NewFakeClock()
	l := NewLimiter(clock, nil)
	k := Key{Name: "a", Rule: Window{Max: 3, Per: time.Minute}}
	other := Key{Name: "b", Rule: Window{Max: 3, Per: time.Minute}}
	for i := range 3 {
		if _, _, ok := l.Take(k); !ok {
			t.Fatalf("attempt %d blocked", i+1)
		}
		clock.Advance(10 * time.Second)
	}
	_, waits, ok := l.Take(k, other)
	if ok || waits[0] != 30*time.Second || waits[1] != 0 {
		t.Fatalf("4th attempt: ok=%v waits=%v, want blocked 30s on a only", ok, waits)
	}
	if _, _, ok := l.Take(other); !ok {
		t.Fatal("a blocked attempt counted against b")
	}
	clock.Advance(30 * time.Second)
	taken, _, ok := l.Take(k)
	if !ok {
		t.Fatal("still blocked after the oldest left the window")
	}
	if _, _, ok := l.Take(k); ok {
		t.Fatal("three failures in the window let a fourth through")
	}
	l.Undo(taken, "a")
	if _, _, ok := l.Take(k); !ok {
		t.Fatal("Undo did not take the failure back")
	}
	l.Reset("a", "b")
	if n := l.state.(*MemoryState).Len(); n != 0 {
		t.Fatalf("keys after Reset: %d", n)
	}
}

// TestBackoffBound: five failures at once, then waits of 1, 2, 4, 8 and 15
// minutes; a guesser that tries at every chance gets at most 11 failures in
// any hour and 4 per hour once the delay is at its cap. An hour without
// failures starts a new run.
func TestBackoffBound(t *testing.T) {
	b := Backoff{Free: 5, Base: time.Minute, Cap: 15 * time.Minute, Quiet: time.Hour}
	for n, want := range map[int]time.Duration{5: time.Minute, 6: 2 * time.Minute, 7: 4 * time.Minute, 8: 8 * time.Minute, 9: 15 * time.Minute, 40: 15 * time.Minute} {
		if got := b.Delay(n); got != want {
			t.Errorf("Delay(%d) = %v, want %v", n, got, want)
		}
	}
	clock := clockwork.NewFakeClock()
	start := clock.Now()
	l := NewLimiter(clock, nil)
	k := Key{Name: "acct", Rule: b}
	var fails []time.Time
	for clock.Now().Sub(start) < 5*time.Hour {
		if _, waits, ok := l.Take(k); ok {
			fails = append(fails, clock.Now())
		} else if waits[0] > b.Cap {
			t.Fatalf("wait %v above the cap", waits[0])
		}
		clock.Advance(5 * time.Second)
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
		if _, _, ok := l.Take(k); !ok {
			t.Fatalf("after a quiet hour, attempt %d blocked", i+1)
		}
	}
}

// TestTakeIsAtomic: concurrent attempts cannot all pass a limit before any
// of them is counted.
func TestTakeIsAtomic(t *testing.T) {
	l := NewLimiter(clockwork.NewFakeClock(), nil)
	k := Key{Name: "a", Rule: Window{Max: 5, Per: time.Minute}}
	var mu sync.Mutex
	passed := 0
	var wg sync.WaitGroup
	for range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, _, ok := l.Take(k); ok {
				mu.Lock()
				passed++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if passed != 5 {
		t.Fatalf("%d of 50 concurrent attempts passed a limit of 5", passed)
	}
}

// TestMemoryStateSweeps: keys whose failures no longer matter are dropped.
func TestMemoryStateSweeps(t *testing.T) {
	clock := clockwork.NewFakeClock()
	m := NewMemoryState()
	l := NewLimiter(clock, m)
	rule := Window{Max: 5, Per: time.Minute}
	for i := range minSweep - 1 {
		l.Take(Key{Name: string(rune(i)), Rule: rule})
	}
	clock.Advance(time.Minute)
	l.Take(Key{Name: "fresh", Rule: rule})
	if n := m.Len(); n != 1 {
		t.Fatalf("keys after the sweep: %d, want 1", n)
	}
}
