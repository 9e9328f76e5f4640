package httpapi

import (
	"net/http"

	"gatepass.dev/backend/internal/access"
	"gatepass.dev/backend/internal/actor"
	"gatepass.dev/backend/internal/admin"
	"gatepass.dev/shared/api"
)

func (s *Server) adminListRequests(w http.ResponseWriter, r *http.Request, p actor.Actor) {
	f, err := admin.RequestFilter(r.URL.Query())
	if err == nil {
		err = s.reviewScope(r, p, &f)
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.writeRequestList(w, r, f)
}

func (s *Server) adminGetRequest(w http.ResponseWriter, r *http.Request, p actor.Actor) {
	req, err := s.visibleRequest(r, p)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, api.RequestResponse{Request: req.API(), ServerTime: s.now()})
}

func (s *Server) adminApprove(w http.ResponseWriter, r *http.Request, p actor.Actor) {
	var in api.ApproveRequest
	if err := decode(w, r, &in, true); err != nil {
		s.writeError(w, r, err)
		return
	}
	d, err := access.OptionalSeconds("duration_seconds", in.DurationSeconds, 0, "the network's default")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.doEvent(w, r, access.Event{Kind: access.EventApprove, Actor: p, Duration: d})
}

// adminGrantAgain gives the user of a closed request a new grant on its
// network ({"duration_seconds": N}, absent: the network's default): the new
// request, created and approved at once (access.Service.GrantAgain).
func (s *Server) adminGrantAgain(w http.ResponseWriter, r *http.Request, p actor.Actor) {
	var in api.ApproveRequest
	if err := decode(w, r, &in, true); err != nil {
		s.writeError(w, r, err)
		return
	}
	d, err := access.OptionalSeconds("duration_seconds", in.DurationSeconds, 0, "the network's default")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	req, err := s.Access.GrantAgain(r.Context(), p, r.PathValue("id"), d)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, api.RequestResponse{Request: req.API(), ServerTime: s.now()})
}

func (s *Server) adminDeny(w http.ResponseWriter, r *http.Request, p actor.Actor) {
	var in api.DenyRequest
	if err := decode(w, r, &in, true); err != nil {
		s.writeError(w, r, err)
		return
	}
	note, err := access.ValidateNote(in.Note)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.doEvent(w, r, access.Event{Kind: access.EventDeny, Actor: p, Note: note})
}

func (s *Server) adminRevoke(w http.ResponseWriter, r *http.Request, p actor.Actor) {
	var in api.RevokeRequest
	if err := decode(w, r, &in, true); err != nil {
		s.writeError(w, r, err)
		return
	}
	note, err := access.ValidateNote(in.Note)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.doEvent(w, r, access.Event{Kind: access.EventRevoke, Actor: p, Note: note})
}
