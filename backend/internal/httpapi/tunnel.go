package httpapi

import (
	"fmt"
	"net/http"
	"strings"

	"gatepass.dev/backend/internal/fault"
	"gatepass.dev/backend/internal/store"
	"gatepass.dev/shared/api"
)

// tunnelConfig returns a device's WireGuard configuration on a network,
// only while the device may pass the network's gateway (access.MayPass):
// 403 with the reason otherwise. With ?format=wg-quick it is a wg-quick
// file whose PrivateKey the device fills in.
func (s *Server) tunnelConfig(w http.ResponseWriter, r *http.Request, p principal) {
	deviceID := r.URL.Query().Get("device")
	if deviceID == "" {
		s.writeError(w, r, fault.Field("device", "is required: the id from POST /api/v1/devices"))
		return
	}
	cfg, err := s.Access.Tunnel(r.Context(), p.actor(), deviceID, r.PathValue("id"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
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
