package httpapi

import (
	"net/http"

	"gatepass.dev/backend/internal/actor"
	"gatepass.dev/backend/internal/store"
	"gatepass.dev/shared/api"
)

func (s *Server) adminListNetworks(w http.ResponseWriter, r *http.Request, p actor.Actor) {
	nets, err := store.ListNetworks(r.Context(), s.DB)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out := api.NetworkList{Networks: make([]api.Network, 0, len(nets)), ServerTime: s.now()}
	for _, n := range nets {
		out.Networks = append(out.Networks, n.API())
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) adminGetNetwork(w http.ResponseWriter, r *http.Request, p actor.Actor) {
	n, err := store.NetworkByID(r.Context(), s.DB, r.PathValue("id"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, api.NetworkResponse{Network: n.API(), ServerTime: s.now()})
}

func (s *Server) adminCreateNetwork(w http.ResponseWriter, r *http.Request, p actor.Actor) {
	var in api.NetworkInput
	if err := decode(w, r, &in, false); err != nil {
		s.writeError(w, r, err)
		return
	}
	n, err := s.Admin.CreateNetwork(r.Context(), p, in)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, api.NetworkResponse{Network: n.API(), ServerTime: s.now()})
}

func (s *Server) adminUpdateNetwork(w http.ResponseWriter, r *http.Request, p actor.Actor) {
	var in api.NetworkInput
	if err := decode(w, r, &in, false); err != nil {
		s.writeError(w, r, err)
		return
	}
	n, err := s.Admin.UpdateNetwork(r.Context(), p, r.PathValue("id"), in)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, api.NetworkResponse{Network: n.API(), ServerTime: s.now()})
}

func (s *Server) adminDeleteNetwork(w http.ResponseWriter, r *http.Request, p actor.Actor) {
	if err := s.Admin.DeleteNetwork(r.Context(), p, r.PathValue("id")); err != nil {
		s.writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
