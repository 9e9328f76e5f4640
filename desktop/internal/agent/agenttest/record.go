// Package agenttest has test helpers for the agent: a Recorder around a
// real tunnel.Backend that remembers what the agent asked of it. Tests only.
package agenttest

import (
	"context"
	"sync"

	"gatepass.dev/desktop/internal/tunnel"
)

// Up is one recorded Up call.
type Up struct {
	Name   string
	Config tunnel.Config
}

// Recorder passes every call to a real backend and records the tunnels
// brought up and closed. Safe for concurrent use.
type Recorder struct {
	tunnel.Backend

	// OnUp and OnClose, if set before the first Up, are called with a
	// tunnel's name the moment the agent has brought it up or closes it
	// (a benchmark's stopwatch).
	OnUp, OnClose func(name string)

	mu     sync.Mutex
	ups    []Up
	open   map[string]*recTunnel
	closes int
}

// Record wraps b.
func Record(b tunnel.Backend) *Recorder {
	return &Recorder{Backend: b, open: map[string]*recTunnel{}}
}

// Up brings the tunnel up on the real backend and records it.
func (r *Recorder) Up(ctx context.Context, name string, cfg tunnel.Config) (tunnel.Tunnel, error) {
	t, err := r.Backend.Up(ctx, name, cfg)
	if err != nil {
		return nil, err
	}
	rt := &recTunnel{Tunnel: t, r: r, name: name, cfg: cfg}
	r.mu.Lock()
	r.ups = append(r.ups, Up{Name: name, Config: cfg})
	r.open[name] = rt
	r.mu.Unlock()
	if r.OnUp != nil {
		r.OnUp(name)
	}
	return rt, nil
}

// Ups returns every successful Up call so far.
func (r *Recorder) Ups() []Up {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Up(nil), r.ups...)
}

// IsUp reports whether the tunnel named name is open, with its config.
func (r *Recorder) IsUp(name string) (tunnel.Config, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	t, ok := r.open[name]
	if !ok {
		return tunnel.Config{}, false
	}
	return t.cfg, true
}

// Closes counts the tunnels closed so far.
func (r *Recorder) Closes() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.closes
}

type recTunnel struct {
	tunnel.Tunnel
	r      *Recorder
	name   string
	cfg    tunnel.Config
	closed bool
}

func (t *recTunnel) Close() error {
	err := t.Tunnel.Close()
	t.r.mu.Lock()
	first := !t.closed
	if first {
		t.closed = true
		t.r.closes++
		if t.r.open[t.name] == t {
			delete(t.r.open, t.name)
		}
	}
	t.r.mu.Unlock()
	if first && t.r.OnClose != nil {
		t.r.OnClose(t.name)
	}
	return err
}
