// Package gateway is the enforcement of Gatepass: each network has a
// wireguard-go device, run in-process by gatepass-server, whose peers are
// exactly the devices allowed on the network at this instant — the devices
// of users with a valid grant, plus standing access (members of JIT-off
// networks, admins).
//
// The Manager reconciles: desired peers (from the database, at the clock's
// now) against the peers it added, applied as a diff — a new peer is added,
// a gone one removed, an unchanged one never touched (no replace_peers, no
// remove-and-re-add: either stalls the client for seconds). It runs at
// start, on every lifecycle change, at the next expires_at of any peer (its
// own timer, so a grant's peer goes at the second of expiry even if the
// expiry scheduler is busy), at the next start of a scheduled grant (so
// its peer comes at the second of its start), and on a periodic resync. Peers it did not add
// are left alone.
//
// A new grant's peers are added inside the approval's transaction (Prepare),
// before the client can learn of the approval, so its first handshake is
// answered.
package gateway

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net/netip"
	"strings"
	"sync"
	"time"

	"github.com/jonboulle/clockwork"

	"gatepass.dev/backend/internal/access"
	"gatepass.dev/backend/internal/clockutil"
	"gatepass.dev/backend/internal/store"
)

// Resync is the period of the full reconcile that catches anything missed.
const Resync = time.Minute

// kickKeepalive is the keepalive (seconds) of a peer restored with its last
// endpoint, until its first handshake.
const kickKeepalive = 5

type peer struct {
	store.GatewayPeer
}

type gwNet struct {
	spec    Spec
	dev     Device
	managed map[string]peer // by public key (base64)
	openErr error
	// endpoints are the peers' last UDP endpoints as saved in the database;
	// a peer added with a known endpoint is "kicked": the gateway sends a
	// keepalive at once, which starts a handshake, until one completes.
	endpoints map[string]string
	kicked    map[string]bool
	// prepared holds the sequence number of the Prepare that added a peer,
	// so that a reconcile read before it does not remove it.
	prepared map[string]uint64
}

// Manager runs the gateways of every network.
type Manager struct {
	db      *store.DB
	clock   clockwork.Clock
	log     *slog.Logger
	backend Backend

	// syncMu serializes reconciles (read then apply, in order); mu guards
	// the devices and is never held while waiting on the database.
	syncMu sync.Mutex
	mu     sync.Mutex
	nets   map[string]*gwNet
	next   time.Time // the earliest expires_at among managed peers, or start of a scheduled grant
	armed  time.Time // when Run's timer fires next
	seq    uint64    // counts settled Prepare calls
	wake   chan struct{}
}

// New returns a manager; call Sync once, then Run.
func New(db *store.DB, clock clockwork.Clock, log *slog.Logger, backend Backend) *Manager {
	return &Manager{db: db, clock: clock, log: log, backend: backend, nets: map[string]*gwNet{}, wake: make(chan struct{}, 1)}
}

// NextWake is when Run's timer fires next: the next expiry, the next
// start of a scheduled grant, or the periodic resync.
func (m *Manager) NextWake() time.Time {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.armed
}

// Kind is the backend's kind ("netstack" or "tun").
func (m *Manager) Kind() string { return m.backend.Kind() }

// Wake asks for a reconcile now.
func (m *Manager) Wake() {
	select {
	case m.wake <- struct{}{}:
	default:
	}
}

// Run reconciles whenever woken, at the next expiry, and every Resync,
// until ctx ends; then it closes every device.
func (m *Manager) Run(ctx context.Context) {
	defer m.closeAll()
	for {
		if err := m.Sync(ctx); err != nil && ctx.Err() == nil {
			m.log.Error("gateway: sync", "err", err)
		}
		deadline := m.clock.Now().Add(Resync)
		m.mu.Lock()
		if !m.next.IsZero() && m.next.Before(deadline) {
			deadline = m.next
		}
		m.armed = deadline
		m.mu.Unlock()
		timer := clockutil.TimerUntil(m.clock, deadline)
		select {
		case <-ctx.Done():
			timer.Stop()
			return
		case <-m.wake:
		case <-timer.Chan():
		}
		timer.Stop()
	}
}

// plan is what one network's reconcile reads from the database. It is
// read before the manager's lock is taken: the lock never waits on the
// database, so an approval that holds the database's write lock while it
// calls Prepare (which takes the lock) cannot deadlock with a reconcile.
type plan struct {
	n         store.Network
	spec      Spec
	want      []store.GatewayPeer
	endpoints map[string]string
	seq       uint64    // m.seq when the plan was read
	start     time.Time // the next start of a scheduled grant; zero for none
}

