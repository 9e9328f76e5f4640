package httpapi

import (
	"database/sql"
	"net/http"
	"strconv"

	"gatepass.dev/backend/internal/outbox"
	"gatepass.dev/backend/internal/store"
	"gatepass.dev/shared/api"
)

// adminListOutbox lists emails with their delivery state: ?status=&limit=.
func (s *Server) adminListOutbox(w http.ResponseWriter, r *http.Request, p principal) {
	f := store.OutboxFilter{Status: api.OutboxStatus(r.URL.Query().Get("status"))}
	switch f.Status {
	case "", api.OutboxPending, api.OutboxSent, api.OutboxFailed, api.OutboxUndeliverable:
	default:
		s.writeError(w, r, fieldErr("status", "must be pending, sent, failed or undeliverable"))
		return
	}
	if v := r.URL.Query().Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1000 {
			s.writeError(w, r, fieldErr("limit", "must be a number from 1 to 1000"))
			return
		}
		f.Limit = n
	}
	list, err := store.ListMail(r.Context(), s.DB, f)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out := api.OutboxList{Messages: make([]api.OutboxMessage, 0, len(list)), ServerTime: s.now()}
	for _, m := range list {
		out.Messages = append(out.Messages, m.API())
	}
	writeJSON(w, http.StatusOK, out)
}

// adminRetryOutbox queues a failed or undeliverable email again.
func (s *Server) adminRetryOutbox(w http.ResponseWriter, r *http.Request, p principal) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		s.writeError(w, r, apiErr(404, api.CodeNotFound, "no email %q", r.PathValue("id")))
		return
	}
	now := s.now()
	var m store.OutboxMessage
	err = s.DB.Tx(r.Context(), func(tx *sql.Tx) error {
		var err error
		if m, err = outbox.Retry(r.Context(), tx, id, now); err != nil {
			return err
		}
		return store.InsertAudit(r.Context(), tx, store.AuditEntry{At: now, ActorID: p.User.ID, ActorEmail: p.User.Email, Action: "outbox.retry",
			TargetType: "email", TargetID: strconv.FormatInt(id, 10), SourceAddr: p.Source, Details: map[string]string{"to": m.To, "subject": m.Subject}})
	})
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.Outbox.Wake()
	writeJSON(w, http.StatusOK, struct {
		Message api.OutboxMessage `json:"message"`
	}{m.API()})
}
