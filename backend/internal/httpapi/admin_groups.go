package httpapi

import (
	"net/http"

	"gatepass.dev/backend/internal/actor"
	"gatepass.dev/backend/internal/store"
	"gatepass.dev/shared/api"
)

func (s *Server) adminListGroups(w http.ResponseWriter, r *http.Request, p actor.Actor) {
	groups, err := store.ListGroups(r.Context(), s.DB)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out := api.GroupList{Groups: make([]api.Group, 0, len(groups)), ServerTime: s.now()}
	for _, g := range groups {
		out.Groups = append(out.Groups, g.API())
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) adminCreateGroup(w http.ResponseWriter, r *http.Request, p actor.Actor) {
	var in api.GroupInput
	if err := decode(w, r, &in, false); err != nil {
		s.writeError(w, r, err)
		return
	}
	g, err := s.Admin.CreateGroup(r.Context(), p, in)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, api.GroupResponse{Group: g.API(), ServerTime: s.now()})
}

func (s *Server) adminUpdateGroup(w http.ResponseWriter, r *http.Request, p actor.Actor) {
	var in api.GroupInput
	if err := decode(w, r, &in, false); err != nil {
		s.writeError(w, r, err)
		return
	}
	g, err := s.Admin.UpdateGroup(r.Context(), p, r.PathValue("id"), in)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, api.GroupResponse{Group: g.API(), ServerTime: s.now()})
}

func (s *Server) adminDeleteGroup(w http.ResponseWriter, r *http.Request, p actor.Actor) {
	if err := s.Admin.DeleteGroup(r.Context(), p, r.PathValue("id")); err != nil {
		s.writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
