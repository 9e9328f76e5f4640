// Package agent is the heart of gatepassd: it signs in to the backend,
// keeps one watch stream of the user's networks, derives each network's
// desktop state, and brings WireGuard tunnels up and down.
//
// Decisions live in one place, reconcileLocked, called after every change
// (an event, a call's answer, a user action, a timer): a network's tunnel
// is up iff the network is active (or standing) AND the user wants it
// connected. "Active" is derived with the server clock (the agent's clock
// corrected by the offset measured from the server times the backend
// sends), and a timer at the earliest expires_at runs reconcile again, so a
// tunnel goes down at expiry even when the backend is unreachable: the
// agent fails closed. (The gateway drops the peer at expiry regardless:
// that is the enforcement; this teardown is for the user.)
//
// The login token is kept by a Store (the OS keyring, else a 0600 file);
// the device's WireGuard private key is generated on the device at the
// first sign-in of an account and kept 0600 in the state dir; only its
// public key is sent to the backend. Neither is ever logged or returned by
// the LocalAPI.
//
// The server clock offset is measured by the agent itself, from the
// server_time of every answer and stream event against its own clock (the
// midpoint of a call), not with client.Offset, which compares with
// time.Now() and so could not follow an injected clock.
//
// Every time comparison uses the injected clock (clockwork): tests move it.
// Transport timeouts (HTTP, the watch's idle guard, keyring calls) use real
// time: they are about the network, not about grants.
package agent

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/jonboulle/clockwork"

	"gatepass.dev/desktop/internal/localapi"
	"gatepass.dev/desktop/internal/tunnel"
	"gatepass.dev/shared/api"
	"gatepass.dev/shared/client"
)

// Back-off of the watch stream's reconnections and of tunnel bring-ups.
const (
	backoffMin = time.Second
	backoffMax = 30 * time.Second
	// watchIdle ends a watch stream that sent nothing (the backend pings
	// every 25 s) for this long: the connection is dead.
	watchIdle = 90 * time.Second
	// callTimeout bounds one backend call.
	callTimeout = 30 * time.Second
)

// Options configure an Agent.
type Options struct {
	// StateDir holds prefs, session, device keys (required).
	StateDir string
	// Backend brings tunnels up (required).
	Backend tunnel.Backend
	// Clock is the agent's clock (default: the real one).
	Clock clockwork.Clock
	// Credentials keep the login token (default: NewCredentialStore(StateDir)).
	Credentials Store
	// HTTPClient talks to the backend (default: one with dial, TLS and
	// header timeouts and no overall timeout, for the watch stream).
	HTTPClient *http.Client
	// DefaultServer is the backend URL used by a login that names none.
	DefaultServer string
	// DeviceName is sent with the public key (default: the host name).
	DeviceName string
	// ConnectTimeout bounds how long Connect waits for the tunnel (default 30 s).
	ConnectTimeout time.Duration
	Logger         *slog.Logger
}

// Agent is the running agent. It implements localapi.Service.
type Agent struct {
	opts    Options
	clock   clockwork.Clock
	log     *slog.Logger
	backend tunnel.Backend
	// proxyAuth is what the backend's proxies demand (nil: nothing).
	proxyAuth *tunnel.ProxyAuth
	creds     Store
	hc        *http.Client

	ctx  context.Context // until Close
	stop context.CancelFunc
	wg   sync.WaitGroup

	mu         sync.Mutex
	closed     bool
	sess       *session // nil: signed out
	lastServer string   // shown while signed out
	message    string   // why we were signed out, if not by the user
	prefs      prefsState
	nets       map[string]*netState
	offset     time.Duration // server clock − agent clock
	reachable  bool
	timer      clockwork.Timer
	gen        uint64
	subs       map[chan localapi.Status]struct{}
	lastFP     string
}

var _ localapi.Service = (*Agent)(nil)

// session is one signed-in account.
type session struct {
	state      sessionState // DeviceID and Addresses change under Agent.mu
	client     *client.Client
	key        tunnel.Key // private: never leaves the process but to the tunnel backend
	registered bool       // the device was registered in this session
	removing   bool       // this device is being removed (its token dies with it)
	ctx        context.Context
	cancel     context.CancelFunc
}

