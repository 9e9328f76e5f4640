package web

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"

	"gatepass.dev/backend/internal/store"
	"gatepass.dev/shared/api"
)

// moveRule puts a rule at another position of its network's list
// (position=N, 1 first: the Up and Down buttons), the others keeping
// their order (admin.UpdateRule with a position, audited as a move).
func (s *Server) moveRule(w http.ResponseWriter, r *http.Request, v *visit) {
	cur, n, ok := s.ruleOr404(w, r, v)
	if !ok {
		return
	}
	back := "/admin/networks/" + url.PathEscape(n.ID) + "#rules"
	pos, err := strconv.Atoi(r.PostFormValue("position"))
	if err != nil || pos < 1 {
		s.setFlash(r.Context(), v, "error", "Nothing was changed: the position must be a number from 1.")
		redirect(w, r, back)
		return
	}
	rule, err := s.Admin.UpdateRule(r.Context(), v.Actor, cur.ID, api.RuleInput{Position: &pos})
	switch {
	case errors.Is(err, store.ErrNotFound):
		s.setFlash(r.Context(), v, "error", "There is no such rule. It may have been deleted.")
	case err != nil:
		s.serverError(w, r, v, err)
		return
	default:
		s.setFlash(r.Context(), v, "ok", fmt.Sprintf("Moved the rule %s to number %d.", rule.Name, rule.Position))
	}
	redirect(w, r, back)
}

// deleteRule removes a rule; the others keep their order
// (admin.DeleteRule).
func (s *Server) deleteRule(w http.ResponseWriter, r *http.Request, v *visit) {
	cur, n, ok := s.ruleOr404(w, r, v)
	if !ok {
		return
	}
	err := s.Admin.DeleteRule(r.Context(), v.Actor, cur.ID)
	switch {
	case errors.Is(err, store.ErrNotFound):
		s.setFlash(r.Context(), v, "error", "There is no such rule. It may have been deleted.")
	case err != nil:
		s.serverError(w, r, v, err)
		return
	default:
		s.setFlash(r.Context(), v, "ok", fmt.Sprintf("Deleted the rule %s of %s: the requests it approved wait for approvers.", cur.Name, n.Name))
	}
	redirect(w, r, "/admin/networks/"+url.PathEscape(n.ID)+"#rules")
}