// endpointUpdate is a peer endpoint to save after the lock is released.
type endpointUpdate struct{ networkID, key, endpoint string }

func (m *Manager) load(ctx context.Context, n store.Network, now time.Time) (plan, error) {
	m.mu.Lock()
	p := plan{n: n, seq: m.seq}
	m.mu.Unlock()
	var err error
	if p.spec, err = m.spec(ctx, n); err != nil {
		return p, err
	}
	if p.want, err = access.DesiredPeers(ctx, m.db, n.ID, now); err != nil {
		return p, err
	}
	if p.start, err = access.NextStart(ctx, m.db, n.ID, now); err != nil {
		return p, err
	}
	if p.endpoints, err = store.GatewayEndpoints(ctx, m.db, n.ID); err != nil {
		m.log.Warn("gateway: saved endpoints", "network", n.Name, "err", err)
	}
	return p, nil
}

// Sync reconciles every network now.
func (m *Manager) Sync(ctx context.Context) error {
	m.syncMu.Lock()
	defer m.syncMu.Unlock()
	nets, err := store.ListNetworks(ctx, m.db)
	if err != nil {
		return err
	}
	now := m.clock.Now()
	var errs []error
	var plans []plan
	for _, n := range nets {
		p, err := m.load(ctx, n, now)
		if err != nil {
			errs = append(errs, fmt.Errorf("network %s: %w", n.Name, err))
			continue
		}
		plans = append(plans, p)
	}
	seen := map[string]bool{}
	for _, n := range nets {
		seen[n.ID] = true
	}
	var saves []endpointUpdate
	m.mu.Lock()
	m.next = time.Time{}
	for _, p := range plans {
		ups, err := m.applyPlanLocked(p)
		saves = append(saves, ups...)
		if err != nil {
			errs = append(errs, fmt.Errorf("network %s: %w", p.n.Name, err))
		}
	}
	for id, g := range m.nets {
		if !seen[id] {
			m.log.Info("gateway: network removed: closing its device", "network", g.spec.Name)
			if g.dev != nil {
				g.dev.Close()
			}
			delete(m.nets, id)
		}
	}
	m.mu.Unlock()
	m.saveEndpoints(ctx, saves, now)
	return errors.Join(errs...)
}

// SyncNetwork reconciles one network now (after a change to it). The
// earliest expiry it learns of moves the manager's timer forward.
func (m *Manager) SyncNetwork(ctx context.Context, networkID string) error {
	m.syncMu.Lock()
	defer m.syncMu.Unlock()
	n, err := store.NetworkByID(ctx, m.db, networkID)
	if errors.Is(err, store.ErrNotFound) {
		m.Wake() // deleted: the full sync closes its device
		return nil
	}
	if err != nil {
		return err
	}
	now := m.clock.Now()
	p, err := m.load(ctx, n, now)
	if err != nil {
		return err
	}
	m.mu.Lock()
	before := m.next
	saves, err := m.applyPlanLocked(p)
	moved := !m.next.Equal(before)
	m.mu.Unlock()
	m.saveEndpoints(ctx, saves, now)
	if moved {
		m.Wake() // re-arm the timer
	}
	return err
}

// applyPlanLocked brings one network's device up to date with p.
func (m *Manager) applyPlanLocked(p plan) ([]endpointUpdate, error) {
	g := m.nets[p.n.ID]
	if g != nil && g.dev != nil && !g.spec.same(p.spec) {
		m.log.Info("gateway: network settings changed: reopening its device", "network", p.n.Name)
		g.dev.Close()
		g = nil
	}
	if g == nil || g.dev == nil {
		dev, err := m.backend.Open(p.spec, m.statusHandler(p.n.ID))
		if err != nil {
			m.nets[p.n.ID] = &gwNet{spec: p.spec, openErr: err}
			return nil, fmt.Errorf("open device on UDP port %d: %w", p.spec.ListenPort, err)
		}
		eps := p.endpoints
		if eps == nil {
			eps = map[string]string{}
		}
		g = &gwNet{spec: p.spec, dev: dev, managed: map[string]peer{}, endpoints: eps, kicked: map[string]bool{}, prepared: map[string]uint64{}}
		m.nets[p.n.ID] = g
		m.log.Info("gateway: device up", "network", p.n.Name, "backend", m.backend.Kind(), "listen_port", p.spec.ListenPort,
			"address", p.spec.Address, "public_key", p.spec.PrivateKey.Public().String())
	}
	if err := m.applyLocked(g, p.want, true, p.seq); err != nil {
		return nil, err
	}
	if !p.start.IsZero() && (m.next.IsZero() || p.start.Before(m.next)) {
		m.next = p.start // a scheduled grant's peers are added at its start
	}
	return m.endpointsLocked(g), nil
}

