package gateway

import (
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"sync"
	"time"

	"github.com/jonboulle/clockwork"

	"gatepass.dev/shared/api"
	"gatepass.dev/shared/wgkey"
)

// StatsInterval is how often Run reads the device: the peers' endpoints
// (saved for a restart) and the end of restart keepalives.
const StatsInterval = 10 * time.Second

// MinLease is the shortest lease a Runtime accepts.
const MinLease = 2 * time.Second

// Options configure a Runtime.
type Options struct {
	Backend    Backend
	PrivateKey wgkey.Key
	Clock      clockwork.Clock // default: the real clock
	Log        *slog.Logger    // default: slog.Default()
	// Endpoints keeps the peers' last endpoints across restarts; nil: none.
	Endpoints EndpointStore
	// Lease, when positive, caps the lease the States give.
	Lease time.Duration
	// NoLease: never fail closed (the embedded gateway, which cannot lose
	// its server).
	NoLease bool
	// ListenPort, when positive, replaces the States' listen port.
	ListenPort int
}

// managed is a peer the Runtime added.
type managed struct {
	api.GatewayPeer
	allowed []netip.Prefix
	expires time.Time // zero: standing
}

// Runtime is one network's gateway. Apply and Heard feed it; Run keeps its
// timers; Close ends it. Its methods are safe for concurrent use.
type Runtime struct {
	opt Options
	log *slog.Logger

	wake chan struct{}

	mu        sync.Mutex
	spec      Spec
	dev       Device
	openErr   error
	state     api.GatewayState // the held desired state
	have      bool             // a state was applied
	peers     map[string]*managed
	endpoints map[string]string // last endpoints by key (loaded, then learned)
	unsaved   map[string]string // endpoints learned, not saved yet
	kicked    map[string]bool
	offsets   offsetEstimator
	heard     time.Time // local time of the last message
	failed    bool      // failed closed: JIT peers dropped for the lease
	dropped   bool      // DropAll: nothing is applied any more
	shut      bool
	applied   time.Time // local time the last state was applied
}

// NewRuntime returns a Runtime with no device yet: the first State opens
// it.
func NewRuntime(opt Options) *Runtime {
	if opt.Clock == nil {
		opt.Clock = clockwork.NewRealClock()
	}
	if opt.Log == nil {
		opt.Log = slog.Default()
	}
	r := &Runtime{opt: opt, log: opt.Log, wake: make(chan struct{}, 1), peers: map[string]*managed{},
		endpoints: map[string]string{}, unsaved: map[string]string{}, kicked: map[string]bool{}}
	if opt.Endpoints != nil {
		eps, err := opt.Endpoints.Load()
		if err != nil {
			r.log.Warn("gateway: saved endpoints", "err", err)
		}
		for k, v := range eps {
			if validEndpoint(v) {
				r.endpoints[k] = v
			}
		}
	}
	return r
}

// PublicKey is the gateway's WireGuard public key.
func (r *Runtime) PublicKey() wgkey.Key { return r.opt.PrivateKey.Public() }

// Apply makes st the desired state: the device is opened (or reopened
// for a changed network) and its peers brought equal to st's, minus those
// already expired. A message from the server: it measures the clock offset
// and renews the lease, restoring JIT peers dropped by it.
func (r *Runtime) Apply(st api.GatewayState) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	defer r.poke()
	if r.dropped || r.shut {
		return errors.New("gateway: the runtime was stopped")
	}
	now := r.opt.Clock.Now()
	spec, err := r.specOf(st)
	if err != nil {
		return fmt.Errorf("gateway: network %s: %w", st.Network.Name, err)
	}
	r.hear(st.ServerTime, now)
	if r.failed {
		r.log.Info("gateway: the server is back: restoring the peers", "network", st.Network.Name)
		r.failed = false
	}
	r.state, r.have, r.applied = st, true, now
	if err := r.deviceLocked(spec); err != nil {
		return err
	}
	return r.reconcileLocked()
}

// Heard records a message of the server that carries no state (a ping):
// the clock offset and the lease. JIT peers dropped for the lease come
// back: the stream is in order, so the held state is current.
func (r *Runtime) Heard(serverTime time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	defer r.poke()
	if r.dropped || r.shut {
		return
	}
	r.hear(serverTime, r.opt.Clock.Now())
	if r.failed && r.have && r.dev != nil {
		r.log.Info("gateway: the server is back: restoring the peers", "network", r.state.Network.Name)
		r.failed = false
		if err := r.reconcileLocked(); err != nil {
			r.log.Error("gateway: restore peers", "err", err)
		}
	}
}

