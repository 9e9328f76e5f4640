package admin

import (
	"context"
	"database/sql"
	"strings"
	"time"

	"gatepass.dev/backend/internal/actor"
	"gatepass.dev/backend/internal/fault"
	"gatepass.dev/backend/internal/mail"
	"gatepass.dev/backend/internal/settings"
	"gatepass.dev/backend/internal/store"
	"gatepass.dev/shared/api"
)

// UpdateSettings changes the public URL and the SMTP settings and returns
// them as admins see them (without the password), saying whether a change
// of the SMTP server removed the stored password. The audit row names the
// changed fields, never the password.
func (s *Service) UpdateSettings(ctx context.Context, c actor.Actor, in api.SettingsInput) (api.SettingsResponse, error) {
	ch, err := s.Settings.Apply(in)
	if err != nil {
		return api.SettingsResponse{}, err
	}
	details := map[string]string{"changed": strings.Join(ch.Changed, ",")}
	if ch.PasswordCleared {
		details["smtp_password"] = "cleared: the SMTP server changed"
	}
	err = s.DB.Tx(ctx, func(tx *sql.Tx) error {
		if err := settings.Save(ctx, tx, ch.Settings); err != nil {
			return err
		}
		return store.InsertAudit(ctx, tx, s.audit(c, "settings.update", "settings", "", "", details))
	})
	if err != nil {
		return api.SettingsResponse{}, err
	}
	s.Settings.Set(ch.Settings)
	s.wakeOutbox()
	return api.SettingsResponse{Settings: s.Settings.Public(), SMTPPasswordCleared: ch.PasswordCleared, ServerTime: s.now()}, nil
}

// TestEmail sends a test email now with the current settings, to to (the
// caller when empty), and reports the SMTP server's answer. The attempt is
// audited.
func (s *Service) TestEmail(ctx context.Context, c actor.Actor, to string) (api.TestEmailResponse, error) {
	given := to
	to = strings.TrimSpace(to)
	if to == "" {
		to = c.Email
	}
	if err := mail.ValidAddress(to); err != nil {
		return api.TestEmailResponse{}, fault.Field("to", "%q is not an email address", given)
	}
	cfg := settings.MailConfig(s.Settings.Get().SMTP)
	sctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	res := api.TestEmailResponse{OK: true, Message: "sent to " + to + ": the SMTP server accepted it"}
	if !cfg.Configured() {
		res = api.TestEmailResponse{Message: "SMTP is not configured: set the host and the from address first"}
	} else if err := s.Sender.Send(sctx, cfg, mail.TestMessage(to, s.Settings.PublicURL())); err != nil {
		res = api.TestEmailResponse{Message: err.Error()}
	}
	res.ServerTime = s.now()
	// The attempt is not hidden from the audit log: when its row cannot be
	// written the caller hears of it (a storage failure, 503).
	if err := store.InsertAudit(ctx, s.DB, s.audit(c, "settings.test_email", "settings", "", "",
		map[string]string{"to": to, "ok": BoolStr(res.OK), "answer": clip(res.Message, 500)})); err != nil {
		return res, err
	}
	return res, nil
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "") + "…"
}
