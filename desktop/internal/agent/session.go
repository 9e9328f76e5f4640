package agent

// Sessions: the signed-in account, its watch stream of the backend (with
// reconnections), and the networks it brings.

import (
	"context"
	"errors"
	"net/http"
	"os"
	"time"

	"gatepass.dev/shared/api"
	"gatepass.dev/shared/backoff"
	"gatepass.dev/shared/client"
)

func (a *Agent) startSessionLocked(s *session) {
	s.ctx, s.cancel = context.WithCancel(a.ctx)
	a.sess = s
	a.lastServer = s.state.Server
	a.message = ""
	a.wg.Add(1)
	go func() {
		defer a.wg.Done()
		a.runSession(s)
	}()
	a.reconcileLocked()
}

// endSessionLocked stops the session's watch and every tunnel and forgets
// the networks.
func (a *Agent) endSessionLocked() {
	s := a.sess
	if s == nil {
		return
	}
	s.cancel()
	a.sess = nil
	for id, n := range a.nets {
		a.stepLocked(id, n, EvUnwant, tunnelCause{why: "signed out"})
		delete(a.nets, id)
	}
	a.reachable = false
	a.reconcileLocked()
}

// runSession keeps the watch stream open, reconnecting with back-off
// (watchBackoff, with jitter, back to its minimum once a snapshot
// arrives); between attempts it falls back to GET /me/networks. It ends
// with the session, or when the backend refuses the token.
func (a *Agent) runSession(s *session) {
	loop := backoff.Loop{Policy: watchBackoff, Jitter: true, Clock: a.clock, OnBreak: func(err error, wait time.Duration) {
		a.log.Warn("watch stream ended", "err", err, "retry_in", wait)
	}}
	loop.Run(s.ctx, func(ctx context.Context, healthy func()) error { //nolint:errcheck // ends with the session
		if !s.registered {
			if err := a.register(s); err != nil {
				if a.unauthorized(s, err) {
					return backoff.Stop(err)
				}
				a.log.Warn("device registration failed", "err", err)
			}
		}
		err := a.watchOnce(s, healthy)
		if ctx.Err() != nil {
			return err
		}
		if a.unauthorized(s, err) {
			return backoff.Stop(err)
		}
		a.setReachable(s, false)
		if rerr := a.refresh(ctx, s); rerr != nil && a.unauthorized(s, rerr) {
			return backoff.Stop(rerr)
		}
		return err
	})
}

// unauthorized signs out if err says the token is no longer valid.
func (a *Agent) unauthorized(s *session, err error) bool {
	if client.StatusOf(err) != http.StatusUnauthorized {
		return false
	}
	a.mu.Lock()
	current := a.sess == s
	a.mu.Unlock()
	if !current {
		return true
	}
	a.log.Info("signed out by the backend: the login token is no longer valid")
	a.forget(s) // before anyone is told: a signed-out status means nothing is stored
	a.mu.Lock()
	if a.sess == s {
		a.endSessionLocked()
		a.message = "signed out: the sign-in expired or was revoked, sign in again"
		if s.removing {
			a.message = MessageDeviceRemoved
		}
		a.broadcastLocked()
	}
	a.mu.Unlock()
	return true
}

// forget deletes a session's token and saved state.
func (a *Agent) forget(s *session) {
	if err := a.creds.Delete(s.state.Server, s.state.Email); err != nil {
		a.log.Warn("could not delete the login token", "err", err)
	}
	if err := os.Remove(a.path(sessionFile)); err != nil && !errors.Is(err, os.ErrNotExist) {
		a.log.Warn("could not delete the saved session", "err", err)
	}
}

// watchOnce follows the watch stream until it ends; a snapshot means the
// connection works (healthy).
func (a *Agent) watchOnce(s *session, healthy func()) error {
	ctx, cancel := context.WithCancel(s.ctx)
	defer cancel()
	idle := time.AfterFunc(watchIdle, cancel) // a dead connection, in real time
	defer idle.Stop()
	return s.client.Watch(ctx, func(ev api.Event) error {
		idle.Reset(watchIdle)
		if ev.Type == api.EventSnapshot {
			healthy()
		}
		a.applyEvent(s, ev, a.clock.Now())
		return nil
	})
}

