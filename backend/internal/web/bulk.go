package web

import (
	"net/http"

	"gatepass.dev/backend/internal/access"
	"gatepass.dev/backend/internal/admin"
)

// bulk decides the requests chosen on the Pending tab in one POST:
// action=grant with one duration, or action=deny with one note, and an id
// field per request. Each is decided on its own through
// access.Service.DoAll (its compare-and-set, audit row and email); the
// outcome is one line per request — granted until when, changed meanwhile
// (and how it stands now), or refused and why (over its network's
// maximum, the admin's own request, the user no longer a member).
func (s *Server) bulk(w http.ResponseWriter, r *http.Request, v *visit) {
	e := access.Event{Actor: v.Actor}
	what := "Nothing was granted"
	switch r.PostFormValue("action") {
	case "grant":
		d, err := formDuration(r.PostFormValue)
		if err != nil {
			s.actionFailed(w, r, v, what, err)
			return
		}
		e.Kind, e.Duration = access.EventApprove, d
	case "deny":
		what = "Nothing was denied"
		note, err := access.ValidateNote(r.PostFormValue("note"))
		if err != nil {
			s.actionFailed(w, r, v, what, err)
			return
		}
		e.Kind, e.Note = access.EventDeny, note
	default:
		s.setFlash(r.Context(), v, "error", "Nothing was changed: choose Grant or Deny.")
		redirect(w, r, localNext(r.PostFormValue("next")))
		return
	}
	outcomes, err := s.Access.DoAll(r.Context(), r.PostForm["id"], e)
	done := false
	for _, o := range outcomes {
		done = done || o.Done()
	}
	if err != nil && !done { // nothing was decided: bad input, or the storage is failing
		s.actionFailed(w, r, v, what, err)
		return
	}
	kind := "ok"
	lines := make([]admin.Sentence, 0, len(outcomes))
	for _, o := range outcomes {
		if !o.Done() {
			kind = "error"
		}
		lines = append(lines, admin.BulkLine(e.Kind, o))
	}
	s.setFlashWords(r.Context(), v, kind, admin.Words(sentence(admin.BulkSummary(e.Kind, outcomes))), lines...)
	redirect(w, r, localNext(r.PostFormValue("next")))
}
