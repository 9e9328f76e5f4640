// Package backoff is the one reconnect-with-back-off of Gatepass: the
// window and the tray following the agent's watch stream, the agent
// following the backend's, the agent's tunnel bring-up retries, and a
// remote gateway following the server's watch stream all use it.
//
// A Policy is a delay that starts at Min and doubles up to Max. Loop runs
// an attempt (open a stream and read it) again and again until its context
// ends, waiting the policy's delay between attempts on an injected clock
// (clockwork: tests move it, nothing sleeps), optionally with jitter
// (between half and all of the delay, so many clients do not reconnect in
// step). An attempt that worked for a while says so (healthy), and the next
// wait starts again at Min. An attempt ends the loop by returning an error
// made with Stop (e.g. the login token was refused: retrying cannot help).
//
// Policy.Delay is the same schedule without jitter, for callers that keep
// their own count of failures and a time to retry at (the agent's tunnels,
// which its single timer wakes).
package backoff

import (
	"context"
	"errors"
	"math/rand/v2"
	"time"

	"github.com/jonboulle/clockwork"
)

// Policy is a back-off schedule: Min, doubling after each failure, at most
// Max.
type Policy struct {
	Min, Max time.Duration
}

// Delay is the wait after the n-th consecutive failure (n ≥ 1): Min,
// 2·Min, 4·Min, … at most Max. n < 1 gives Min.
func (p Policy) Delay(n int) time.Duration {
	d := p.Min
	for i := 1; i < n && d < p.Max; i++ {
		d *= 2
	}
	return min(d, p.Max)
}

// jitter returns a wait between half of d and d.
func jitter(d time.Duration) time.Duration {
	return d/2 + rand.N(d/2+1)
}

// ErrStop is wrapped by the error of Stop.
var ErrStop = errors.New("backoff: stopped")

type stopError struct{ err error }

func (e stopError) Error() string {
	if e.err == nil {
		return ErrStop.Error()
	}
	return e.err.Error()
}

func (e stopError) Unwrap() []error { return []error{ErrStop, e.err} }

// Stop marks err as final: a Loop that gets it from an attempt returns it
// at once instead of trying again. errors.Is(Stop(err), err) holds.
func Stop(err error) error { return stopError{err: err} }

// Loop runs an attempt again and again with back-off.
type Loop struct {
	Policy
	// Jitter waits between half and all of each delay.
	Jitter bool
	// Clock is what the waits are measured on (default: the real clock).
	Clock clockwork.Clock
	// OnBreak, if set, is called after each attempt that did not stop the
	// loop, with its error and the wait before the next attempt.
	OnBreak func(err error, wait time.Duration)
	// Cap, if set, bounds each wait when it is computed (e.g. by half a
	// lease that the server announces).
	Cap func() time.Duration
}

// Run calls attempt until ctx ends (it returns ctx.Err()) or attempt
// returns an error made by Stop (it returns that error). attempt gets ctx
// and healthy, to call once the attempt works (e.g. on a stream's first
// message): the wait after it ends is Min again. Between attempts Run
// waits the back-off on the clock.
func (l Loop) Run(ctx context.Context, attempt func(ctx context.Context, healthy func()) error) error {
	clock := l.Clock
	if clock == nil {
		clock = clockwork.NewRealClock()
	}
	failures := 0
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		err := attempt(ctx, func() { failures = 0 })
		if errors.Is(err, ErrStop) {
			return err
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		failures++
		wait := l.Delay(failures)
		if l.Cap != nil {
			if c := l.Cap(); c > 0 && c < wait {
				wait = c
			}
		}
		if l.Jitter {
			wait = jitter(wait)
		}
		if l.OnBreak != nil {
			l.OnBreak(err, wait)
		}
		t := clock.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.Chan():
		}
	}
}
