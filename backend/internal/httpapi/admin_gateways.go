package httpapi

import (
	"net/http"

	"gatepass.dev/backend/internal/actor"
	"gatepass.dev/shared/api"
)

// adminAddGateway adds a remote gateway to a network: 201 with the
// one-time enroll token and the command to run on the gateway's host.
func (s *Server) adminAddGateway(w http.ResponseWriter, r *http.Request, p actor.Actor) {
	var in api.GatewayInput
	if err := decode(w, r, &in, true); err != nil {
		s.writeError(w, r, err)
		return
	}
	out, err := s.Gateway.AddGateway(r.Context(), p, r.PathValue("id"), in)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, out)
}

// adminListGateways lists the gateways that are not revoked.
func (s *Server) adminListGateways(w http.ResponseWriter, r *http.Request, p actor.Actor) {
	gws, err := s.Gateway.List(r.Context())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, api.GatewayList{Gateways: gws, ServerTime: s.now()})
}

// adminRevokeGateway revokes a remote gateway: 204.
func (s *Server) adminRevokeGateway(w http.ResponseWriter, r *http.Request, p actor.Actor) {
	if _, err := s.Gateway.Revoke(r.Context(), p, r.PathValue("id")); err != nil {
		s.writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
