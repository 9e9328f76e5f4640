package httpapi

import (
	"fmt"
	"net/http"

	"gatepass.dev/backend/internal/actor"
	"gatepass.dev/backend/internal/fault"
	"gatepass.dev/backend/internal/store"
	"gatepass.dev/backend/internal/wgconf"
	"gatepass.dev/shared/api"
)

// tunnelConfig returns a device's WireGuard configuration on a network,
// only while the device may pass the network's gateway (access.MayPass):
// 403 with the reason otherwise. With ?format=wg-quick it is a wg-quick
// file whose PrivateKey the device fills in.
func (s *Server) tunnelConfig(w http.ResponseWriter, r *http.Request, p actor.Actor) {
	deviceID := r.URL.Query().Get("device")
	if deviceID == "" {
		s.writeError(w, r, fault.Field("device", "is required: the id from POST /api/v1/devices"))
		return
	}
	cfg, err := s.Access.Tunnel(r.Context(), p, deviceID, r.PathValue("id"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if r.URL.Query().Get("format") == "wg-quick" {
		text, err := wgconf.WGQuick(cfg)
		if err != nil {
			s.Logger.Warn("api: a network's settings are not fit for a wg-quick file", "network", cfg.NetworkID, "err", err)
			s.writeError(w, r, fault.Conflictf("the settings of network %s (its endpoint, routes or addresses) cannot be written as a WireGuard config: ask an admin to correct them", cfg.NetworkID))
			return
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		fmt.Fprint(w, text)
		return
	}
	writeJSON(w, http.StatusOK, cfg)
}

// adminPeers lists a network's peers with their connection state.
func (s *Server) adminPeers(w http.ResponseWriter, r *http.Request, p actor.Actor) {
	n, err := store.NetworkByID(r.Context(), s.DB, r.PathValue("id"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, api.PeerList{Peers: s.Gateway.Peers(n.ID), ServerTime: s.now()})
}
