package httpapi

import (
	"errors"
	"fmt"
	"net/http"
	"net/netip"
	"strings"

	"gatepass.dev/backend/internal/access"
	"gatepass.dev/backend/internal/fault"
	"gatepass.dev/backend/internal/gateway"
	"gatepass.dev/backend/internal/store"
	"gatepass.dev/shared/api"
)

// PersistentKeepalive is the keep-alive the tunnel config asks clients for.
const PersistentKeepalive = 25

// tunnelConfig returns a device's WireGuard configuration on a network, only
// while the caller may use it (a valid grant or standing access): 403
// otherwise. With ?format=wg-quick it is a wg-quick file whose PrivateKey
// the device fills in.
func (s *Server) tunnelConfig(w http.ResponseWriter, r *http.Request, p principal) {
	ctx := r.Context()
	deviceID := r.URL.Query().Get("device")
	if deviceID == "" {
		s.writeError(w, r, fault.Field("device", "is required: the id from POST /api/v1/devices"))
		return
	}
	dev, err := store.DeviceByID(ctx, s.DB, deviceID)
	if errors.Is(err, store.ErrNotFound) {
		s.writeError(w, r, fault.New(fault.NotFound, "no device %q", deviceID))
		return
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if dev.UserID != p.User.ID {
		s.writeError(w, r, fault.New(fault.Forbidden, "this device is registered to another user"))
		return
	}
	n, err := store.NetworkByID(ctx, s.DB, r.PathValue("id"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if ok, err := store.IsMember(ctx, s.DB, n, p.User.ID); err != nil || !ok {
		s.writeError(w, r, fault.New(fault.Forbidden, "you are not a member of network %s", n.Name))
		return
	}
	latest, err := store.LatestRequests(ctx, s.DB, p.User.ID)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var lp *store.Request
	if q, ok := latest[n.ID]; ok {
		lp = &q
	}
	now := s.now()
	state, exp := access.DeriveState(n, p.User.Role, lp, now)
	if state != api.StateActive && state != api.StateStanding {
		s.writeError(w, r, fault.New(fault.Forbidden, "no valid grant for network %s: request access first", n.Name))
		return
	}
	addr, ok := dev.Addresses[n.ID]
	if !ok {
		if addr, err = store.AssignAddress(ctx, s.DB, dev.ID, n); err != nil {
			s.writeError(w, r, err)
			return
		}
	}
	key, err := s.Gateway.PublicKey(ctx, n.ID)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	prefix, _ := netip.ParsePrefix(n.CIDR)
	gw := gateway.GatewayAddress(prefix)
	cfg := api.TunnelConfig{
		NetworkID: n.ID, NetworkName: n.Name, DeviceID: dev.ID, Address: addr, GatewayPublicKey: key.String(),
		GatewayAddress: gw.String(), Endpoint: n.Endpoint, AllowedIPs: append([]string{prefix.Masked().String()}, n.Routes...),
		DNS: []string{gw.String()}, PersistentKeepalive: PersistentKeepalive, State: state, ServerTime: now,
	}
	if !exp.IsZero() {
		cfg.ExpiresAt = &exp
	}
	_ = store.InsertAudit(ctx, s.DB, store.AuditEntry{At: now, ActorID: p.User.ID, ActorEmail: p.User.Email, Action: "tunnel.config",
		TargetType: "device", TargetID: dev.ID, NetworkID: n.ID, SourceAddr: p.Source, Details: map[string]string{"network": n.Name, "address": addr, "state": string(state)}})
	if r.URL.Query().Get("format") == "wg-quick" {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		fmt.Fprint(w, WGQuick(cfg))
		return
	}
	writeJSON(w, http.StatusOK, cfg)
}

// WGQuick renders a tunnel config as a wg-quick file. The PrivateKey line
// is left for the device to fill: the key never leaves it.
func WGQuick(c api.TunnelConfig) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# Gatepass: network %s, device %s\n", c.NetworkName, c.DeviceID)
	if c.ExpiresAt != nil {
		fmt.Fprintf(&b, "# Access expires at %s; the gateway drops this peer then.\n", c.ExpiresAt.UTC().Format("2006-01-02 15:04:05 MST"))
	}
	fmt.Fprintf(&b, "[Interface]\nPrivateKey = # the device's private key\nAddress = %s\n", c.Address)
	if len(c.DNS) > 0 {
		fmt.Fprintf(&b, "DNS = %s\n", strings.Join(c.DNS, ", "))
	}
	fmt.Fprintf(&b, "\n[Peer]\nPublicKey = %s\nEndpoint = %s\nAllowedIPs = %s\nPersistentKeepalive = %d\n",
		c.GatewayPublicKey, c.Endpoint, strings.Join(c.AllowedIPs, ", "), c.PersistentKeepalive)
	return b.String()
}

// adminPeers lists a network's peers with their connection state.
func (s *Server) adminPeers(w http.ResponseWriter, r *http.Request, p principal) {
	n, err := store.NetworkByID(r.Context(), s.DB, r.PathValue("id"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, api.PeerList{Peers: s.Gateway.Peers(n.ID), ServerTime: s.now()})
}
