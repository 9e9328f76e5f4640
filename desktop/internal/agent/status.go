package agent

// The status the LocalAPI shows, and its watchers.

import (
	"encoding/json"
	"fmt"
	"sort"
	"time"

	"gatepass.dev/desktop/internal/localapi"
	"gatepass.dev/shared/api"
)

// Status returns the agent's status.
func (a *Agent) Status() localapi.Status {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.statusLocked()
}

func (a *Agent) statusLocked() localapi.Status {
	now := a.clock.Now()
	serverNow := now.Add(a.offset)
	socks, httpProxy := a.backend.Proxies()
	st := localapi.Status{
		SignedIn: a.sess != nil, Server: a.lastServer, Networks: []localapi.Network{},
		SOCKS5: socks, HTTPProxy: httpProxy, TunnelMode: a.backend.Kind(),
		SOCKS5URL: proxyURL("socks5h", socks, a.proxyAuth), HTTPProxyURL: proxyURL("http", httpProxy, a.proxyAuth),
		BackendReachable: a.sess != nil && a.reachable, ClockOffsetMS: a.offset.Milliseconds(),
		ServerTime: serverNow.UTC().Round(0), Prefs: localapi.Prefs{ConnectOnApproval: a.prefs.ConnectOnApproval},
		Message: a.message,
	}
	if pa := a.proxyAuth; pa != nil {
		st.ProxyAuth = &localapi.ProxyAuth{Username: pa.Username, Password: pa.Password}
	}
	if s := a.sess; s != nil {
		u := s.state.User
		st.User = &u
		st.Device = &localapi.Device{ID: s.state.DeviceID, Name: s.state.DeviceName, PublicKey: s.key.Public().String()}
	}
	for id, n := range a.nets {
		state := n.state(serverNow)
		nw := localapi.Network{
			ID: id, Name: n.view.Name, Description: n.view.Description, JITEnabled: n.view.JITEnabled,
			State: state, Connected: n.tun != nil, Connecting: n.up != nil, TunnelState: n.tstate, Request: n.view.Request,
			DefaultDurationSeconds: n.view.DefaultDurationSeconds, MaxDurationSeconds: n.view.MaxDurationSeconds,
			Error: n.err, RequiredApprovals: n.view.RequiredApprovals, BreakGlass: n.view.BreakGlass,
		}
		if state == api.StateScheduled || state == api.StatePending {
			if start := n.start(); start != nil {
				s := start.UTC()
				nw.StartsAt = &s
			}
		}
		if state == api.StateActive {
			nw.Extension = n.view.Extension
			nw.MaxExtensionSeconds = n.view.MaxExtensionSeconds
		}
		if state == api.StateActive || state == api.StateStanding {
			nw.BreakGlass = nil // access already: nothing to break
		}
		if p := a.prefs.Networks[id]; p != nil {
			nw.WantConnected = p.WantConnected
		}
		if state == api.StateActive {
			if exp := n.expiry(); exp != nil {
				e := exp.UTC()
				nw.ExpiresAt = &e
			}
		}
		switch {
		case n.cfg != nil:
			nw.Address = n.cfg.Address
		case a.sess != nil:
			nw.Address = a.sess.state.Addresses[id]
		}
		if n.tun != nil {
			ts := n.tun.Status()
			nw.Tunnel = &localapi.TunnelStats{RxBytes: ts.RxBytes, TxBytes: ts.TxBytes}
			if !ts.LastHandshake.IsZero() {
				h := ts.LastHandshake.UTC()
				nw.Tunnel.LastHandshake = &h
			}
		}
		st.Networks = append(st.Networks, nw)
	}
	sort.Slice(st.Networks, func(i, j int) bool {
		if st.Networks[i].Name != st.Networks[j].Name {
			return st.Networks[i].Name < st.Networks[j].Name
		}
		return st.Networks[i].ID < st.Networks[j].ID
	})
	return st
}

// Subscribe implements localapi.Service.
func (a *Agent) Subscribe() (<-chan localapi.Status, func()) {
	ch := make(chan localapi.Status, 1)
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.closed {
		close(ch)
		return ch, func() {}
	}
	ch <- a.statusLocked()
	a.subs[ch] = struct{}{}
	return ch, func() {
		a.mu.Lock()
		defer a.mu.Unlock()
		if _, ok := a.subs[ch]; ok {
			delete(a.subs, ch)
			close(ch)
		}
	}
}

// broadcastLocked sends the status to every watcher if it changed (the
// server time, sub-second offset jitter and tunnel counters alone are not
// changes). A watcher that has not read the previous one gets the newest
// in its place.
func (a *Agent) broadcastLocked() {
	st := a.statusLocked()
	fp := fingerprint(st)
	if fp == a.lastFP {
		return
	}
	a.lastFP = fp
	for ch := range a.subs {
		select {
		case ch <- st:
		default:
			select {
			case <-ch:
			default:
			}
			ch <- st
		}
	}
}

func fingerprint(st localapi.Status) string {
	st.ServerTime = time.Time{}
	st.ClockOffsetMS = st.ClockOffsetMS / 1000
	nets := make([]localapi.Network, len(st.Networks))
	for i, n := range st.Networks {
		n.Tunnel = nil
		nets[i] = n
	}
	st.Networks = nets
	b, err := json.Marshal(st)
	if err != nil {
		return fmt.Sprint(err)
	}
	return string(b)
}

func (a *Agent) savePrefsLocked() {
	if err := writeJSONFile(a.path(prefsFile), a.prefs); err != nil {
		a.log.Warn("could not save preferences", "err", err)
	}
}
