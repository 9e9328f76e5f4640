// Package gatewayhub is the server's side of the gateways: which gateway
// serves each network, the desired State of each network's gateway, and
// its delivery — in-process to the embedded gateway, over the watch stream
// to a remote one (gatepass-gateway at the site it guards).
//
// # Who serves a network
//
// Every network gets an embedded gateway (a gateways row of kind
// "embedded"; its device runs in gatepass-server with the key kept in the
// database, as the same gateway.Runtime a remote gateway runs: the server
// "enrolls it to itself"). An admin adds a remote gateway to a network
// (AddGateway): a gateways row waiting for its enrollment, with a one-time
// enroll token (only its hash is stored; it expires, by default after a
// day). gatepass-gateway generates its key pair on its host and enrolls
// (Enroll) with the token and its public key: the token works once, the
// key must be a usable Curve25519 key that is no device's and no gateway's.
// The enrollment gives the gateway its credential (a random secret; only
// its hash is stored) and, in the same transaction, replaces the network's
// embedded gateway: its device closes, and tunnel configs from then on
// carry the remote gateway's public key and endpoint. At most one remote
// gateway per network is live (waiting or enrolled). Revoking it (the
// embedded one cannot be revoked) leaves the network with no gateway — the
// server does not start routing into a network from its own host behind
// the admin's back — until another is enrolled; tunnel configs are then
// refused (503). Clients whose tunnel is up when their network changes
// gateway keep the old gateway's key until they reconnect.
//
// # The desired State
//
// A network's State is computed from the database by access.DesiredPeers
// (the one rule of who may pass) at the clock's now: at start, after every
// bus change that concerns the gateways (for that network, or all), at the
// next expires_at of any peer (the hub's own timer, besides each Runtime's),
// after the expiry scheduler's sweeps, and every Resync. It is delivered
// only when it differs from the last one (network or peers); each delivery
// has a new revision (increasing within one server process).
//
// Reads of the database are never made while the hub's lock is held
// (syncMu orders the recomputations; mu guards the memory), so that an
// approval, which holds the database's write lock while it calls Prepare,
// cannot deadlock with a recomputation.
//
// # Approval: the peer first
//
// Prepare runs inside the approval's transaction: it computes the State
// with the new grant's peers from the transaction and delivers it at once —
// applied to the embedded device before the commit, or written to the
// remote gateway's stream before the commit (the gateway applies it within
// a round trip, while the client still has to hear of the approval and
// fetch its config). Until the transaction has ended, no recomputation
// (which reads committed data and cannot see the grant) takes those peers
// away; after it, the network is recomputed, so a rolled-back approval's
// peers leave at once.
//
// # Streams, reports, liveness
//
// A remote gateway holds one watch stream (httpapi): the full State on
// connect and after every change, a ping with the server time at least
// every lease/4, and "revoked" (then the end) when an admin revokes it.
// It reports its peers' handshakes and byte counts about every 10 s; the
// latest report is kept in the database (any replica can show it) and is
// what the admin page shows for the network's peers. A remote gateway is
// online while its last contact (connect, report) is within the lease.
package gatewayhub

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"reflect"
	"sync"
	"time"

	"github.com/jonboulle/clockwork"

	"gatepass.dev/backend/internal/access"
	"gatepass.dev/backend/internal/clockutil"
	"gatepass.dev/backend/internal/events"
	"gatepass.dev/backend/internal/gateway"
	"gatepass.dev/backend/internal/store"
	"gatepass.dev/shared/api"
	"gatepass.dev/shared/wgkey"
)

// Defaults.
const (
	// DefaultLease is how long a remote gateway keeps its JIT peers without
	// a word from the server.
	DefaultLease = 60 * time.Second
	// DefaultEnrollTTL is how long an enroll token works.
	DefaultEnrollTTL = 24 * time.Hour
	// MaxEnrollTTL is the longest an admin may ask for.
	MaxEnrollTTL = 30 * 24 * time.Hour
	// Resync is the period of the full recomputation that catches anything
	// missed.
	Resync = time.Minute
)

