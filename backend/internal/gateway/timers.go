package gateway

import (
	"context"
	"fmt"
	"strings"
	"time"

	"gatepass.dev/backend/internal/clockutil"
	"gatepass.dev/shared/wgkey"
)

// Run keeps the Runtime's timers until ctx ends: each peer's expiry, the
// lease, and every StatsInterval the endpoints (saved for a restart), the
// end of restart keepalives and, while the device could not be opened,
// another try. It does not close the device: Close does.
func (r *Runtime) Run(ctx context.Context) {
	nextStats := r.opt.Clock.Now().Add(StatsInterval)
	for {
		now := r.opt.Clock.Now()
		var save map[string]string
		r.mu.Lock()
		if r.shut {
			r.mu.Unlock()
			return
		}
		deadline := nextStats
		if !now.Before(nextStats) {
			r.tickLocked()
			save, r.unsaved = r.unsaved, map[string]string{}
			nextStats = now.Add(StatsInterval)
			deadline = nextStats
		}
		if lease := r.leaseLocked(); lease > 0 && !r.failed && !r.dropped {
			end := r.heard.Add(lease)
			if !now.Before(end) {
				r.failClosedLocked()
			} else if end.Before(deadline) {
				deadline = end
			}
		}
		if next := r.expireLocked(); !next.IsZero() && next.Before(deadline) {
			deadline = next
		}
		r.mu.Unlock()
		r.saveEndpoints(save)

		timer := clockutil.TimerUntil(r.opt.Clock, deadline)
		select {
		case <-ctx.Done():
			timer.Stop()
			return
		case <-r.wake:
		case <-timer.Chan():
		}
		timer.Stop()
	}
}

// tickLocked reopens a device that failed to open, learns the peers'
// endpoints and stops the keepalives of kicked peers whose session is back.
func (r *Runtime) tickLocked() {
	if r.dev == nil && r.have && !r.dropped {
		if err := r.deviceLocked(r.spec); err != nil {
			r.log.Warn("gateway: device still cannot be opened", "network", r.spec.Name, "err", err)
			return
		}
		if err := r.reconcileLocked(); err != nil {
			r.log.Error("gateway: reconcile", "err", err)
		}
	}
	r.learnEndpointsLocked()
}

// learnEndpointsLocked reads the device's peers: their endpoints (to save),
// and ends the restart keepalives of kicked peers that have shaken hands.
func (r *Runtime) learnEndpointsLocked() {
	if r.dev == nil {
		return
	}
	dump, err := r.dev.IpcGet()
	if err != nil {
		return
	}
	var calm strings.Builder
	for key, st := range parseIpcGet(dump) {
		if _, ok := r.peers[key]; !ok {
			continue
		}
		if st.Endpoint != "" && r.endpoints[key] != st.Endpoint && validEndpoint(st.Endpoint) {
			r.endpoints[key] = st.Endpoint
			r.unsaved[key] = st.Endpoint
		}
		if r.kicked[key] && !st.LastHandshake.IsZero() {
			if k, err := wgkey.Parse(key); err == nil {
				fmt.Fprintf(&calm, "public_key=%s\nupdate_only=true\npersistent_keepalive_interval=0\n", k.Hex())
			}
			delete(r.kicked, key)
		}
	}
	if calm.Len() > 0 {
		_ = r.dev.IpcSet(calm.String())
	}
}

// Status is a Runtime as the server and the admin see it.
type Status struct {
	Up         bool
	Error      string
	ListenPort int
	PublicKey  string
	Address    string
	Revision   uint64
	// FailedClosed: the lease ran out; JIT peers are dropped until the
	// server is heard again.
	FailedClosed bool
	Peers        int
	AppliedAt    time.Time
}

// Status reports the device and the state applied.
func (r *Runtime) Status() Status {
	r.mu.Lock()
	defer r.mu.Unlock()
	s := Status{Up: r.dev != nil, ListenPort: r.spec.ListenPort, PublicKey: r.opt.PrivateKey.Public().String(),
		Revision: r.state.Revision, FailedClosed: r.failed, Peers: len(r.peers), AppliedAt: r.applied}
	if r.spec.Address.IsValid() {
		s.Address = r.spec.Address.String()
	}
	if r.openErr != nil {
		s.Error = r.openErr.Error()
	} else if !r.have {
		s.Error = "no state yet"
	}
	return s
}