// netState is what the agent holds about one network.
type netState struct {
	view     api.MyNetwork     // the backend's latest view
	tun      tunnel.Tunnel     // the running tunnel, or nil
	cfg      *api.TunnelConfig // its configuration
	up       *bringUp          // a bring-up in flight, or nil
	err      string            // why the last bring-up failed
	failures int               // consecutive failed bring-ups
	retryAt  time.Time         // agent clock: no bring-up before
}

type bringUp struct {
	gen    uint64
	cancel context.CancelFunc
}

func (n *netState) expiry() *time.Time {
	if n.view.ExpiresAt != nil {
		return n.view.ExpiresAt
	}
	if r := n.view.Request; r != nil && r.Status == api.StatusApproved {
		return r.ExpiresAt
	}
	return nil
}

func (n *netState) state(serverNow time.Time) api.NetworkState {
	return Derive(n.view.Request, n.view.JITEnabled, n.view.State, n.view.ExpiresAt, serverNow)
}

// New starts an agent. A session saved by an earlier run is resumed (its
// token from the Store): the watch starts at once.
func New(opts Options) (*Agent, error) {
	if opts.StateDir == "" {
		return nil, errors.New("agent: no state dir")
	}
	if opts.Backend == nil {
		return nil, errors.New("agent: no tunnel backend")
	}
	if opts.Clock == nil {
		opts.Clock = clockwork.NewRealClock()
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Credentials == nil {
		opts.Credentials = NewCredentialStore(opts.StateDir, opts.Logger)
	}
	if opts.HTTPClient == nil {
		opts.HTTPClient = defaultHTTPClient()
	}
	if opts.DeviceName == "" {
		opts.DeviceName, _ = os.Hostname()
		if opts.DeviceName == "" {
			opts.DeviceName = "device"
		}
	}
	if opts.ConnectTimeout == 0 {
		opts.ConnectTimeout = 30 * time.Second
	}
	opts.DefaultServer = strings.TrimRight(opts.DefaultServer, "/")
	if err := os.MkdirAll(opts.StateDir, 0o700); err != nil {
		return nil, fmt.Errorf("agent: state dir: %w", err)
	}
	a := &Agent{
		opts: opts, clock: opts.Clock, log: opts.Logger, backend: opts.Backend, creds: opts.Credentials, hc: opts.HTTPClient,
		prefs: defaultPrefs(), nets: map[string]*netState{}, subs: map[chan localapi.Status]struct{}{},
		lastServer: opts.DefaultServer, proxyAuth: opts.Backend.ProxyAuth(),
	}
	a.ctx, a.stop = context.WithCancel(context.Background())
	if _, err := readJSONFile(a.path(prefsFile), &a.prefs); err != nil {
		a.log.Warn("preferences unreadable: using the defaults", "err", err)
		a.prefs = defaultPrefs()
	}
	if a.prefs.Networks == nil {
		a.prefs.Networks = map[string]*netPrefs{}
	}
	a.resume()
	return a, nil
}

func defaultHTTPClient() *http.Client {
	return &http.Client{Transport: &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 15 * time.Second}).DialContext,
		TLSHandshakeTimeout:   10 * time.Second,
		ResponseHeaderTimeout: 30 * time.Second,
		IdleConnTimeout:       90 * time.Second,
		ForceAttemptHTTP2:     true,
	}}
}

func (a *Agent) path(name string) string { return filepath.Join(a.opts.StateDir, name) }