// Options configure a Hub.
type Options struct {
	DB    *store.DB
	Bus   *events.Bus
	Clock clockwork.Clock
	Log   *slog.Logger
	// Backend opens the embedded gateways' devices.
	Backend gateway.Backend
	// Lease is sent to remote gateways (default DefaultLease).
	Lease time.Duration
	// PublicURL is the server's URL for the enrollment command.
	PublicURL func() string
}

// netHub is one network's gateway as the hub holds it.
type netHub struct {
	n        store.Network
	gw       store.Gateway // the active gateway; ID "" for none
	desired  []store.GatewayPeer
	prepared map[string]prepared // peers of approvals not settled or not yet read back
	state    api.GatewayState    // the last delivered
	rt       *gateway.Runtime    // embedded
	rtStop   context.CancelFunc
	subs     map[*Stream]struct{}
}

type prepared struct {
	peer store.GatewayPeer
	seq  uint64 // MaxUint64 while the transaction is open; then the settle's sequence
}

// Hub runs the embedded gateways and feeds the remote ones.
type Hub struct {
	opt Options
	log *slog.Logger

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
	wake   chan struct{}
	once   sync.Once

	syncMu sync.Mutex
	mu     sync.Mutex
	nets   map[string]*netHub
	seq    uint64          // counts settled Prepare calls
	rev    uint64          // the last revision given
	next   time.Time       // the earliest expires_at among desired peers, or start of a scheduled grant
	armed  time.Time       // when Run's timer fires next
	full   bool            // a full recomputation is asked for
	dirty  map[string]bool // networks to recompute
	closed bool
}

// New returns a hub; call Sync once, then Run.
func New(opt Options) *Hub {
	if opt.Clock == nil {
		opt.Clock = clockwork.NewRealClock()
	}
	if opt.Log == nil {
		opt.Log = slog.Default()
	}
	if opt.Lease <= 0 {
		opt.Lease = DefaultLease
	}
	if opt.PublicURL == nil {
		opt.PublicURL = func() string { return "http://localhost:8080" }
	}
	if opt.Backend == nil {
		opt.Backend = gateway.Off{}
	}
	h := &Hub{opt: opt, log: opt.Log, wake: make(chan struct{}, 1), nets: map[string]*netHub{}, dirty: map[string]bool{},
		rev: uint64(opt.Clock.Now().UnixMilli())}
	h.ctx, h.cancel = context.WithCancel(context.Background())
	return h
}

// Kind is the embedded gateways' backend ("netstack", "tun" or "off").
func (h *Hub) Kind() string { return h.opt.Backend.Kind() }

// Lease is the lease given to remote gateways.
func (h *Hub) Lease() time.Duration { return h.opt.Lease }

// Wake asks for a full recomputation now.
func (h *Hub) Wake() {
	h.mu.Lock()
	h.full = true
	h.mu.Unlock()
	h.poke()
}

func (h *Hub) markDirty(networkID string) {
	h.mu.Lock()
	h.dirty[networkID] = true
	h.mu.Unlock()
	h.poke()
}

func (h *Hub) poke() {
	select {
	case h.wake <- struct{}{}:
	default:
	}
}

// NextWake is when Run's timer fires next: the next expiry, the next
// start of a scheduled grant, or the periodic resync.
func (h *Hub) NextWake() time.Time {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.armed
}

// Run recomputes when woken, at the next expiry or scheduled start, and every Resync, until ctx
// ends (then it closes the hub) or Close.
func (h *Hub) Run(ctx context.Context) {
	defer h.Close()
	for {
		h.mu.Lock()
		full, dirty := h.full, h.dirty
		h.full, h.dirty = false, map[string]bool{}
		h.mu.Unlock()
		var err error
		if full {
			err = h.Sync(ctx)
		} else {
			for id := range dirty {
				err = errors.Join(err, h.SyncNetwork(ctx, id))
			}
		}
		if err != nil && ctx.Err() == nil && h.ctx.Err() == nil {
			h.log.Error("gateway: sync", "err", err)
		}
		deadline := h.opt.Clock.Now().Add(Resync)
		h.mu.Lock()
		if !h.next.IsZero() && h.next.Before(deadline) {
			deadline = h.next
		}
		h.armed = deadline
		h.mu.Unlock()
		timer := clockutil.TimerUntil(h.opt.Clock, deadline)
		select {
		case <-ctx.Done():
			timer.Stop()
			return
		case <-h.ctx.Done():
			timer.Stop()
			return
		case <-h.wake:
		case <-timer.Chan():
			h.mu.Lock()
			h.full = true
			h.mu.Unlock()
		}
		timer.Stop()
	}
}

