package backoff

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
)

func TestDelay(t *testing.T) {
	p := Policy{Min: time.Second, Max: 30 * time.Second}
	for n, want := range map[int]time.Duration{0: time.Second, 1: time.Second, 2: 2 * time.Second, 3: 4 * time.Second,
		5: 16 * time.Second, 6: 30 * time.Second, 50: 30 * time.Second, 1 << 30: 30 * time.Second} {
		if got := p.Delay(n); got != want {
			t.Errorf("Delay(%d) = %v, want %v", n, got, want)
		}
	}
}

func TestJitter(t *testing.T) {
	for i := 0; i < 1000; i++ {
		if d := jitter(8 * time.Second); d < 4*time.Second || d > 8*time.Second {
			t.Fatalf("jitter(8s) = %v", d)
		}
	}
}

// run starts l.Run in the background with an attempt that reports each
// call on calls and returns what results says.
type run struct {
	calls   chan func() // each attempt's healthy
	results chan error
	breaks  chan time.Duration
	done    chan error
}

func start(t *testing.T, ctx context.Context, l Loop) *run {
	r := &run{calls: make(chan func(), 1), results: make(chan error), breaks: make(chan time.Duration, 16), done: make(chan error, 1)}
	l.OnBreak = func(err error, wait time.Duration) { r.breaks <- wait }
	go func() {
		r.done <- l.Run(ctx, func(ctx context.Context, healthy func()) error {
			r.calls <- healthy
			select {
			case err := <-r.results:
				return err
			case <-ctx.Done():
				return ctx.Err()
			}
		})
	}()
	return r
}

func recv[T any](t *testing.T, ch <-chan T, what string) T {
	t.Helper()
	deadline := time.NewTimer(10 * time.Second)
	defer deadline.Stop()
	select {
	case v := <-ch:
		return v
	case <-deadline.C:
		t.Fatalf("timed out waiting for %s", what)
	}
	var zero T
	return zero
}

// Each failure doubles the wait up to Max, measured on the injected clock;
// a healthy attempt starts it over at Min.
func TestLoopWaitsAndResets(t *testing.T) {
	clock := clockwork.NewFakeClock()
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	r := start(t, ctx, Loop{Policy: Policy{Min: 500 * time.Millisecond, Max: 2 * time.Second}, Clock: clock})
	broken := errors.New("connection refused")
	for _, want := range []time.Duration{500 * time.Millisecond, time.Second, 2 * time.Second, 2 * time.Second} {
		recv(t, r.calls, "an attempt")
		r.results <- broken
		if got := recv(t, r.breaks, "a break"); got != want {
			t.Fatalf("wait %v, want %v", got, want)
		}
		if err := clock.BlockUntilContext(ctx, 1); err != nil {
			t.Fatal(err)
		}
		clock.Advance(want - time.Millisecond)
		select {
		case <-r.calls:
			t.Fatalf("attempted again before the %v wait was over", want)
		default:
		}
		clock.Advance(time.Millisecond)
	}
	healthy := recv(t, r.calls, "an attempt")
	healthy()
	r.results <- broken
	if got := recv(t, r.breaks, "a break"); got != 500*time.Millisecond {
		t.Fatalf("after a healthy attempt: wait %v, want 500ms", got)
	}
	// Cancelled while waiting: Run returns at once.
	if err := clock.BlockUntilContext(ctx, 1); err != nil {
		t.Fatal(err)
	}
	cancel()
	if err := recv(t, r.done, "Run to return"); !errors.Is(err, context.Canceled) {
		t.Errorf("Run returned %v", err)
	}
}

func TestLoopStop(t *testing.T) {
	clock := clockwork.NewFakeClock()
	r := start(t, t.Context(), Loop{Policy: Policy{Min: time.Second, Max: time.Minute}, Clock: clock})
	recv(t, r.calls, "an attempt")
	refused := errors.New("401: sign in again")
	r.results <- Stop(refused)
	err := recv(t, r.done, "Run to return")
	if !errors.Is(err, refused) || !errors.Is(err, ErrStop) || err.Error() != refused.Error() {
		t.Errorf("Run returned %v", err)
	}
	if len(r.breaks) != 0 {
		t.Error("a stop counted as a break")
	}
}

func TestLoopJitter(t *testing.T) {
	clock := clockwork.NewFakeClock()
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	r := start(t, ctx, Loop{Policy: Policy{Min: 8 * time.Second, Max: 8 * time.Second}, Clock: clock, Jitter: true})
	for i := 0; i < 20; i++ {
		recv(t, r.calls, "an attempt")
		r.results <- errors.New("x")
		w := recv(t, r.breaks, "a break")
		if w < 4*time.Second || w > 8*time.Second {
			t.Fatalf("jittered wait %v", w)
		}
		if err := clock.BlockUntilContext(ctx, 1); err != nil {
			t.Fatal(err)
		}
		clock.Advance(w)
	}
}
