package httpapi

import (
	"context"
	"database/sql"
	"net/http"
	"strings"
	"time"

	"gatepass.dev/backend/internal/mail"
	"gatepass.dev/backend/internal/settings"
	"gatepass.dev/backend/internal/store"
	"gatepass.dev/shared/api"
)

func (s *Server) adminGetSettings(w http.ResponseWriter, r *http.Request, p principal) {
	writeJSON(w, http.StatusOK, api.SettingsResponse{Settings: s.Settings.Public(), ServerTime: s.now()})
}

// adminUpdateSettings changes the public URL and SMTP settings. The audit
// row names the changed fields, never the password.
func (s *Server) adminUpdateSettings(w http.ResponseWriter, r *http.Request, p principal) {
	var in api.SettingsInput
	if err := decode(w, r, &in, false); err != nil {
		s.writeError(w, r, err)
		return
	}
	next, changed, err := s.Settings.Apply(in)
	if err != nil {
		s.writeError(w, r, badRequest("%s", err.Error()))
		return
	}
	now := s.now()
	err = s.DB.Tx(r.Context(), func(tx *sql.Tx) error {
		if err := settings.Save(r.Context(), tx, next); err != nil {
			return err
		}
		return store.InsertAudit(r.Context(), tx, store.AuditEntry{At: now, ActorID: p.User.ID, ActorEmail: p.User.Email, Action: "settings.update",
			TargetType: "settings", SourceAddr: p.Source, Details: map[string]string{"changed": strings.Join(changed, ",")}})
	})
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.Settings.Set(next)
	s.Outbox.Wake()
	writeJSON(w, http.StatusOK, api.SettingsResponse{Settings: s.Settings.Public(), ServerTime: now})
}

// adminTestEmail sends a test email now, with the current settings, and
// reports the SMTP server's answer.
func (s *Server) adminTestEmail(w http.ResponseWriter, r *http.Request, p principal) {
	var in api.TestEmailRequest
	if err := decode(w, r, &in, true); err != nil {
		s.writeError(w, r, err)
		return
	}
	to := strings.TrimSpace(in.To)
	if to == "" {
		to = p.User.Email
	}
	if err := mail.ValidAddress(to); err != nil {
		s.writeError(w, r, fieldErr("to", "%q is not an email address", in.To))
		return
	}
	cfg := settings.MailConfig(s.Settings.Get().SMTP)
	ctx, cancel := context.WithTimeout(r.Context(), 30*time.Second)
	defer cancel()
	res := api.TestEmailResponse{OK: true, Message: "sent to " + to + ": the SMTP server accepted it"}
	if !cfg.Configured() {
		res = api.TestEmailResponse{Message: "SMTP is not configured: set the host and the from address first"}
	} else if err := s.Sender.Send(ctx, cfg, mail.TestMessage(to, s.Settings.PublicURL())); err != nil {
		res = api.TestEmailResponse{Message: err.Error()}
	}
	res.ServerTime = s.now()
	_ = store.InsertAudit(r.Context(), s.DB, store.AuditEntry{At: s.now(), ActorID: p.User.ID, ActorEmail: p.User.Email, Action: "settings.test_email",
		TargetType: "settings", SourceAddr: p.Source, Details: map[string]string{"to": to, "ok": boolStr(res.OK), "answer": clip(res.Message, 500)}})
	writeJSON(w, http.StatusOK, res)
}
