package httpapi

import (
	"net/http"

	"gatepass.dev/backend/internal/access"
	"gatepass.dev/backend/internal/actor"
	"gatepass.dev/shared/api"
)

// extendRequest asks for more time on the caller's active grant.
func (s *Server) extendRequest(w http.ResponseWriter, r *http.Request, p actor.Actor) {
	var in api.ExtendRequest
	if err := decode(w, r, &in, false); err != nil {
		s.writeError(w, r, err)
		return
	}
	req, err := s.Access.Extend(r.Context(), p, r.PathValue("id"), in)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, api.RequestResponse{Request: req.API(), ServerTime: s.now()})
}

// breakGlass takes emergency access to a network.
func (s *Server) breakGlass(w http.ResponseWriter, r *http.Request, p actor.Actor) {
	var in api.BreakGlassRequest
	if err := decode(w, r, &in, false); err != nil {
		s.writeError(w, r, err)
		return
	}
	req, err := s.Access.BreakGlass(r.Context(), p, r.PathValue("id"), in)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, api.RequestResponse{Request: req.API(), ServerTime: s.now()})
}

// adminAcknowledge records an approver's review of a break-glass access.
func (s *Server) adminAcknowledge(w http.ResponseWriter, r *http.Request, p actor.Actor) {
	var in api.AcknowledgeRequest
	if err := decode(w, r, &in, true); err != nil {
		s.writeError(w, r, err)
		return
	}
	note, err := access.ValidateNote(in.Note)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.doEvent(w, r, access.Event{Kind: access.EventAcknowledge, Actor: p, Note: note})
}

// adminPatterns shows how often a request's user asked for its network.
func (s *Server) adminPatterns(w http.ResponseWriter, r *http.Request, p actor.Actor) {
	req, err := s.visibleRequest(r, p)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out, err := s.Access.Patterns(r.Context(), req)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, out)
}
