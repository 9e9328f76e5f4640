package gatewayhub

import (
	"context"
	"database/sql"
	"math"
	"net"
	"net/netip"
	"sort"
	"strconv"
	"time"

	"gatepass.dev/backend/internal/access"
	"gatepass.dev/backend/internal/store"
	"gatepass.dev/shared/api"
)

// stateLocked is the State of a network's active gateway at now.
func (h *Hub) stateLocked(nh *netHub, now time.Time) api.GatewayState {
	n := nh.n
	prefix, _ := netip.ParsePrefix(n.CIDR)
	prefix = prefix.Masked()
	net := api.GatewayNetwork{ID: n.ID, Name: n.Name, CIDR: prefix.String(), Address: access.GatewayAddress(prefix).String(),
		Routes: append([]string{}, n.Routes...), ListenPort: n.ListenPort}
	if nh.gw.Kind == api.GatewayRemote {
		net.ListenPort = nh.gw.ListenPort
		if net.ListenPort == 0 {
			net.ListenPort = endpointPort(nh.gw.Endpoint)
		}
	}
	byKey := map[string]store.GatewayPeer{}
	for _, p := range nh.desired {
		byKey[p.PublicKey] = p
	}
	for k, ps := range nh.prepared {
		if _, ok := byKey[k]; !ok {
			byKey[k] = ps.peer
		}
	}
	peers := make([]api.GatewayPeer, 0, len(byKey))
	for _, p := range byKey {
		gp := api.GatewayPeer{PublicKey: p.PublicKey, AllowedIPs: []string{p.Address}, UserEmail: p.UserEmail, DeviceName: p.DeviceName}
		if !p.ExpiresAt.IsZero() {
			t := p.ExpiresAt.UTC()
			gp.ExpiresAt = &t
		}
		peers = append(peers, gp)
	}
	sort.Slice(peers, func(i, j int) bool { return peers[i].PublicKey < peers[j].PublicKey })
	return api.GatewayState{ServerTime: now.UTC(), LeaseSeconds: int(h.opt.Lease / time.Second), Network: net, Peers: peers}
}

func endpointPort(ep string) int {
	_, port, err := net.SplitHostPort(ep)
	if err != nil {
		return 0
	}
	p, _ := strconv.Atoi(port)
	return p
}

// Prepare adds the peers of a new grant inside the approval's transaction,
// before the client can hear of it (see the package doc). The returned
// settle function is called when the transaction has ended.
func (h *Hub) Prepare(ctx context.Context, tx *sql.Tx, networkID string, now time.Time) (func(), error) {
	want, err := access.DesiredPeers(ctx, tx, networkID, now)
	if err != nil {
		return nil, err
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	nh := h.nets[networkID]
	if nh == nil || nh.gw.ID == "" {
		return nil, nil // no gateway (yet): the recomputation after the commit delivers
	}
	have := map[string]bool{}
	for _, p := range nh.desired {
		have[p.PublicKey] = true
	}
	var added []string
	for _, p := range want {
		if !have[p.PublicKey] {
			nh.prepared[p.PublicKey] = prepared{peer: p, seq: math.MaxUint64}
			added = append(added, p.PublicKey)
		}
	}
	if len(added) == 0 {
		return nil, nil
	}
	h.deliverLocked(nh, now)
	return func() {
		h.mu.Lock()
		h.seq++
		for _, k := range added {
			if ps, ok := nh.prepared[k]; ok && ps.seq == math.MaxUint64 {
				ps.seq = h.seq // plans read from now on decide
				nh.prepared[k] = ps
			}
		}
		h.mu.Unlock()
		h.markDirty(networkID) // committed or rolled back: read it back
	}, nil
}
