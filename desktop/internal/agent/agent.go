// Package agent is the heart of gatepassd: it signs in to the backend,
// keeps one watch stream of the user's networks, derives each network's
// desktop state, and brings WireGuard tunnels up and down.
//
// Decisions live in one place, reconcileLocked (reconcile.go), called after
// every change (an event, a call's answer, a user action, a timer, a
// bring-up's result, a first handshake): a network's tunnel is wanted iff
// the network is active (or standing) AND the user wants it connected.
// Each network's tunnel has an explicit state moved by one pure function,
// StepTunnel (tunnelstate.go, with its diagram): reconcile turns what
// happened into the state machine's events and carries out the actions it
// returns. "Active" is derived with the server clock (the agent's clock
// corrected by the offset measured from the server times the backend
// sends), and one timer at the earliest expires_at, scheduled starts_at
// or bring-up retry runs reconcile again, so a tunnel goes down at expiry
// even when the backend is unreachable (the agent fails closed), and a
// scheduled grant's tunnel comes up at its start to the second on the
// server clock, without waiting for the backend's word. (The gateway drops the peer at
// expiry regardless: that is the enforcement; this teardown is for the
// user.)
//
// The files: agent.go (options, start, stop), session.go (sign-in state,
// the watch stream and its reconnections), reconcile.go (the one place
// that decides), tunnels.go (bringing tunnels up and watching for their
// first handshake), tunnelstate.go (the tunnel state machine), status.go
// (the LocalAPI status and its watchers), actions.go (the user's actions),
// devices.go, credentials.go, files.go, errors.go.
//
// Reconnecting uses the desktop's one back-off (internal/backoff): the
// watch stream 1 s doubling to 30 s with jitter, reset once a snapshot
// arrives; a tunnel's failed bring-ups 1 s doubling to 30 s, retried by the
// agent's timer.
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
// Every time comparison about grants uses the injected clock (clockwork):
// tests move it. Transport timing (HTTP timeouts, the watch's idle guard,
// keyring calls, polling a new tunnel for its first handshake) uses real
// time: it is about the network, not about grants.
package agent

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/jonboulle/clockwork"

	"gatepass.dev/desktop/internal/localapi"
	"gatepass.dev/desktop/internal/tunnel"
	"gatepass.dev/shared/api"
	"gatepass.dev/shared/backoff"
	"gatepass.dev/shared/client"
	"gatepass.dev/shared/wgkey"
)

// Timing of the backend connection.
var (
	// watchBackoff spaces the watch stream's reconnections (with jitter).
	watchBackoff = backoff.Policy{Min: time.Second, Max: 30 * time.Second}
	// tunnelBackoff spaces a network's failed tunnel bring-ups.
	tunnelBackoff = backoff.Policy{Min: time.Second, Max: 30 * time.Second}
)

const (
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
	key        wgkey.Key // private: never leaves the process but to the tunnel backend
	registered bool      // the device was registered in this session
	removing   bool      // this device is being removed (its token dies with it)
	ctx        context.Context
	cancel     context.CancelFunc
}

// netState is what the agent holds about one network.
type netState struct {
	view api.MyNetwork // the backend's latest view

	// The tunnel: its state (StepTunnel) and what goes with it.
	tstate    localapi.TunnelState
	tun       tunnel.Tunnel      // the running tunnel (handshaking, connected), or nil
	cfg       *api.TunnelConfig  // its configuration
	up        *bringUp           // the bring-up in flight (connecting), or nil
	result    *bringUpResult     // a bring-up's result reconcile has not taken yet
	handshake bool               // tun's first handshake was seen
	stopWatch context.CancelFunc // ends the wait for tun's first handshake
	err       string             // why the last bring-up failed
	failures  int                // consecutive failed bring-ups
	retryAt   time.Time          // agent clock: no bring-up before (retrying)
}

type bringUp struct {
	gen    uint64
	cancel context.CancelFunc
}

// bringUpResult is what a bring-up came back with: a tunnel and its
// config, or an error.
type bringUpResult struct {
	tun tunnel.Tunnel
	cfg api.TunnelConfig
	err error
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

// start is when a scheduled grant (or a pending request for later)
// starts, or nil.
func (n *netState) start() *time.Time {
	if n.view.StartsAt != nil {
		return n.view.StartsAt
	}
	if r := n.view.Request; r != nil && (r.Status == api.StatusApproved || r.Status == api.StatusPending) {
		return r.StartsAt
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
	for id, n := range a.nets {
		a.stepLocked(id, n, EvUnwant, tunnelCause{why: "agent stopping"})
	}
	for ch := range a.subs {
		close(ch)
		delete(a.subs, ch)
	}
	a.mu.Unlock()
	a.wg.Wait()
	return nil
}
