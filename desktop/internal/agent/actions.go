package agent

import (
	"context"
	"net/http"
	"strings"
	"time"

	"gatepass.dev/desktop/internal/localapi"
	"gatepass.dev/shared/api"
	"gatepass.dev/shared/humantime"
)

// lookup finds a network by name (or id) and its current state.
func (a *Agent) lookupLocked(name string) (*session, string, *netState, api.NetworkState, error) {
	s := a.sess
	if s == nil {
		return nil, "", nil, "", errNotSignedIn
	}
	serverNow := a.clock.Now().Add(a.offset)
	for id, n := range a.nets {
		if n.view.Name == name {
			return s, id, n, n.state(serverNow), nil
		}
	}
	if n, ok := a.nets[name]; ok {
		return s, name, n, n.state(serverNow), nil
	}
	return nil, "", nil, "", apiError(http.StatusNotFound, api.CodeNotFound, "you have no network named %q", name)
}

// serverNow is the agent's clock corrected by the measured offset.
func (a *Agent) serverNow() time.Time {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.clock.Now().Add(a.offset)
}

// Request asks for access to a network, from the approval or (StartsAt)
// from a later start.
func (a *Agent) Request(ctx context.Context, name string, in localapi.AccessRequest) error {
	reason := strings.TrimSpace(in.Reason)
	if reason == "" {
		return apiError(http.StatusBadRequest, api.CodeBadRequest, "reason: say why you need access")
	}
	if in.DurationSeconds < 0 {
		return apiError(http.StatusBadRequest, api.CodeBadRequest, "duration_seconds: must not be negative")
	}
	a.mu.Lock()
	s, id, n, st, err := a.lookupLocked(name)
	var exp *time.Time
	if err == nil {
		exp = n.expiry()
	}
	a.mu.Unlock()
	if err != nil {
		return err
	}
	if in.StartsAt != nil && !in.StartsAt.After(a.serverNow()) {
		return fieldError("starts_at", "starts_at: %s is not in the future (leave it out to start at approval)", in.StartsAt.UTC().Format(time.RFC3339))
	}
	switch st {
	case api.StatePending:
		return apiError(http.StatusConflict, api.CodeConflict, "a request for %s is already pending", name)
	case api.StateScheduled:
		return apiError(http.StatusConflict, api.CodeConflict, "your access to %s is already scheduled", name)
	case api.StateActive:
		msg := "you already have access to " + name
		if exp != nil {
			msg += " until " + exp.UTC().Format(time.RFC3339)
		}
		return apiError(http.StatusConflict, api.CodeConflict, "%s", msg)
	case api.StateStanding:
		return apiError(http.StatusConflict, api.CodeConflict, "%s needs no request: you have standing access", name)
	}
	if err := a.call(ctx, s, func(ctx context.Context) error {
		nr := api.NewRequest{Reason: reason, StartsAt: in.StartsAt}
		if in.DurationSeconds > 0 {
			nr.DurationSeconds = &in.DurationSeconds
		}
		_, err := s.client.RequestWith(ctx, id, nr)
		return err
	}); err != nil {
		return err
	}
	a.refreshQuietly(ctx, s)
	return nil
}

// requestIn returns the session, the network id and the network's request
// when the network is in state st with a request of status rs; otherwise a
// 409 saying it has no such request (what).
func (a *Agent) requestIn(name string, st api.NetworkState, rs api.RequestStatus, what string) (*session, string, *api.Request, error) {
	a.mu.Lock()
	s, id, n, cur, err := a.lookupLocked(name)
	var req *api.Request
	if err == nil {
		req = n.view.Request
	}
	a.mu.Unlock()
	if err != nil {
		return nil, "", nil, err
	}
	if cur != st || req == nil || req.Status != rs {
		return nil, "", nil, apiError(http.StatusConflict, api.CodeConflict, "%s has no %s", name, what)
	}
	return s, id, req, nil
}

// call runs one backend call with the call timeout, records whether the
// backend answered, and words its error for the user.
func (a *Agent) call(ctx context.Context, s *session, fn func(context.Context) error) error {
	cctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	err := fn(cctx)
	a.noteCall(s, err)
	if err != nil {
		return backendErr(s.state.Server, err)
	}
	return nil
}

// Cancel withdraws the pending request on a network.
func (a *Agent) Cancel(ctx context.Context, name string) error {
	s, _, req, err := a.requestIn(name, api.StatePending, api.StatusPending, "pending request to cancel")
	if err != nil {
		return err
	}
	if err := a.call(ctx, s, func(ctx context.Context) error {
		_, err := s.client.Cancel(ctx, req.ID)
		return err
	}); err != nil {
		return err
	}
	a.refreshQuietly(ctx, s)
	return nil
}

