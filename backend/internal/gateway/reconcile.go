package gateway

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"time"

	"gatepass.dev/shared/api"
	"gatepass.dev/shared/wgkey"
)

// kickKeepalive is the keepalive (seconds) of a peer restored with its last
// endpoint, until its first handshake.
const kickKeepalive = 5

// Reasons a peer leaves, for the log.
const (
	reasonEnded   = "no longer in the desired state"
	reasonExpired = "expired"
	reasonLease   = "no word from the server for the lease"
)

// wantedLocked is the held state's peers that must be on the device now:
// not expired (server clock), not dropped for the lease, with a usable key
// and allowed IPs inside the network's range.
func (r *Runtime) wantedLocked() map[string]*managed {
	now := r.serverNowLocked()
	want := make(map[string]*managed, len(r.state.Peers))
	for _, p := range r.state.Peers {
		m := &managed{GatewayPeer: p}
		if p.ExpiresAt != nil {
			m.expires = *p.ExpiresAt
			if !m.expires.After(now) || r.failed {
				continue
			}
		}
		k, err := wgkey.Parse(p.PublicKey)
		if err != nil {
			r.log.Error("gateway: a peer with a bad key is refused", "device", p.DeviceName, "err", err)
			continue
		}
		m.PublicKey = k.String()
		ok := len(p.AllowedIPs) > 0
		for _, a := range p.AllowedIPs {
			pr, err := netip.ParsePrefix(a)
			if err != nil || !r.spec.Prefix.Contains(pr.Addr()) || pr.Bits() < r.spec.Prefix.Bits() {
				ok = false
				break
			}
			m.allowed = append(m.allowed, pr.Masked())
		}
		if !ok {
			r.log.Error("gateway: a peer whose allowed IPs leave the network's range is refused", "device", p.DeviceName,
				"allowed_ips", strings.Join(p.AllowedIPs, ","), "range", r.spec.Prefix)
			continue
		}
		slices.SortFunc(m.allowed, func(a, b netip.Prefix) int { return strings.Compare(a.String(), b.String()) })
		want[m.PublicKey] = m
	}
	return want
}

// reconcileLocked brings the device's peers equal to the wanted ones, as a
// diff: new peers added (kicked when their endpoint is known), changed ones
// updated, unwanted ones removed, unchanged ones not touched.
func (r *Runtime) reconcileLocked() error {
	if r.dev == nil {
		return r.openErr
	}
	want := r.wantedLocked()
	var b strings.Builder
	var added []string
	for key, w := range want {
		cur, ok := r.peers[key]
		if ok && slices.Equal(cur.allowed, w.allowed) {
			r.peers[key] = w // expiry and names may change; nothing on the device does
			continue
		}
		k, _ := wgkey.Parse(key)
		fmt.Fprintf(&b, "public_key=%s\nreplace_allowed_ips=true\n", k.Hex())
		for _, a := range w.allowed {
			fmt.Fprintf(&b, "allowed_ip=%s\n", a)
		}
		if ep := r.endpoints[key]; ep != "" && !ok {
			// Known from before a restart: reach out, so that the session
			// is back before the client notices.
			fmt.Fprintf(&b, "endpoint=%s\npersistent_keepalive_interval=%d\n", ep, kickKeepalive)
			r.kicked[key] = true
		}
		r.peers[key] = w
		if !ok {
			added = append(added, key)
		}
	}
	if b.Len() > 0 {
		if err := r.dev.IpcSet(b.String()); err != nil {
			// A bad endpoint makes the whole set fail: try again without
			// the kicks.
			for _, k := range added {
				delete(r.kicked, k)
				delete(r.peers, k)
			}
			return fmt.Errorf("gateway: configure peers: %w", err)
		}
		for _, k := range added {
			r.log.Info("gateway: peer added", "network", r.spec.Name, "device", want[k].DeviceName, "user", want[k].UserEmail)
		}
	}
	var gone []string
	for key := range r.peers {
		if _, ok := want[key]; !ok {
			gone = append(gone, key)
		}
	}
	reason := reasonEnded
	if r.failed {
		reason = reasonLease
	}
	return r.removeLocked(gone, reason)
}

// removeLocked takes peers off the device at once and ends their
// forwarded connections.
func (r *Runtime) removeLocked(keys []string, reason string) error {
	if len(keys) == 0 || r.dev == nil {
		return nil
	}
	// The endpoints first: a peer that comes back (a new grant) is kicked
	// at once instead of waiting for its client's handshake retries.
	r.learnEndpointsLocked()
	var b strings.Builder
	for _, key := range keys {
		if k, err := wgkey.Parse(key); err == nil {
			fmt.Fprintf(&b, "public_key=%s\nremove=true\n", k.Hex())
		}
	}
	if err := r.dev.IpcSet(b.String()); err != nil {
		return fmt.Errorf("gateway: remove peers: %w", err)
	}
	closer, _ := r.dev.(interface{ CloseClient(netip.Addr) })
	for _, key := range keys {
		p := r.peers[key]
		if p == nil {
			continue
		}
		if closer != nil {
			for _, a := range p.allowed {
				if a.IsSingleIP() {
					closer.CloseClient(a.Addr())
				}
			}
		}
		r.log.Info("gateway: peer removed", "network", r.spec.Name, "device", p.DeviceName, "user", p.UserEmail, "reason", reason)
		delete(r.peers, key)
		delete(r.kicked, key)
	}
	return nil
}

// expireLocked removes the peers whose expires_at has passed (server
// clock), and returns the local time of the next expiry (zero: none).
func (r *Runtime) expireLocked() time.Time {
	now := r.serverNowLocked()
	var due []string
	var next time.Time
	for key, p := range r.peers {
		if p.expires.IsZero() {
			continue
		}
		if !p.expires.After(now) {
			due = append(due, key)
		} else if next.IsZero() || p.expires.Before(next) {
			next = p.expires
		}
	}
	if err := r.removeLocked(due, reasonExpired); err != nil {
		r.log.Error("gateway: expire peers", "err", err)
	}
	if next.IsZero() {
		return next
	}
	return next.Add(-r.offsets.value())
}

// failClosedLocked drops every JIT peer: the lease ran out.
func (r *Runtime) failClosedLocked() {
	r.failed = true
	r.log.Warn("gateway: no word from the server for the lease: dropping every JIT peer (fail closed)", "network", r.spec.Name,
		"lease", r.leaseLocked())
	var jit []string
	for key, p := range r.peers {
		if !p.expires.IsZero() {
			jit = append(jit, key)
		}
	}
	if err := r.removeLocked(jit, reasonLease); err != nil {
		r.log.Error("gateway: fail closed", "err", err)
	}
}

// keys of the peers the Runtime added (for tests and reports).
func (r *Runtime) managedKeys() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]string, 0, len(r.peers))
	for k := range r.peers {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// HasPeer reports whether the Runtime has a peer with this public key
// (base64) on its device.
func (r *Runtime) HasPeer(publicKey string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	_, ok := r.peers[publicKey]
	return ok
}

// peerOf returns a copy of the managed peer holding addr, if any.
func (r *Runtime) peerOf(addr netip.Addr) (api.GatewayPeer, time.Time, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, p := range r.peers {
		for _, a := range p.allowed {
			if a.Contains(addr) {
				return p.GatewayPeer, p.expires, true
			}
		}
	}
	return api.GatewayPeer{}, time.Time{}, false
}