// plan is what one network's recomputation reads from the database,
// before the hub's lock is taken.
type plan struct {
	n       store.Network
	gw      store.Gateway
	desired []store.GatewayPeer
	seq     uint64    // h.seq when the plan was read
	start   time.Time // the next start of a scheduled grant; zero for none
	// For an embedded gateway that is not running yet.
	key       wgkey.Key
	endpoints map[string]string
}

func (h *Hub) load(ctx context.Context, n store.Network, now time.Time) (plan, error) {
	h.mu.Lock()
	p := plan{n: n, seq: h.seq}
	nh := h.nets[n.ID]
	running := nh != nil && nh.rt != nil
	h.mu.Unlock()
	var err error
	p.gw, err = store.ActiveGateway(ctx, h.opt.DB, n.ID)
	if errors.Is(err, store.ErrNotFound) {
		return p, nil // no gateway: nothing to deliver
	}
	if err != nil {
		return p, err
	}
	if p.desired, err = access.DesiredPeers(ctx, h.opt.DB, n.ID, now); err != nil {
		return p, err
	}
	if p.start, err = access.NextStart(ctx, h.opt.DB, n.ID, now); err != nil {
		return p, err
	}
	if p.gw.Kind == api.GatewayEmbedded && (!running || nh.gw.ID != p.gw.ID) {
		if p.key, err = h.privateKey(ctx, n.ID); err != nil {
			return p, err
		}
		if p.endpoints, err = store.GatewayEndpoints(ctx, h.opt.DB, n.ID); err != nil {
			h.log.Warn("gateway: saved endpoints", "network", n.Name, "err", err)
		}
	}
	return p, nil
}

// Sync recomputes every network now.
func (h *Hub) Sync(ctx context.Context) error {
	h.syncMu.Lock()
	defer h.syncMu.Unlock()
	nets, err := store.ListNetworks(ctx, h.opt.DB)
	if err != nil {
		return err
	}
	now := h.opt.Clock.Now()
	var errs []error
	var plans []plan
	seen := map[string]bool{}
	for _, n := range nets {
		seen[n.ID] = true
		p, err := h.load(ctx, n, now)
		if err != nil {
			errs = append(errs, fmt.Errorf("network %s: %w", n.Name, err))
			continue
		}
		plans = append(plans, p)
	}
	var closing []func()
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		return nil
	}
	h.next = time.Time{}
	for _, p := range plans {
		closing = append(closing, h.applyPlanLocked(p, now)...)
	}
	for id, nh := range h.nets {
		if !seen[id] {
			h.log.Info("gateway: network removed", "network", nh.n.Name)
			closing = append(closing, h.dropLocked(nh, "the network was deleted")...)
			delete(h.nets, id)
		}
	}
	h.mu.Unlock()
	for _, c := range closing {
		c()
	}
	return errors.Join(errs...)
}

// SyncNetwork recomputes one network now (after a change to it).
func (h *Hub) SyncNetwork(ctx context.Context, networkID string) error {
	h.syncMu.Lock()
	defer h.syncMu.Unlock()
	n, err := store.NetworkByID(ctx, h.opt.DB, networkID)
	if errors.Is(err, store.ErrNotFound) {
		h.Wake() // deleted: the full sync drops it
		return nil
	}
	if err != nil {
		return err
	}
	now := h.opt.Clock.Now()
	p, err := h.load(ctx, n, now)
	if err != nil {
		return err
	}
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		return nil
	}
	before := h.next
	closing := h.applyPlanLocked(p, now)
	moved := !h.next.Equal(before)
	h.mu.Unlock()
	for _, c := range closing {
		c()
	}
	if moved {
		h.poke() // re-arm the timer
	}
	return nil
}

