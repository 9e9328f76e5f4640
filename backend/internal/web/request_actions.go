package web

import (
	"errors"
	"fmt"
	"net/http"

	"gatepass.dev/backend/internal/access"
	"gatepass.dev/backend/internal/admin"
	"gatepass.dev/backend/internal/store"
	"gatepass.dev/shared/humantime"
)

// grant approves a pending request for the duration chosen (≤ the
// network's maximum, checked by access.Apply) — the same lifecycle,
// audit row and emails as the API's approve.
func (s *Server) grant(w http.ResponseWriter, r *http.Request, v *visit) {
	d, err := formDuration(r.PostFormValue)
	if err == nil {
		_, err = s.visibleRequest(r.Context(), v, r.PathValue("id"))
	}
	if err != nil {
		s.actionFailed(w, r, v, "Access was not granted", err)
		return
	}
	req, err := s.Access.Do(r.Context(), r.PathValue("id"), access.Event{Kind: access.EventApprove, Actor: v.Actor, Duration: d})
	if err != nil {
		s.actionFailed(w, r, v, "Access was not granted", err)
		return
	}
	s.setFlashWords(r.Context(), v, "ok", admin.Words(fmt.Sprintf("Granted %s access to %s for %s, until ",
		req.UserEmail, req.NetworkName, humantime.Span(req.Granted))).Time(req.ExpiresAt).Add("."))
	redirect(w, r, localNext(r.PostFormValue("next")))
}

// deny refuses a pending request with an optional note to the user.
func (s *Server) deny(w http.ResponseWriter, r *http.Request, v *visit) {
	note, err := access.ValidateNote(r.PostFormValue("note"))
	if err == nil {
		_, err = s.visibleRequest(r.Context(), v, r.PathValue("id"))
	}
	if err != nil {
		s.actionFailed(w, r, v, "The request was not denied", err)
		return
	}
	req, err := s.Access.Do(r.Context(), r.PathValue("id"), access.Event{Kind: access.EventDeny, Actor: v.Actor, Note: note})
	if err != nil {
		s.actionFailed(w, r, v, "The request was not denied", err)
		return
	}
	s.setFlash(r.Context(), v, "ok", fmt.Sprintf("Denied the request of %s for %s. They have been emailed.", req.UserEmail, req.NetworkName))
	redirect(w, r, localNext(r.PostFormValue("next")))
}

// revoke ends an active grant now.
func (s *Server) revoke(w http.ResponseWriter, r *http.Request, v *visit) {
	note, err := access.ValidateNote(r.PostFormValue("note"))
	if err != nil {
		s.actionFailed(w, r, v, "Access was not revoked", err)
		return
	}
	req, err := s.Access.Do(r.Context(), r.PathValue("id"), access.Event{Kind: access.EventRevoke, Actor: v.Actor, Note: note})
	if err != nil {
		s.actionFailed(w, r, v, "Access was not revoked", err)
		return
	}
	s.setFlash(r.Context(), v, "ok", fmt.Sprintf("Revoked the access of %s to %s.", req.UserEmail, req.NetworkName))
	redirect(w, r, localNext(r.PostFormValue("next")))
}

// actionFailed reports a refused action on the page it came from. A
// request that changed meanwhile (another admin was faster) is explained.
func (s *Server) actionFailed(w http.ResponseWriter, r *http.Request, v *visit, what string, err error) {
	var msg admin.Sentence
	switch {
	case errors.Is(err, store.ErrNotFound):
		msg = admin.Words("there is no such request.")
	case errors.Is(err, access.ErrConflict), errors.Is(err, access.ErrInvalidTransition):
		msg = admin.Words("the request changed meanwhile")
		if req, lerr := store.RequestByID(r.Context(), s.DB, r.PathValue("id")); lerr == nil {
			msg = msg.Add(": it is ").Then(admin.RequestState(req))
		}
		msg = msg.Add(".")
	default:
		text, _, ok := problem(err)
		if !ok {
			s.serverError(w, r, v, err)
			return
		}
		msg = admin.Words(text)
	}
	s.setFlashWords(r.Context(), v, "error", admin.Words(what+": ").Then(msg))
	redirect(w, r, localNext(r.PostFormValue("next")))
}
