package web

import (
	"errors"
	"net/http"
	"strconv"

	"gatepass.dev/backend/internal/admin"
	"gatepass.dev/backend/internal/store"
	"gatepass.dev/shared/api"
)

type outboxView struct {
	Messages []store.OutboxMessage
	Status   api.OutboxStatus
	Filters  []struct {
		Value api.OutboxStatus
		Label string
	}
}

var outboxFilters = []struct {
	Value api.OutboxStatus
	Label string
}{{"", "All"}, {api.OutboxPending, "Pending"}, {api.OutboxSent, "Sent"}, {api.OutboxFailed, "Failed"}, {api.OutboxUndeliverable, "Undeliverable"}}

// outboxPage lists the emails, newest first, with their delivery state.
func (s *Server) outboxPage(w http.ResponseWriter, r *http.Request, v *visit) {
	st, err := admin.OutboxStatus(r.URL.Query().Get("status"))
	if err != nil {
		st = ""
	}
	list, _, err := store.ListMail(r.Context(), s.DB, store.OutboxFilter{Status: st, Limit: 200})
	if err != nil {
		s.serverError(w, r, v, err)
		return
	}
	s.render(w, r, v, http.StatusOK, "outbox", "Email outbox", outboxView{Messages: list, Status: st, Filters: outboxFilters})
}

// retryMail queues a failed or undeliverable email again.
func (s *Server) retryMail(w http.ResponseWriter, r *http.Request, v *visit) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		s.setFlash(r.Context(), v, "error", "There is no such email.")
		redirect(w, r, "/admin/outbox")
		return
	}
	m, err := s.Admin.RetryMail(r.Context(), v.Actor, id)
	switch {
	case errors.Is(err, store.ErrNotFound):
		s.setFlash(r.Context(), v, "error", "There is no such email.")
	case err != nil:
		text, _, ok := problem(err)
		if !ok {
			s.serverError(w, r, v, err)
			return
		}
		s.setFlash(r.Context(), v, "error", text)
	default:
		s.setFlash(r.Context(), v, "ok", "Queued the email to "+m.To+" again.")
	}
	redirect(w, r, localNext(r.PostFormValue("next")))
}
