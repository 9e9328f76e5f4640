package httpapi

import (
	"net/http"
	"strconv"

	"gatepass.dev/backend/internal/actor"
	"gatepass.dev/backend/internal/admin"
	"gatepass.dev/backend/internal/fault"
	"gatepass.dev/backend/internal/store"
	"gatepass.dev/shared/api"
)

// adminListOutbox lists emails with their delivery state, newest first:
// ?status=&limit= (default 100, at most 1000) &cursor= (the next_cursor of
// the previous page).
func (s *Server) adminListOutbox(w http.ResponseWriter, r *http.Request, p actor.Actor) {
	f, err := admin.OutboxFilter(r.URL.Query())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	list, next, err := store.ListMail(r.Context(), s.DB, f)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out := api.OutboxList{Messages: make([]api.OutboxMessage, 0, len(list)), NextCursor: next, ServerTime: s.now()}
	for _, m := range list {
		out.Messages = append(out.Messages, m.API())
	}
	writeJSON(w, http.StatusOK, out)
}

// adminRetryOutbox queues a failed or undeliverable email again.
func (s *Server) adminRetryOutbox(w http.ResponseWriter, r *http.Request, p actor.Actor) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		s.writeError(w, r, fault.New(fault.NotFound, "no email %q", r.PathValue("id")))
		return
	}
	m, err := s.Admin.RetryMail(r.Context(), p, id)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, struct {
		Message api.OutboxMessage `json:"message"`
	}{m.API()})
}

// adminRetryUndeliverable queues every undeliverable email again (audited)
// and answers how many: {"retried": N}.
func (s *Server) adminRetryUndeliverable(w http.ResponseWriter, r *http.Request, p actor.Actor) {
	n, err := s.Admin.RetryUndeliverable(r.Context(), p)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, api.RetriedResponse{Retried: n, ServerTime: s.now()})
}
