package agent

// The one place that decides.

import (
	"time"

	"gatepass.dev/shared/api"
)

// reconcileLocked derives every network's state on the server clock and
// moves each tunnel's state machine: first by what came back since the
// last pass (a bring-up's result, a first handshake), then by what is
// wanted now (up iff active or standing, and the user's toggle on). It
// arms one timer at the next moment a decision can change (the earliest
// expires_at, a scheduled grant's starts_at, or a bring-up retry), then
// tells the watchers.
func (a *Agent) reconcileLocked() {
	if a.closed {
		return
	}
	now := a.clock.Now()
	serverNow := now.Add(a.offset)
	var next time.Time
	dirty := false
	for id, n := range a.nets {
		st := n.state(serverNow)
		p, changed := a.autoConnectLocked(id, n, st)
		dirty = dirty || changed

		if r := n.result; r != nil {
			n.result = nil
			ev := EvUp
			if r.err != nil {
				ev = EvFail
			}
			a.stepLocked(id, n, ev, tunnelCause{result: r})
		}
		if n.handshake {
			a.stepLocked(id, n, EvHandshake, tunnelCause{})
		}

		want := a.sess != nil && (st == api.StateActive || st == api.StateStanding) && p != nil && p.WantConnected
		switch {
		case !want:
			ev, why := EvUnwant, "the user disconnected"
			if st != api.StateActive && st != api.StateStanding {
				why = "the network is " + string(st)
				if exp := n.expiry(); exp != nil && !serverNow.Before(*exp) {
					ev, why = EvExpire, "the grant expired"
				}
			}
			a.stepLocked(id, n, ev, tunnelCause{why: why})
		case a.sess.state.DeviceID == "":
			// No device yet: register reconciles once it is registered.
		case n.tstate == TunnelRetrying && !now.Before(n.retryAt):
			a.stepLocked(id, n, EvRetry, tunnelCause{})
		default:
			a.stepLocked(id, n, EvWant, tunnelCause{})
		}

		if n.tstate == TunnelRetrying {
			next = earliest(next, n.retryAt)
		}
		switch st {
		case api.StateActive:
			if exp := n.expiry(); exp != nil {
				next = earliest(next, exp.Add(-a.offset)) // the agent-clock instant of expiry
			}
		case api.StateScheduled:
			if start := n.start(); start != nil {
				next = earliest(next, start.Add(-a.offset)) // the agent-clock instant of the start
			}
		}
	}
	if dirty {
		a.savePrefsLocked()
	}
	if a.timer != nil {
		a.timer.Stop()
		a.timer = nil
	}
	if !next.IsZero() {
		a.timer = a.clock.AfterFunc(max(next.Sub(now), 0), a.onTimer)
	}
	a.broadcastLocked()
}

// autoConnectLocked applies "connect automatically on approval" once per
// grant: a newly active grant turns the toggle on when the preference is
// set. It returns the network's prefs and whether they changed.
func (a *Agent) autoConnectLocked(id string, n *netState, st api.NetworkState) (*netPrefs, bool) {
	p := a.prefs.Networks[id]
	if st != api.StateActive || n.view.Request == nil || (p != nil && p.AutoRequest == n.view.Request.ID) {
		return p, false
	}
	if p == nil {
		p = &netPrefs{}
		a.prefs.Networks[id] = p
	}
	p.AutoRequest = n.view.Request.ID
	if a.prefs.ConnectOnApproval {
		p.WantConnected = true
	}
	return p, true
}

// tunnelCause is what goes with a tunnel event: why (for the log) and, for
// up and fail, the bring-up's result.
type tunnelCause struct {
	why    string
	result *bringUpResult
}

// stepLocked moves n's tunnel by ev (StepTunnel) and carries out the
// action. An event that does not apply is ignored, and a tunnel that came
// with it is closed: nobody wants it.
func (a *Agent) stepLocked(id string, n *netState, ev TunnelEvent, c tunnelCause) {
	next, act, err := StepTunnel(n.tstate, ev)
	if err != nil {
		a.log.Debug("tunnel event ignored", "network", n.view.Name, "state", n.tstate, "event", ev)
		if c.result != nil && c.result.tun != nil {
			c.result.tun.Close()
		}
		return
	}
	if next != n.tstate {
		a.log.Debug("tunnel", "network", n.view.Name, "from", n.tstate, "event", ev, "to", next)
	}
	n.tstate = next
	switch act {
	case ActBringUp:
		a.startTunnelLocked(id, n)
	case ActAdopt:
		r := c.result
		n.tun, n.cfg, n.handshake = r.tun, &r.cfg, false
		n.err, n.failures, n.retryAt = "", 0, time.Time{}
		a.watchHandshakeLocked(id, n)
		a.log.Info("tunnel up", "network", n.view.Name, "address", r.cfg.Address)
	case ActBackoff:
		n.failures++
		n.err = "could not connect: " + errorText(c.result.err)
		wait := tunnelBackoff.Delay(n.failures)
		n.retryAt = a.clock.Now().Add(wait)
		a.log.Warn("tunnel up failed", "network", n.view.Name, "err", c.result.err, "retry_in", wait)
	case ActAbort:
		n.up.cancel()
		n.up = nil
	case ActClose:
		a.closeTunnelLocked(n, c.why)
	}
	if next == TunnelOff {
		n.err, n.failures, n.retryAt = "", 0, time.Time{}
	}
}

func (a *Agent) onTimer() {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.reconcileLocked()
}

func earliest(a, b time.Time) time.Time {
	if a.IsZero() || b.Before(a) {
		return b
	}
	return a
}
