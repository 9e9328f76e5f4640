package httpapi

import (
	"net/http"

	"gatepass.dev/backend/internal/access"
	"gatepass.dev/backend/internal/actor"
	"gatepass.dev/backend/internal/admin"
	"gatepass.dev/backend/internal/store"
	"gatepass.dev/shared/api"
)

// myNetworks lists the caller's networks with their derived state.
func (s *Server) myNetworks(w http.ResponseWriter, r *http.Request, p actor.Actor) {
	now := s.now()
	nets, err := access.UserNetworks(r.Context(), s.DB, p.ID, p.Role, now)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, api.MyNetworksResponse{Networks: nets, ServerTime: now})
}

// myRequests lists the caller's requests, newest first.
func (s *Server) myRequests(w http.ResponseWriter, r *http.Request, p actor.Actor) {
	f, err := admin.RequestFilter(r.URL.Query())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	f.UserID = p.ID
	s.writeRequestList(w, r, f)
}

func (s *Server) writeRequestList(w http.ResponseWriter, r *http.Request, f store.RequestFilter) {
	list, next, err := store.ListRequests(r.Context(), s.DB, f)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	counts, err := store.CountRequests(r.Context(), s.DB, f)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out := api.RequestList{Requests: make([]api.Request, 0, len(list)), Counts: counts, NextCursor: next, ServerTime: s.now()}
	for _, q := range list {
		out.Requests = append(out.Requests, q.API())
	}
	for _, st := range f.Statuses {
		out.Total += counts[st]
	}
	if len(f.Statuses) == 0 {
		for _, n := range counts {
			out.Total += n
		}
	}
	writeJSON(w, http.StatusOK, out)
}