// register sends the device's public key (never the private one) and
// keeps the device id and addresses.
func (a *Agent) register(s *session) error {
	ctx, cancel := context.WithTimeout(s.ctx, callTimeout)
	defer cancel()
	a.mu.Lock()
	key := s.key
	a.mu.Unlock()
	dev, key, err := a.registerKey(ctx, s.client, keyPath(a.opts.StateDir, s.state.Server, s.state.Email), key)
	if err != nil {
		a.mu.Lock()
		if a.sess == s && client.StatusOf(err) == http.StatusConflict {
			a.message = "This device could not be registered: " + errorText(err) // e.g. the device limit
			a.broadcastLocked()
		}
		a.mu.Unlock()
		return err
	}
	a.mu.Lock()
	s.state.DeviceID, s.state.DeviceName, s.state.Addresses = dev.ID, dev.Name, dev.Addresses
	s.key = key
	s.registered = true
	if a.sess == s {
		a.message = ""
		a.reconcileLocked() // the tunnels that waited for a device
	}
	st := s.state
	current := a.sess == s
	a.mu.Unlock()
	if current {
		if err := writeJSONFile(a.path(sessionFile), st); err != nil {
			a.log.Warn("could not save the session", "err", err)
		}
	}
	return nil
}

// refresh fetches GET /me/networks and applies it as a snapshot.
func (a *Agent) refresh(ctx context.Context, s *session) error {
	ctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	sent := a.clock.Now()
	resp, err := s.client.MyNetworks(ctx)
	recv := a.clock.Now()
	if err != nil {
		a.noteCall(s, err)
		return err
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.sess != s {
		return nil
	}
	a.reachable = true
	a.observeLocked(resp.ServerTime, sent, recv)
	a.replaceNetworksLocked(resp.Networks)
	a.reconcileLocked()
	return nil
}

func (a *Agent) applyEvent(s *session, ev api.Event, recv time.Time) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.sess != s || a.closed {
		return
	}
	a.reachable = true
	a.observeLocked(ev.ServerTime, recv, recv)
	switch ev.Type {
	case api.EventSnapshot:
		a.replaceNetworksLocked(ev.Networks)
	case api.EventNetwork:
		if ev.Network != nil {
			a.upsertLocked(*ev.Network)
		}
	case api.EventNetworkRemoved:
		if n, ok := a.nets[ev.NetworkID]; ok {
			a.stepLocked(ev.NetworkID, n, EvUnwant, tunnelCause{why: "network removed"})
			delete(a.nets, ev.NetworkID)
		}
	}
	a.reconcileLocked()
}

// observeLocked takes a sample of the server clock offset: serverTime was
// read on the server between sent and recv (agent clock).
func (a *Agent) observeLocked(serverTime, sent, recv time.Time) {
	if serverTime.IsZero() {
		return
	}
	mid := sent.Add(recv.Sub(sent) / 2)
	a.offset = serverTime.Sub(mid)
}

func (a *Agent) replaceNetworksLocked(list []api.MyNetwork) {
	seen := make(map[string]bool, len(list))
	for _, n := range list {
		seen[n.ID] = true
		a.upsertLocked(n)
	}
	for id, n := range a.nets {
		if !seen[id] {
			a.stepLocked(id, n, EvUnwant, tunnelCause{why: "network removed"})
			delete(a.nets, id)
		}
	}
}

func (a *Agent) upsertLocked(v api.MyNetwork) {
	if n, ok := a.nets[v.ID]; ok {
		n.view = v
		return
	}
	a.nets[v.ID] = &netState{view: v, tstate: TunnelOff}
}

func (a *Agent) setReachable(s *session, ok bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.sess == s && a.reachable != ok {
		a.reachable = ok
		a.broadcastLocked()
	}
}

// noteCall records whether a backend call reached the backend.
func (a *Agent) noteCall(s *session, err error) {
	var ae *api.Error
	a.setReachable(s, err == nil || errors.As(err, &ae))
}
