package httpapi

import (
	"net/http"

	"gatepass.dev/backend/internal/actor"
	"gatepass.dev/backend/internal/admin"
	"gatepass.dev/backend/internal/store"
	"gatepass.dev/shared/api"
)

func (s *Server) adminListRules(w http.ResponseWriter, r *http.Request, p actor.Actor) {
	n, err := store.NetworkByID(r.Context(), s.DB, r.PathValue("id"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	rules, err := store.RulesOfNetwork(r.Context(), s.DB, n.ID)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out := api.RuleList{Rules: make([]api.Rule, 0, len(rules)), ServerTime: s.now()}
	for _, x := range rules {
		out.Rules = append(out.Rules, admin.RuleAPI(x))
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) adminCreateRule(w http.ResponseWriter, r *http.Request, p actor.Actor) {
	var in api.RuleInput
	if err := decode(w, r, &in, false); err != nil {
		s.writeError(w, r, err)
		return
	}
	x, err := s.Admin.CreateRule(r.Context(), p, r.PathValue("id"), in)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, api.RuleResponse{Rule: admin.RuleAPI(x), ServerTime: s.now()})
}

func (s *Server) adminUpdateRule(w http.ResponseWriter, r *http.Request, p actor.Actor) {
	var in api.RuleInput
	if err := decode(w, r, &in, false); err != nil {
		s.writeError(w, r, err)
		return
	}
	x, err := s.Admin.UpdateRule(r.Context(), p, r.PathValue("id"), in)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, api.RuleResponse{Rule: admin.RuleAPI(x), ServerTime: s.now()})
}

func (s *Server) adminDeleteRule(w http.ResponseWriter, r *http.Request, p actor.Actor) {
	if err := s.Admin.DeleteRule(r.Context(), p, r.PathValue("id")); err != nil {
		s.writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// adminPreviewRules is the dry run: which rule a hypothetical request
// would meet.
func (s *Server) adminPreviewRules(w http.ResponseWriter, r *http.Request, p actor.Actor) {
	var in api.PreviewRequest
	if err := decode(w, r, &in, false); err != nil {
		s.writeError(w, r, err)
		return
	}
	out, err := s.Access.Preview(r.Context(), r.PathValue("id"), in)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, out)
}
