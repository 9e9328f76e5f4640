package gatewayhub

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"time"

	"gatepass.dev/backend/internal/access"
	"gatepass.dev/backend/internal/fault"
	"gatepass.dev/backend/internal/gateway"
	"gatepass.dev/backend/internal/store"
	"gatepass.dev/shared/api"
	"gatepass.dev/shared/wgkey"
)

// privateKey returns the embedded gateway's private key of a network,
// creating it on first use.
func (h *Hub) privateKey(ctx context.Context, networkID string) (wgkey.Key, error) {
	s, err := store.GatewayKey(ctx, h.opt.DB, networkID)
	if errors.Is(err, store.ErrNotFound) {
		k, err := wgkey.NewPrivate()
		if err != nil {
			return wgkey.Key{}, err
		}
		if s, err = store.PutGatewayKey(ctx, h.opt.DB, networkID, k.String(), h.opt.Clock.Now()); err != nil {
			return wgkey.Key{}, err
		}
	} else if err != nil {
		return wgkey.Key{}, err
	}
	return wgkey.Parse(s)
}

// PublicKey returns the embedded gateway's public key of a network,
// creating its key pair on first use.
func (h *Hub) PublicKey(ctx context.Context, networkID string) (wgkey.Key, error) {
	k, err := h.privateKey(ctx, networkID)
	if err != nil {
		return wgkey.Key{}, err
	}
	return k.Public(), nil
}

// ErrNoGateway: the network has no gateway (its remote gateway was
// revoked and none replaced it).
var ErrNoGateway = fault.Sentinel(fault.Unavailable, "this network has no gateway: an admin must add one")

// GatewayInfo is what a tunnel config needs of a network's gateway: the
// active gateway's public key and endpoint.
func (h *Hub) GatewayInfo(ctx context.Context, networkID string) (access.GatewayInfo, error) {
	g, err := store.ActiveGateway(ctx, h.opt.DB, networkID)
	if errors.Is(err, store.ErrNotFound) {
		if _, nerr := store.NetworkByID(ctx, h.opt.DB, networkID); errors.Is(nerr, store.ErrNotFound) {
			return access.GatewayInfo{}, fault.Detail(access.ErrNotFound, "no network %q", networkID)
		}
		return access.GatewayInfo{}, ErrNoGateway
	}
	if err != nil {
		return access.GatewayInfo{}, err
	}
	if g.Kind == api.GatewayRemote {
		return access.GatewayInfo{PublicKey: g.PublicKey, Endpoint: g.Endpoint}, nil
	}
	n, err := store.NetworkByID(ctx, h.opt.DB, networkID)
	if err != nil {
		return access.GatewayInfo{}, err
	}
	k, err := h.PublicKey(ctx, networkID)
	if err != nil {
		return access.GatewayInfo{}, err
	}
	return access.GatewayInfo{PublicKey: k.String(), Endpoint: n.Endpoint}, nil
}

// IsGatewayKey reports whether a public key (base64) is a gateway's: an
// embedded one's, or any remote one's ever enrolled.
func (h *Hub) IsGatewayKey(ctx context.Context, publicKey string) (bool, error) {
	return isGatewayKey(ctx, h.opt.DB, publicKey)
}

func isGatewayKey(ctx context.Context, q store.Querier, publicKey string) (bool, error) {
	if taken, err := store.GatewayKeyTaken(ctx, q, publicKey); err != nil || taken {
		return taken, err
	}
	keys, err := store.GatewayPrivateKeys(ctx, q)
	if err != nil {
		return false, err
	}
	for _, s := range keys {
		k, err := wgkey.Parse(s)
		if err == nil && k.Public().String() == publicKey {
			return true, nil
		}
	}
	return false, nil
}

// runtime returns a network's embedded runtime, or nil.
func (h *Hub) runtime(networkID string) *gateway.Runtime {
	h.mu.Lock()
	defer h.mu.Unlock()
	if nh := h.nets[networkID]; nh != nil {
		return nh.rt
	}
	return nil
}

// DevicePeers returns the peers on a network's embedded device as the
// device reports them; nil when the network has no embedded device here.
func (h *Hub) DevicePeers(networkID string) map[string]gateway.PeerStat {
	if rt := h.runtime(networkID); rt != nil {
		return rt.DevicePeers()
	}
	return nil
}

// HasPeer reports whether a network's embedded gateway has a peer with
// this public key.
func (h *Hub) HasPeer(networkID, publicKey string) bool {
	rt := h.runtime(networkID)
	return rt != nil && rt.HasPeer(publicKey)
}

// IpcSetForTest configures a network's embedded device directly, bypassing
// the reconcile (to add a peer Gatepass does not manage).
func (h *Hub) IpcSetForTest(networkID, uapi string) error {
	rt := h.runtime(networkID)
	if rt == nil {
		return fmt.Errorf("network %s has no embedded device", networkID)
	}
	return rt.IpcSetForTest(uapi)
}

// State returns the last State delivered for a network (zero: none).
func (h *Hub) State(networkID string) api.GatewayState {
	h.mu.Lock()
	defer h.mu.Unlock()
	if nh := h.nets[networkID]; nh != nil {
		return nh.state
	}
	return api.GatewayState{}
}

