package auth

import (
	"context"
	"database/sql"
	"sync"
	"time"
)

// MemoryState is a State in this process's memory, for tests of the
// rules: the server keeps its state in the database (signin.DBState), so
// that it is shared by replicas and survives restarts. Transactions are
// ignored. A key is kept while its rule still
// reads its failures (Rule.Retain); expired keys are swept whenever the
// number of keys has doubled since the last sweep, so memory follows the
// failures of the last window, not of all time.
type MemoryState struct {
	mu      sync.Mutex
	keys    map[string]*memKey
	sweepAt int
}

type memKey struct {
	fails   []time.Time // oldest first
	expires time.Time
}

// minSweep is the number of keys below which no sweep runs.
const minSweep = 10000

// NewMemoryState returns an empty MemoryState.
func NewMemoryState() *MemoryState {
	return &MemoryState{keys: map[string]*memKey{}, sweepAt: minSweep}
}

// Take implements State.
func (m *MemoryState) Take(_ context.Context, now time.Time, keys []Key) ([]time.Duration, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var waits []time.Duration
	for i, k := range keys {
		if w := k.Rule.Wait(m.fails(k.Name, now), now); w > 0 {
			if waits == nil {
				waits = make([]time.Duration, len(keys))
			}
			waits[i] = w
		}
	}
	if waits != nil {
		return waits, nil
	}
	for _, k := range keys {
		n, ttl := k.Rule.Retain()
		e := m.keys[k.Name]
		if e == nil {
			e = &memKey{}
			m.keys[k.Name] = e
		}
		e.fails = append(e.fails, now)
		if len(e.fails) > n {
			e.fails = append(e.fails[:0], e.fails[len(e.fails)-n:]...)
		}
		e.expires = now.Add(ttl)
	}
	if len(m.keys) >= m.sweepAt {
		m.sweep(now)
	}
	return nil, nil
}

// fails returns the live failures of a key, dropping an expired key.
func (m *MemoryState) fails(name string, now time.Time) []time.Time {
	e := m.keys[name]
	if e == nil {
		return nil
	}
	if !now.Before(e.expires) {
		delete(m.keys, name)
		return nil
	}
	return e.fails
}

func (m *MemoryState) sweep(now time.Time) {
	for name, e := range m.keys {
		if !now.Before(e.expires) {
			delete(m.keys, name)
		}
	}
	m.sweepAt = max(minSweep, 2*len(m.keys))
}

// Undo implements State.
func (m *MemoryState) Undo(_ context.Context, _ *sql.Tx, at time.Time, keys []string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, name := range keys {
		e := m.keys[name]
		if e == nil {
			continue
		}
		for i := len(e.fails) - 1; i >= 0; i-- {
			if e.fails[i].Equal(at) {
				e.fails = append(e.fails[:i], e.fails[i+1:]...)
				break
			}
		}
		if len(e.fails) == 0 {
			delete(m.keys, name)
		}
	}
	return nil
}

// Reset implements State.
func (m *MemoryState) Reset(_ context.Context, _ *sql.Tx, keys []string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, name := range keys {
		delete(m.keys, name)
	}
	return nil
}

// Len is the number of keys held (for tests and metrics).
func (m *MemoryState) Len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.keys)
}