// endpointsLocked returns the peers' endpoints that changed since they were
// last saved, and stops the keepalives of kicked peers whose session is back.
func (m *Manager) endpointsLocked(g *gwNet) []endpointUpdate {
	dump, err := g.dev.IpcGet()
	if err != nil {
		return nil
	}
	var ups []endpointUpdate
	var calm strings.Builder
	for key, st := range parseIpcGet(dump) {
		if _, ok := g.managed[key]; !ok {
			continue
		}
		if st.Endpoint != "" && g.endpoints[key] != st.Endpoint {
			g.endpoints[key] = st.Endpoint
			ups = append(ups, endpointUpdate{g.spec.NetworkID, key, st.Endpoint})
		}
		if g.kicked[key] && !st.LastHandshake.IsZero() {
			if k, err := ParseKey(key); err == nil {
				fmt.Fprintf(&calm, "public_key=%s\nupdate_only=true\npersistent_keepalive_interval=0\n", k.Hex())
			}
			delete(g.kicked, key)
		}
	}
	if calm.Len() > 0 {
		_ = g.dev.IpcSet(calm.String())
	}
	return ups
}

// saveEndpoints writes endpoint changes (outside the lock).
func (m *Manager) saveEndpoints(ctx context.Context, ups []endpointUpdate, now time.Time) {
	for _, u := range ups {
		if err := store.PutGatewayEndpoint(ctx, m.db, u.networkID, u.key, u.endpoint, now); err != nil && ctx.Err() == nil {
			m.log.Warn("gateway: save endpoint", "err", err)
		}
	}
}

// applyLocked adds and updates the wanted peers; with prune it also removes
// managed peers that are not wanted — except those Prepare added after the
// plan (of sequence seq) was read, which it cannot know of.
func (m *Manager) applyLocked(g *gwNet, want []store.GatewayPeer, prune bool, seq uint64) error {
	var b strings.Builder
	wanted := map[string]bool{}
	for _, p := range want {
		wanted[p.PublicKey] = true
		if !p.ExpiresAt.IsZero() && (m.next.IsZero() || p.ExpiresAt.Before(m.next)) {
			m.next = p.ExpiresAt
		}
		cur, ok := g.managed[p.PublicKey]
		if ok && cur.Address == p.Address {
			g.managed[p.PublicKey] = peer{p} // expiry may have changed; nothing on the device does
			continue
		}
		k, err := ParseKey(p.PublicKey)
		if err != nil {
			m.log.Error("gateway: bad device key", "device", p.DeviceID, "err", err)
			continue
		}
		fmt.Fprintf(&b, "public_key=%s\nreplace_allowed_ips=true\nallowed_ip=%s\n", k.Hex(), p.Address)
		if ep := g.endpoints[p.PublicKey]; ep != "" && !ok {
			// Known from before a restart: reach out, so the session is
			// back before the client notices.
			fmt.Fprintf(&b, "endpoint=%s\npersistent_keepalive_interval=%d\n", ep, kickKeepalive)
			g.kicked[p.PublicKey] = true
		}
		g.managed[p.PublicKey] = peer{p}
	}
	var removed []string
	if prune {
		for key, ps := range g.prepared {
			if ps <= seq {
				delete(g.prepared, key) // the plan was read after the grant settled
			}
		}
		for key := range g.managed {
			if wanted[key] || g.prepared[key] > seq {
				continue
			}
			k, err := ParseKey(key)
			if err == nil {
				fmt.Fprintf(&b, "public_key=%s\nremove=true\n", k.Hex())
			}
			removed = append(removed, key)
		}
	}
	if b.Len() == 0 {
		return nil
	}
	if err := g.dev.IpcSet(b.String()); err != nil {
		return fmt.Errorf("configure peers: %w", err)
	}
	closer, _ := g.dev.(interface{ CloseClient(netip.Addr) })
	for _, key := range removed {
		if p, err := netip.ParsePrefix(g.managed[key].Address); err == nil && closer != nil {
			closer.CloseClient(p.Addr())
		}
		m.log.Info("gateway: peer removed", "network", g.spec.Name, "device", g.managed[key].DeviceID, "user", g.managed[key].UserEmail)
		delete(g.managed, key)
	}
	return nil
}

