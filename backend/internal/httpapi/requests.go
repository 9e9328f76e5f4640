package httpapi

import (
	"net/http"

	"gatepass.dev/backend/internal/access"
	"gatepass.dev/backend/internal/actor"
	"gatepass.dev/backend/internal/fault"
	"gatepass.dev/backend/internal/store"
	"gatepass.dev/shared/api"
)

// createRequest files an access request of the caller on a network.
func (s *Server) createRequest(w http.ResponseWriter, r *http.Request, p actor.Actor) {
	var in api.NewRequest
	if err := decode(w, r, &in, false); err != nil {
		s.writeError(w, r, err)
		return
	}
	req, err := s.Access.Create(r.Context(), p, r.PathValue("id"), in)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, api.RequestResponse{Request: req.API(), ServerTime: s.now()})
}

// getRequest shows one of the caller's own requests (admins see any).
func (s *Server) getRequest(w http.ResponseWriter, r *http.Request, p actor.Actor) {
	req, err := store.RequestByID(r.Context(), s.DB, r.PathValue("id"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if req.UserID != p.ID && !p.IsAdmin() {
		s.writeError(w, r, fault.New(fault.Forbidden, "this request is not yours"))
		return
	}
	writeJSON(w, http.StatusOK, api.RequestResponse{Request: req.API(), ServerTime: s.now()})
}

// requestEvent applies a requester's event (cancel, release). The body is
// optional and must be an empty object when present.
func (s *Server) requestEvent(kind access.EventKind) authedHandler {
	return func(w http.ResponseWriter, r *http.Request, p actor.Actor) {
		var in struct{}
		if err := decode(w, r, &in, true); err != nil {
			s.writeError(w, r, err)
			return
		}
		s.doEvent(w, r, access.Event{Kind: kind, Actor: p})
	}
}

func (s *Server) doEvent(w http.ResponseWriter, r *http.Request, e access.Event) {
	req, err := s.Access.Do(r.Context(), r.PathValue("id"), e)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, api.RequestResponse{Request: req.API(), ServerTime: s.now()})
}
