package auth

import (
	"sync"
	"time"

	"github.com/jonboulle/clockwork"
)

// Limiter counts failed logins per key (an email, a source address) in a
// sliding window and refuses further attempts once a key reaches the limit.
type Limiter struct {
	clock  clockwork.Clock
	max    int
	window time.Duration

	mu    sync.Mutex
	fails map[string][]time.Time
}

// NewLimiter allows max failures per key within window.
func NewLimiter(clock clockwork.Clock, max int, window time.Duration) *Limiter {
	return &Limiter{clock: clock, max: max, window: window, fails: map[string][]time.Time{}}
}

// Blocked reports whether any key is over the limit, and for how long.
func (l *Limiter) Blocked(keys ...string) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.clock.Now()
	var wait time.Duration
	for _, k := range keys {
		f := l.prune(k, now)
		if len(f) >= l.max {
			wait = max(wait, f[0].Add(l.window).Sub(now))
		}
	}
	return wait > 0, wait
}

// Fail records a failure for each key.
func (l *Limiter) Fail(keys ...string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.clock.Now()
	for _, k := range keys {
		l.fails[k] = append(l.prune(k, now), now)
	}
	if len(l.fails) > 10000 {
		for k := range l.fails {
			l.prune(k, now)
		}
	}
}

// Reset forgets the failures of a key (after a successful login).
func (l *Limiter) Reset(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.fails, key)
}

func (l *Limiter) prune(k string, now time.Time) []time.Time {
	f := l.fails[k]
	i := 0
	for i < len(f) && !f[i].After(now.Add(-l.window)) {
		i++
	}
	f = f[i:]
	if len(f) == 0 {
		delete(l.fails, k)
		return nil
	}
	l.fails[k] = f
	return f
}