// applyPlanLocked takes in a network's plan and delivers its State. It
// returns what must be closed once the lock is released (a replaced
// embedded device saves its endpoints to the database on close).
func (h *Hub) applyPlanLocked(p plan, now time.Time) []func() {
	nh := h.nets[p.n.ID]
	if nh == nil {
		nh = &netHub{prepared: map[string]prepared{}, subs: map[*Stream]struct{}{}}
		h.nets[p.n.ID] = nh
	}
	var closing []func()
	if nh.gw.ID != p.gw.ID {
		closing = h.dropLocked(nh, "the gateway was revoked by an admin")
		nh.gw = p.gw
		nh.state = api.GatewayState{}
	}
	nh.n, nh.desired = p.n, p.desired
	for key, ps := range nh.prepared {
		if ps.seq <= p.seq {
			delete(nh.prepared, key) // the plan was read after the approval settled: it decides
		}
	}
	for _, d := range p.desired {
		if !d.ExpiresAt.IsZero() && (h.next.IsZero() || d.ExpiresAt.Before(h.next)) {
			h.next = d.ExpiresAt
		}
	}
	if !p.start.IsZero() && (h.next.IsZero() || p.start.Before(h.next)) {
		h.next = p.start // a scheduled grant's peer comes at the second of its start
	}
	if nh.gw.ID == "" {
		return closing
	}
	if nh.gw.Kind == api.GatewayEmbedded && nh.rt == nil {
		h.startRuntimeLocked(nh, p)
	}
	h.deliverLocked(nh, now)
	return closing
}

// dropLocked ends what a network's gateway had: the embedded runtime (the
// returned closer) and the remote streams ("revoked", with msg).
func (h *Hub) dropLocked(nh *netHub, msg string) []func() {
	var closing []func()
	if nh.rt != nil {
		rt, stop := nh.rt, nh.rtStop
		closing = append(closing, func() { stop(); rt.Close() })
		nh.rt, nh.rtStop = nil, nil
	}
	for s := range nh.subs {
		s.end(msg)
		delete(nh.subs, s)
	}
	return closing
}

// startRuntimeLocked starts a network's embedded gateway.
func (h *Hub) startRuntimeLocked(nh *netHub, p plan) {
	rt := gateway.NewRuntime(gateway.Options{Backend: h.opt.Backend, PrivateKey: p.key, Clock: h.opt.Clock, Log: h.log, NoLease: true,
		Endpoints: &dbEndpoints{db: h.opt.DB, clock: h.opt.Clock, networkID: p.n.ID, loaded: p.endpoints}})
	ctx, stop := context.WithCancel(h.ctx)
	nh.rt, nh.rtStop = rt, stop
	h.wg.Add(1)
	go func() {
		defer h.wg.Done()
		rt.Run(ctx)
	}()
}

// deliverLocked builds a network's State (the desired peers and the
// prepared ones) and, when it changed, gives it to the embedded runtime or
// the remote streams.
func (h *Hub) deliverLocked(nh *netHub, now time.Time) {
	st := h.stateLocked(nh, now)
	if nh.state.Revision != 0 && reflect.DeepEqual(nh.state.Network, st.Network) && reflect.DeepEqual(nh.state.Peers, st.Peers) {
		if nh.rt != nil && nh.rt.Status().Error != "" {
			_ = nh.rt.Apply(nh.state) // the device did not open: try again
		}
		return
	}
	h.rev++
	st.Revision = h.rev
	nh.state = st
	if nh.rt != nil {
		if err := nh.rt.Apply(st); err != nil {
			h.log.Error("gateway: apply", "network", nh.n.Name, "err", err)
		}
	}
	for s := range nh.subs {
		s.push(st)
	}
}

// Close stops the hub: the embedded devices close (saving their
// endpoints) and the remote streams end.
func (h *Hub) Close() { h.once.Do(h.close) }

func (h *Hub) close() {
	h.cancel()
	h.mu.Lock()
	h.closed = true
	var closing []func()
	for id, nh := range h.nets {
		if nh.rt != nil {
			rt, stop := nh.rt, nh.rtStop
			closing = append(closing, func() { stop(); rt.Close() })
			nh.rt = nil
		}
		for s := range nh.subs {
			s.end("")
		}
		delete(h.nets, id)
	}
	h.mu.Unlock()
	h.wg.Wait()
	for _, c := range closing {
		c()
	}
}