func (r *Runtime) hear(serverTime, now time.Time) {
	if !serverTime.IsZero() {
		r.offsets.add(serverTime.Sub(now))
	}
	r.heard = now
}

// DropAll removes every peer the Runtime added, standing ones too, and
// applies nothing from then on (a revoked gateway).
func (r *Runtime) DropAll(reason string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.dropped = true
	if r.dev == nil {
		return
	}
	var keys []string
	for k := range r.peers {
		keys = append(keys, k)
	}
	if err := r.removeLocked(keys, reason); err != nil {
		r.log.Error("gateway: drop every peer", "err", err)
	}
}

// Offset is the measured server clock minus the local clock.
func (r *Runtime) Offset() time.Duration {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.offsets.value()
}

// serverNow is the local clock corrected by the measured offset.
func (r *Runtime) serverNowLocked() time.Time { return r.opt.Clock.Now().Add(r.offsets.value()) }

// lease is the lease in force; 0: none.
func (r *Runtime) leaseLocked() time.Duration {
	if r.opt.NoLease || !r.have {
		return 0
	}
	l := time.Duration(r.state.LeaseSeconds) * time.Second
	if r.opt.Lease > 0 && (l <= 0 || r.opt.Lease < l) {
		l = r.opt.Lease
	}
	if l > 0 && l < MinLease {
		l = MinLease
	}
	return l
}

// specOf checks a state's network and makes the device's Spec of it.
func (r *Runtime) specOf(st api.GatewayState) (Spec, error) {
	n := st.Network
	prefix, err := netip.ParsePrefix(n.CIDR)
	if err != nil {
		return Spec{}, fmt.Errorf("range %q: %w", n.CIDR, err)
	}
	prefix = prefix.Masked()
	addr := prefix.Addr().Next()
	if n.Address != "" {
		if addr, err = netip.ParseAddr(n.Address); err != nil || !prefix.Contains(addr) {
			return Spec{}, fmt.Errorf("gateway address %q is not in %s", n.Address, prefix)
		}
	}
	spec := Spec{NetworkID: n.ID, Name: n.Name, PrivateKey: r.opt.PrivateKey, ListenPort: n.ListenPort, Prefix: prefix, Address: addr}
	if r.opt.ListenPort > 0 {
		spec.ListenPort = r.opt.ListenPort
	}
	if spec.ListenPort < 0 || spec.ListenPort > 65535 {
		return Spec{}, fmt.Errorf("listen port %d", spec.ListenPort)
	}
	for _, s := range n.Routes {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return Spec{}, fmt.Errorf("route %q: %w", s, err)
		}
		spec.Routes = append(spec.Routes, p.Masked())
	}
	return spec, nil
}

// deviceLocked opens the device for spec, or reopens it when the network
// changed. A reopened device starts with no peers: every wanted one is
// added again (kicked with its last endpoint).
func (r *Runtime) deviceLocked(spec Spec) error {
	if r.dev != nil && r.spec.same(spec) {
		return nil
	}
	if r.dev != nil {
		r.log.Info("gateway: network settings changed: reopening its device", "network", spec.Name)
		r.learnEndpointsLocked()
		r.dev.Close()
		r.dev = nil
	}
	r.peers, r.kicked = map[string]*managed{}, map[string]bool{}
	r.spec = spec
	dev, err := r.opt.Backend.Open(spec, r.statusHandler())
	if err != nil {
		r.openErr = fmt.Errorf("open device on UDP port %d: %w", spec.ListenPort, err)
		return r.openErr
	}
	r.dev, r.openErr = dev, nil
	r.log.Info("gateway: device up", "network", spec.Name, "backend", r.opt.Backend.Kind(), "listen_port", spec.ListenPort,
		"address", spec.Address, "public_key", spec.PrivateKey.Public().String())
	return nil
}

// poke wakes Run to re-arm its timers.
func (r *Runtime) poke() {
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

// Close saves the endpoints and closes the device.
func (r *Runtime) Close() {
	r.mu.Lock()
	r.shut = true
	var save map[string]string
	if r.dev != nil {
		r.learnEndpointsLocked()
		r.dev.Close()
		r.dev = nil
	}
	save, r.unsaved = r.unsaved, map[string]string{}
	r.mu.Unlock()
	r.saveEndpoints(save)
	r.poke()
}

func (r *Runtime) saveEndpoints(eps map[string]string) {
	if len(eps) == 0 || r.opt.Endpoints == nil {
		return
	}
	if err := r.opt.Endpoints.Save(eps); err != nil {
		r.log.Warn("gateway: save endpoints", "err", err)
	}
}