// resume restores the saved session, if its token is still stored.
func (a *Agent) resume() {
	var ss sessionState
	ok, err := readJSONFile(a.path(sessionFile), &ss)
	if err != nil {
		a.log.Warn("saved session unreadable: signed out", "err", err)
		return
	}
	if !ok || ss.Server == "" || ss.Email == "" {
		return
	}
	a.lastServer = ss.Server
	tok, err := a.creds.Get(ss.Server, ss.Email)
	if err != nil {
		if !errors.Is(err, ErrNoCredentials) {
			a.log.Warn("login token unreadable", "err", err)
		}
		a.message = "signed out: the login token is gone, sign in again"
		return
	}
	key, isNew, err := loadOrCreateKey(keyPath(a.opts.StateDir, ss.Server, ss.Email))
	if err != nil {
		a.log.Error("device key", "err", err)
		a.message = err.Error()
		return
	}
	s := &session{state: ss, key: key, registered: !isNew && ss.DeviceID != "",
		client: client.New(ss.Server, client.WithHTTPClient(a.hc), client.WithToken(tok))}
	if isNew {
		s.state.DeviceID = "" // a new key is a new device
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	a.startSessionLocked(s)
	a.log.Info("resumed session", "server", ss.Server, "email", ss.Email)
}

// Close signs nothing out but stops the agent: tunnels down, watch ended.
// The tunnel backend is the caller's to close.
func (a *Agent) Close() error {
	a.stop()
	a.mu.Lock()
	a.closed = true
	if a.timer != nil {
		a.timer.Stop()
		a.timer = nil
	}
	if a.sess != nil {
		a.sess.cancel()
	}
	for _, n := range a.nets {
		a.stopTunnelLocked(n, "agent stopping")
	}
	for ch := range a.subs {
		close(ch)
		delete(a.subs, ch)
	}
	a.mu.Unlock()
	a.wg.Wait()
	return nil
}

// ---- sessions ----

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
		a.stopTunnelLocked(n, "signed out")
		delete(a.nets, id)
	}
	a.reachable = false
	a.reconcileLocked()
}

