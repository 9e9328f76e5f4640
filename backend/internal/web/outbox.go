package web

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"gatepass.dev/backend/internal/admin"
	"gatepass.dev/backend/internal/store"
	"gatepass.dev/shared/api"
)

type outboxView struct {
	Messages []mailRow
	Status   api.OutboxStatus
	// Undeliverable counts the emails "Retry all undeliverable" would queue.
	Undeliverable int
	Filters       []struct {
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
	view := outboxView{Status: st, Filters: outboxFilters}
	if view.Undeliverable, err = store.CountMail(r.Context(), s.DB, api.OutboxUndeliverable); err != nil {
		s.serverError(w, r, v, err)
		return
	}
	for _, m := range list {
		view.Messages = append(view.Messages, mailRow{OutboxMessage: m, Text: admin.MailText(m)})
	}
	s.render(w, r, v, http.StatusOK, "outbox", "Email outbox", view)
}

// mailRow is an email as the outbox lists it: in words, with its raw
// fields a click away.
type mailRow struct {
	store.OutboxMessage
	Text string
}

// retryUndeliverable queues every undeliverable email again ("Retry all
// undeliverable", after the SMTP settings are fixed).
func (s *Server) retryUndeliverable(w http.ResponseWriter, r *http.Request, v *visit) {
	n, err := s.Admin.RetryUndeliverable(r.Context(), v.Actor)
	if err != nil {
		text, _, ok := problem(err)
		if !ok {
			s.serverError(w, r, v, err)
			return
		}
		s.setFlash(r.Context(), v, "error", "Nothing was queued: "+text)
	} else if n == 0 {
		s.setFlash(r.Context(), v, "ok", "There were no undeliverable emails to queue.")
	} else {
		s.setFlash(r.Context(), v, "ok", fmt.Sprintf("Queued %d undeliverable %s again.", n, map[bool]string{true: "email", false: "emails"}[n == 1]))
	}
	redirect(w, r, localNext(r.PostFormValue("next")))
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