// Prepare adds the peers of a new grant inside the approval's transaction,
// before the client can hear of it. Until the returned settle function is
// called (when the transaction has ended), no reconcile removes them: a
// reconcile reads committed data and cannot see the grant yet. After it, a
// reconcile that reads the database again decides: if the transaction
// rolled back, that one removes them.
func (m *Manager) Prepare(ctx context.Context, tx *sql.Tx, networkID string, now time.Time) (func(), error) {
	n, err := store.NetworkByID(ctx, tx, networkID)
	if err != nil {
		return nil, err
	}
	want, err := access.DesiredPeers(ctx, tx, n.ID, now)
	if err != nil {
		return nil, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	g := m.nets[networkID]
	if g == nil || g.dev == nil {
		return nil, nil // not up (yet): the reconcile after the commit adds them
	}
	var added []string
	for _, p := range want {
		if _, ok := g.managed[p.PublicKey]; !ok {
			g.prepared[p.PublicKey] = math.MaxUint64
			added = append(added, p.PublicKey)
		}
	}
	if err := m.applyLocked(g, want, false, 0); err != nil {
		m.log.Error("gateway: prepare", "network", n.Name, "err", err)
	}
	return func() {
		m.mu.Lock()
		defer m.mu.Unlock()
		m.seq++
		for _, k := range added {
			if g.prepared[k] == math.MaxUint64 {
				g.prepared[k] = m.seq // plans read from now on (seq ≥ this) decide
			}
		}
	}, nil
}

// PublicKey returns the gateway's public key of a network, creating its key
// pair on first use.
func (m *Manager) PublicKey(ctx context.Context, networkID string) (Key, error) {
	k, err := m.privateKey(ctx, networkID)
	if err != nil {
		return Key{}, err
	}
	return k.Public(), nil
}

// IsGatewayKey reports whether a public key (base64) is one of the
// gateways' own.
func (m *Manager) IsGatewayKey(ctx context.Context, publicKey string) (bool, error) {
	keys, err := store.GatewayPrivateKeys(ctx, m.db)
	if err != nil {
		return false, err
	}
	for _, s := range keys {
		k, err := ParseKey(s)
		if err == nil && k.Public().String() == publicKey {
			return true, nil
		}
	}
	return false, nil
}

func (m *Manager) privateKey(ctx context.Context, networkID string) (Key, error) {
	s, err := store.GatewayKey(ctx, m.db, networkID)
	if errors.Is(err, store.ErrNotFound) {
		k, err := NewPrivateKey()
		if err != nil {
			return Key{}, err
		}
		if s, err = store.PutGatewayKey(ctx, m.db, networkID, k.String(), m.clock.Now()); err != nil {
			return Key{}, err
		}
	} else if err != nil {
		return Key{}, err
	}
	return ParseKey(s)
}

func (m *Manager) spec(ctx context.Context, n store.Network) (Spec, error) {
	k, err := m.privateKey(ctx, n.ID)
	if err != nil {
		return Spec{}, err
	}
	prefix, err := netip.ParsePrefix(n.CIDR)
	if err != nil {
		return Spec{}, err
	}
	prefix = prefix.Masked()
	spec := Spec{NetworkID: n.ID, Name: n.Name, PrivateKey: k, ListenPort: n.ListenPort, Prefix: prefix, Address: access.GatewayAddress(prefix)}
	for _, r := range n.Routes {
		if p, err := netip.ParsePrefix(r); err == nil {
			spec.Routes = append(spec.Routes, p.Masked())
		}
	}
	return spec, nil
}

// Close closes every device (Run does this when its context ends).
func (m *Manager) Close() { m.closeAll() }

func (m *Manager) closeAll() {
	m.mu.Lock()
	var saves []endpointUpdate
	for id, g := range m.nets {
		if g.dev != nil {
			saves = append(saves, m.endpointsLocked(g)...)
			g.dev.Close()
		}
		delete(m.nets, id)
	}
	m.mu.Unlock()
	m.saveEndpoints(context.Background(), saves, m.clock.Now())
}

// HasPeer reports whether a network's device has a managed peer with this
// public key (base64).
func (m *Manager) HasPeer(networkID, publicKey string) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	g := m.nets[networkID]
	if g == nil {
		return false
	}
	_, ok := g.managed[publicKey]
	return ok
}

// IpcSetForTest configures a network's device directly, bypassing the
// reconciler (to add a peer Gatepass does not manage).
func (m *Manager) IpcSetForTest(networkID, uapi string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	g := m.nets[networkID]
	if g == nil || g.dev == nil {
		return fmt.Errorf("network %s has no device", networkID)
	}
	return g.dev.IpcSet(uapi)
}