// runSession keeps the watch stream open, reconnecting with exponential
// back-off (1 s doubling to 30 s, with jitter, reset once a snapshot
// arrives); between attempts it falls back to GET /me/networks.
func (a *Agent) runSession(s *session) {
	bo := backoff{min: backoffMin, max: backoffMax}
	for s.ctx.Err() == nil {
		if !s.registered {
			if err := a.register(s); err != nil {
				if a.unauthorized(s, err) {
					return
				}
				a.log.Warn("device registration failed", "err", err)
			}
		}
		err := a.watchOnce(s, &bo)
		if s.ctx.Err() != nil {
			return
		}
		if a.unauthorized(s, err) {
			return
		}
		a.log.Warn("watch stream ended", "err", err)
		a.setReachable(s, false)
		if err := a.refresh(s.ctx, s); err != nil {
			if a.unauthorized(s, err) {
				return
			}
		}
		select {
		case <-s.ctx.Done():
			return
		case <-a.clock.After(bo.next()):
		}
	}
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

func (a *Agent) watchOnce(s *session, bo *backoff) error {
	ctx, cancel := context.WithCancel(s.ctx)
	defer cancel()
	idle := time.AfterFunc(watchIdle, cancel) // a dead connection, in real time
	defer idle.Stop()
	return s.client.Watch(ctx, func(ev api.Event) error {
		idle.Reset(watchIdle)
		if ev.Type == api.EventSnapshot {
			bo.reset()
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
			a.stopTunnelLocked(n, "network removed")
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
			a.stopTunnelLocked(n, "network removed")
			delete(a.nets, id)
		}
	}
}

func (a *Agent) upsertLocked(v api.MyNetwork) {
	if n, ok := a.nets[v.ID]; ok {
		n.view = v
		return
	}
	a.nets[v.ID] = &netState{view: v}
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

// ---- the one place that decides ----

// reconcileLocked derives every network's state on the server clock and
// makes the tunnels match: up iff (active or standing) and wanted. It arms
// one timer at the next moment a decision can change (the earliest
// expires_at, or a bring-up retry), then tells the watchers.
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
		p := a.prefs.Networks[id]
		if st == api.StateActive && n.view.Request != nil && (p == nil || p.AutoRequest != n.view.Request.ID) {
			// A new grant: "connect automatically on approval", once per grant.
			if p == nil {
				p = &netPrefs{}
				a.prefs.Networks[id] = p
			}
			p.AutoRequest = n.view.Request.ID
			if a.prefs.ConnectOnApproval {
				p.WantConnected = true
			}
			dirty = true
		}
		want := a.sess != nil && (st == api.StateActive || st == api.StateStanding) && p != nil && p.WantConnected
		switch {
		case !want:
			why := "the user disconnected"
			if st != api.StateActive && st != api.StateStanding {
				why = "the network is " + string(st)
			}
			a.stopTunnelLocked(n, why)
			n.err, n.failures, n.retryAt = "", 0, time.Time{}
		case n.tun == nil && n.up == nil && a.sess.state.DeviceID == "":
			// No device yet: register reconciles once it is registered.
		case n.tun == nil && n.up == nil:
			if !now.Before(n.retryAt) {
				a.startTunnelLocked(id, n)
			} else {
				next = earliest(next, n.retryAt)
			}
		}
		if st == api.StateActive {
			if exp := n.expiry(); exp != nil {
				next = earliest(next, exp.Add(-a.offset)) // the agent-clock instant of expiry
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

// stopTunnelLocked closes n's tunnel at once and abandons a bring-up.
func (a *Agent) stopTunnelLocked(n *netState, why string) {
	if n.up != nil {
		n.up.cancel()
		n.up = nil
	}
	if n.tun != nil {
		if err := n.tun.Close(); err != nil {
			a.log.Warn("tunnel close", "network", n.view.Name, "err", err)
		}
		a.log.Info("tunnel down", "network", n.view.Name, "why", why)
		n.tun, n.cfg = nil, nil
	}
}

// startTunnelLocked fetches the tunnel config and brings the tunnel up in
// the background; the result comes back through reconcileLocked.
func (a *Agent) startTunnelLocked(id string, n *netState) {
	s := a.sess
	a.gen++
	g := a.gen
	ctx, cancel := context.WithCancel(s.ctx)
	n.up = &bringUp{gen: g, cancel: cancel}
	name := n.view.Name
	a.wg.Add(1)
	go func() {
		defer a.wg.Done()
		a.bringUp(ctx, s, id, name, g)
	}()
}

func (a *Agent) bringUp(ctx context.Context, s *session, id, name string, g uint64) {
	a.mu.Lock()
	deviceID, key := s.state.DeviceID, s.key
	a.mu.Unlock()
	var (
		cfg api.TunnelConfig
		t   tunnel.Tunnel
		err error
	)
	sent := a.clock.Now()
	if deviceID == "" {
		err = errors.New("this device is not registered yet")
	} else {
		cctx, cancel := context.WithTimeout(ctx, callTimeout)
		cfg, err = s.client.Tunnel(cctx, id, deviceID)
		cancel()
	}
	recv := a.clock.Now()
	reached := err == nil
	var ae *api.Error
	if errors.As(err, &ae) {
		reached = true
	}
	if err == nil {
		var tc tunnel.Config
		if tc, err = tunnelConfig(cfg, key); err == nil {
			t, err = a.backend.Up(ctx, name, tc)
		}
	}

	a.mu.Lock()
	defer a.mu.Unlock()
	n := a.nets[id]
	if a.closed || a.sess != s || n == nil || n.up == nil || n.up.gen != g {
		if t != nil {
			t.Close() // no longer wanted
		}
		return
	}
	n.up.cancel()
	n.up = nil
	if reached {
		a.reachable = true
		a.observeLocked(cfg.ServerTime, sent, recv)
	} else {
		a.reachable = false
	}
	if err != nil {
		n.failures++
		n.err = "could not connect: " + errorText(err)
		n.retryAt = a.clock.Now().Add(retryDelay(n.failures))
		a.log.Warn("tunnel up failed", "network", name, "err", err, "retry_in", retryDelay(n.failures))
	} else {
		n.tun, n.cfg = t, &cfg
		n.err, n.failures, n.retryAt = "", 0, time.Time{}
		a.log.Info("tunnel up", "network", name, "address", cfg.Address)
	}
	a.reconcileLocked() // closes it at once if it is no longer wanted
}

func retryDelay(failures int) time.Duration {
	d := backoffMin
	for i := 1; i < failures && d < backoffMax; i++ {
		d *= 2
	}
	return min(d, backoffMax)
}

// tunnelConfig turns the backend's tunnel config into the tunnel's, with
// the device's private key.
func tunnelConfig(c api.TunnelConfig, key tunnel.Key) (tunnel.Config, error) {
	out := tunnel.Config{PrivateKey: key, Endpoint: c.Endpoint, PersistentKeepalive: time.Duration(c.PersistentKeepalive) * time.Second}
	var err error
	if out.Address, err = parsePrefix(c.Address); err != nil {
		return out, fmt.Errorf("tunnel config: address: %w", err)
	}
	if out.GatewayPublicKey, err = tunnel.ParseKey(c.GatewayPublicKey); err != nil {
		return out, fmt.Errorf("tunnel config: gateway key: %w", err)
	}
	if c.Endpoint == "" {
		return out, errors.New("tunnel config: no endpoint")
	}
	for _, s := range c.AllowedIPs {
		p, err := parsePrefix(s)
		if err != nil {
			return out, fmt.Errorf("tunnel config: allowed IPs: %w", err)
		}
		out.AllowedIPs = append(out.AllowedIPs, p)
	}
	for _, s := range c.DNS {
		ip, err := netip.ParseAddr(s)
		if err != nil {
			return out, fmt.Errorf("tunnel config: DNS: %w", err)
		}
		out.DNS = append(out.DNS, ip)
	}
	return out, nil
}

func parsePrefix(s string) (netip.Prefix, error) {
	if strings.Contains(s, "/") {
		return netip.ParsePrefix(s)
	}
	ip, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, err
	}
	return netip.PrefixFrom(ip, ip.BitLen()), nil
}

// ---- status and watchers ----

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
			State: state, Connected: n.tun != nil, Connecting: n.up != nil, Request: n.view.Request,
			DefaultDurationSeconds: n.view.DefaultDurationSeconds, MaxDurationSeconds: n.view.MaxDurationSeconds,
			Error: n.err,
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

// ---- back-off ----

type backoff struct {
	min, max time.Duration
	n        int
}

// next is the wait before the next attempt: min doubling up to max, each
// with jitter (between half and all of it).
func (b *backoff) next() time.Duration {
	d := b.min
	for i := 0; i < b.n && d < b.max; i++ {
		d *= 2
	}
	d = min(d, b.max)
	b.n++
	return d/2 + rand.N(d/2+1)
}

func (b *backoff) reset() { b.n = 0 }

// ---- errors ----

func errorText(err error) string {
	var ae *api.Error
	if errors.As(err, &ae) {
		return ae.Message
	}
	return err.Error()
}

var errNotSignedIn = &api.Error{Status: http.StatusUnauthorized, Code: api.CodeUnauthorized, Message: "not signed in: sign in to a Gatepass server first"}

// backendErr turns a backend call's error into the LocalAPI's: API errors
// pass through, anything else means the backend could not be reached.
func backendErr(server string, err error) error {
	var ae *api.Error
	if errors.As(err, &ae) {
		return ae
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		return &api.Error{Status: http.StatusGatewayTimeout, Code: api.CodeUnavailable, Message: "the Gatepass server at " + server + " did not answer in time"}
	}
	return &api.Error{Status: http.StatusServiceUnavailable, Code: api.CodeUnavailable, Message: "cannot reach the Gatepass server at " + server + ": " + err.Error()}
}

func apiError(status int, code api.ErrorCode, format string, args ...any) *api.Error {
	return &api.Error{Status: status, Code: code, Message: fmt.Sprintf(format, args...)}
}

// normalizeServer checks a backend URL and drops a trailing slash.
func normalizeServer(s string) (string, error) {
	s = strings.TrimRight(strings.TrimSpace(s), "/")
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", apiError(http.StatusBadRequest, api.CodeBadRequest, "server: %q is not an http(s) URL such as https://gatepass.example.com", s)
	}
	return s, nil
}