// Peers returns the connection state of a network's peers, for the admin:
// the embedded device's, or the remote gateway's latest report, with the
// names of the desired peers.
func (h *Hub) Peers(networkID string) []api.PeerStatus {
	h.mu.Lock()
	nh := h.nets[networkID]
	if nh == nil {
		h.mu.Unlock()
		return []api.PeerStatus{}
	}
	rt, gw := nh.rt, nh.gw
	names := map[string]store.GatewayPeer{}
	for _, p := range nh.desired {
		names[p.PublicKey] = p
	}
	for k, ps := range nh.prepared {
		names[k] = ps.peer
	}
	h.mu.Unlock()

	var stats []gateway.PeerStat
	switch {
	case rt != nil:
		stats = rt.Stats()
	case gw.Kind == api.GatewayRemote:
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		g, err := store.GatewayByID(ctx, h.opt.DB, gw.ID)
		if err != nil {
			h.log.Warn("gateway: the report of a remote gateway", "gateway", gw.ID, "err", err)
			return []api.PeerStatus{}
		}
		for _, r := range reportPeers(g) {
			s := gateway.PeerStat{PublicKey: r.PublicKey, Endpoint: r.Endpoint, RxBytes: r.RxBytes, TxBytes: r.TxBytes}
			if r.LastHandshake != nil {
				s.LastHandshake = *r.LastHandshake
			}
			stats = append(stats, s)
		}
	}
	out := make([]api.PeerStatus, 0, len(stats))
	for _, s := range stats {
		p := names[s.PublicKey]
		ps := api.PeerStatus{PublicKey: s.PublicKey, DeviceID: p.DeviceID, DeviceName: p.DeviceName, UserID: p.UserID, UserEmail: p.UserEmail,
			Address: p.Address, RxBytes: s.RxBytes, TxBytes: s.TxBytes}
		if ps.Address == "" && len(s.AllowedIPs) > 0 {
			ps.Address = s.AllowedIPs[0]
		}
		if !p.ExpiresAt.IsZero() {
			t := p.ExpiresAt
			ps.ExpiresAt = &t
		}
		if !s.LastHandshake.IsZero() {
			t := s.LastHandshake
			ps.LastHandshake = &t
		}
		out = append(out, ps)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].PublicKey < out[j].PublicKey })
	return out
}

// reportPeers decodes a gateway's stored report.
func reportPeers(g store.Gateway) []api.GatewayPeerReport {
	var peers []api.GatewayPeerReport
	if g.Report != "" {
		_ = json.Unmarshal([]byte(g.Report), &peers)
	}
	return peers
}

// view is a gateway as admins see it.
func (h *Hub) view(g store.Gateway, now time.Time) api.Gateway {
	v := api.Gateway{ID: g.ID, NetworkID: g.NetworkID, NetworkName: g.NetworkName, Kind: g.Kind, Status: api.GatewayOffline,
		Enrolled: g.Enrolled(), Endpoint: g.Endpoint, ReportedEndpoint: g.ReportedEndpoint, Version: g.Version, Hostname: g.Hostname,
		PublicKey: g.PublicKey, ListenPort: g.ListenPort, Revision: g.Revision, CreatedAt: g.CreatedAt,
		EnrolledAt: opt(g.EnrolledAt), RevokedAt: opt(g.RevokedAt), LastSeenAt: opt(g.LastSeenAt)}
	if !g.Enrolled() && !g.Revoked() {
		v.EnrollExpiresAt = opt(g.EnrollExpiresAt)
	}
	h.mu.Lock()
	nh := h.nets[g.NetworkID]
	v.Active = nh != nil && nh.gw.ID == g.ID
	var rt *gateway.Runtime
	if v.Active {
		rt = nh.rt
	}
	h.mu.Unlock()
	switch {
	case g.Kind == api.GatewayEmbedded:
		v.Version, v.Endpoint = "gatepass-server", g.NetworkEndpoint
		if rt != nil {
			st := rt.Status()
			if st.Up {
				v.Status = api.GatewayOnline
			}
			v.PublicKey, v.ListenPort, v.PeerCount, v.Revision = st.PublicKey, st.ListenPort, st.Peers, st.Revision
			if !st.AppliedAt.IsZero() {
				v.LastSeenAt = opt(st.AppliedAt)
			}
		}
	default:
		if g.Enrolled() && !g.Revoked() && !g.LastSeenAt.IsZero() && now.Sub(g.LastSeenAt) < h.opt.Lease {
			v.Status = api.GatewayOnline
		}
		v.PeerCount = len(reportPeers(g))
	}
	return v
}

func opt(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	t = t.UTC()
	return &t
}

// List returns every gateway that is not revoked.
func (h *Hub) List(ctx context.Context) ([]api.Gateway, error) {
	gws, err := store.ListGateways(ctx, h.opt.DB, false)
	if err != nil {
		return nil, err
	}
	now := h.opt.Clock.Now()
	out := make([]api.Gateway, 0, len(gws))
	for _, g := range gws {
		out = append(out, h.view(g, now))
	}
	return out, nil
}

// NetworkGateways returns a network's gateways that are not revoked (the
// embedded one, if it still serves, and a remote one).
func (h *Hub) NetworkGateways(ctx context.Context, networkID string) ([]api.Gateway, error) {
	gws, err := store.GatewaysOfNetwork(ctx, h.opt.DB, networkID)
	if err != nil {
		return nil, err
	}
	now := h.opt.Clock.Now()
	out := make([]api.Gateway, 0, len(gws))
	for _, g := range gws {
		out = append(out, h.view(g, now))
	}
	return out, nil
}