// Release gives up a network's grant early; its tunnel goes down at once.
func (a *Agent) Release(ctx context.Context, name string) error {
	s, id, req, err := a.requestIn(name, api.StateActive, api.StatusApproved, "active grant to release")
	if err != nil {
		return err
	}
	var released api.Request
	if err := a.call(ctx, s, func(ctx context.Context) error {
		var err error
		released, err = s.client.Release(ctx, req.ID)
		return err
	}); err != nil {
		return err
	}
	// The grant is over: fail closed now, before the backend's event.
	a.mu.Lock()
	if n, ok := a.nets[id]; ok && a.sess == s && n.view.Request != nil && n.view.Request.ID == released.ID {
		r := released
		n.view.Request = &r
		n.view.ExpiresAt = nil
		if n.view.State == api.StateActive {
			n.view.State = ""
		}
		a.reconcileLocked()
	}
	a.mu.Unlock()
	a.refreshQuietly(ctx, s)
	return nil
}

// refreshQuietly refreshes the networks after an action; the watch would
// bring the change too, so a failure is only logged.
func (a *Agent) refreshQuietly(ctx context.Context, s *session) {
	if err := a.refresh(ctx, s); err != nil {
		a.log.Debug("refresh after an action failed", "err", err)
	}
}

// Connect turns a network's toggle on and waits (up to ConnectTimeout or
// ctx) until its tunnel is connected (the gateway's first handshake seen)
// or could not be brought up.
func (a *Agent) Connect(ctx context.Context, name string) error {
	a.mu.Lock()
	_, id, n, st, err := a.lookupLocked(name)
	if err != nil {
		a.mu.Unlock()
		return err
	}
	if st != api.StateActive && st != api.StateStanding {
		start, serverNow := n.start(), a.clock.Now().Add(a.offset)
		a.mu.Unlock()
		switch st {
		case api.StatePending:
			return apiError(http.StatusConflict, api.CodeConflict, "%s is not active yet: the request awaits an admin", name)
		case api.StateScheduled:
			msg := name + " is not active yet"
			if start != nil {
				msg += ": your access starts at " + start.UTC().Format(time.RFC3339) + " (in " + humantime.Countdown(start.Sub(serverNow)) + ")"
			}
			return apiError(http.StatusConflict, api.CodeConflict, "%s", msg)
		}
		return apiError(http.StatusConflict, api.CodeConflict, "%s is not active: request access first", name)
	}
	p := a.prefs.Networks[id]
	if p == nil {
		p = &netPrefs{}
		a.prefs.Networks[id] = p
	}
	p.WantConnected = true
	if n.tstate == TunnelRetrying {
		n.err, n.failures, n.retryAt = "", 0, time.Time{} // the user asks: try now
	}
	a.savePrefsLocked()
	a.reconcileLocked()
	a.mu.Unlock()

	updates, stop := a.Subscribe()
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, a.opts.ConnectTimeout)
	defer cancel()
	last := localapi.TunnelOff
	for {
		select {
		case <-ctx.Done():
			if last == TunnelHandshaking {
				return apiError(http.StatusGatewayTimeout, api.CodeUnavailable, "%s: the tunnel is up but the gateway has not answered (no WireGuard handshake yet); the agent keeps trying", name)
			}
			return apiError(http.StatusGatewayTimeout, api.CodeUnavailable, "%s: the tunnel is still not up; the agent keeps trying", name)
		case st, ok := <-updates:
			if !ok {
				return apiError(http.StatusServiceUnavailable, api.CodeUnavailable, "the agent is stopping")
			}
			nw, found := st.NetworkByName(id)
			last = nw.TunnelState
			switch {
			case !found:
				return apiError(http.StatusNotFound, api.CodeNotFound, "network %s is gone", name)
			case nw.TunnelState == TunnelConnected:
				return nil
			case nw.TunnelState == TunnelRetrying && nw.Error != "":
				return apiError(http.StatusServiceUnavailable, api.CodeUnavailable, "%s: %s (retrying)", name, nw.Error)
			case !nw.WantConnected:
				return apiError(http.StatusConflict, api.CodeConflict, "%s was disconnected", name)
			case nw.State != api.StateActive && nw.State != api.StateStanding:
				return apiError(http.StatusConflict, api.CodeConflict, "%s is no longer active", name)
			}
		}
	}
}

// Disconnect turns a network's toggle off: its tunnel goes down at once.
func (a *Agent) Disconnect(ctx context.Context, name string) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	_, id, _, _, err := a.lookupLocked(name)
	if err != nil {
		return err
	}
	p := a.prefs.Networks[id]
	if p == nil {
		p = &netPrefs{}
		a.prefs.Networks[id] = p
	}
	p.WantConnected = false
	a.savePrefsLocked()
	a.reconcileLocked()
	return nil
}

// Prefs returns the preferences.
func (a *Agent) Prefs() localapi.Prefs {
	a.mu.Lock()
	defer a.mu.Unlock()
	return localapi.Prefs{ConnectOnApproval: a.prefs.ConnectOnApproval}
}

// SetPrefs changes the preferences.
func (a *Agent) SetPrefs(ctx context.Context, in localapi.PrefsInput) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if in.ConnectOnApproval != nil {
		a.prefs.ConnectOnApproval = *in.ConnectOnApproval
	}
	a.savePrefsLocked()
	a.reconcileLocked()
	return nil
}
