package httpapi

import (
	"net/http"

	"gatepass.dev/backend/internal/actor"
	"gatepass.dev/shared/api"
)

func (s *Server) adminGetSettings(w http.ResponseWriter, r *http.Request, p actor.Actor) {
	writeJSON(w, http.StatusOK, api.SettingsResponse{Settings: s.Settings.Public(), ServerTime: s.now()})
}

// adminUpdateSettings changes the public URL and SMTP settings. The audit
// row names the changed fields, never the password; smtp_password_cleared
// says when a change of the SMTP server removed the stored password.
func (s *Server) adminUpdateSettings(w http.ResponseWriter, r *http.Request, p actor.Actor) {
	var in api.SettingsInput
	if err := decode(w, r, &in, false); err != nil {
		s.writeError(w, r, err)
		return
	}
	out, err := s.Admin.UpdateSettings(r.Context(), p, in)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, out)
}

// adminTestEmail sends a test email now, with the current settings, and
// reports the SMTP server's answer.
func (s *Server) adminTestEmail(w http.ResponseWriter, r *http.Request, p actor.Actor) {
	var in api.TestEmailRequest
	if err := decode(w, r, &in, true); err != nil {
		s.writeError(w, r, err)
		return
	}
	res, err := s.Admin.TestEmail(r.Context(), p, in.To)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, res)
}
