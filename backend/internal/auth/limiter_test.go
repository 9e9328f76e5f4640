package auth

import (
	"context"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
)

// TestBackoffDelay: the waits after the fifth failure of a run: 1, 2, 4,
// 8, then 15 minutes (the cap). The bound it gives is statetest's.
func TestBackoffDelay(t *testing.T) {
	b := Backoff{Free: 5, Base: time.Minute, Cap: 15 * time.Minute, Quiet: time.Hour}
	for n, want := range map[int]time.Duration{5: time.Minute, 6: 2 * time.Minute, 7: 4 * time.Minute, 8: 8 * time.Minute, 9: 15 * time.Minute, 40: 15 * time.Minute} {
		if got := b.Delay(n); got != want {
			t.Errorf("Delay(%d) = %v, want %v", n, got, want)
		}
	}
}

// TestMemoryStateSweeps: keys whose failures no longer matter are dropped.
func TestMemoryStateSweeps(t *testing.T) {
	clock := clockwork.NewFakeClock()
	m := NewMemoryState()
	l := NewLimiter(clock, m)
	rule := Window{Max: 5, Per: time.Minute}
	for i := range minSweep - 1 {
		l.Take(context.Background(), Key{Name: string(rune(i)), Rule: rule})
	}
	clock.Advance(time.Minute)
	l.Take(context.Background(), Key{Name: "fresh", Rule: rule})
	if n := m.Len(); n != 1 {
		t.Fatalf("keys after the sweep: %d, want 1", n)
	}
}
