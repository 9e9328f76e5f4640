package web

import (
	"net/http"
	"strconv"
	"strings"

	"gatepass.dev/shared/api"
)

type settingsView struct {
	S          api.Settings // without the password
	Port       string
	MaxDevices string
	Error      string
	To         string
}

func (s *Server) settingsPage(w http.ResponseWriter, r *http.Request, v *visit) {
	st := s.Settings.Public()
	view := settingsView{S: st, To: v.Actor.Email, MaxDevices: strconv.Itoa(st.MaxDevicesPerUser)}
	if st.SMTP.Port != 0 {
		view.Port = strconv.Itoa(st.SMTP.Port)
	}
	s.render(w, r, v, http.StatusOK, "settings", "Server settings", view)
}

// saveSettings saves the public URL and SMTP settings (admin.UpdateSettings,
// as the API). The password is write-only: an empty field keeps the stored
// one, "clear" removes it, and a change of host, port or security removes
// it too unless a new one is entered (the flash says so).
func (s *Server) saveSettings(w http.ResponseWriter, r *http.Request, v *visit) {
	get := r.PostFormValue
	publicURL := strings.TrimSpace(get("public_url"))
	host, user, from := strings.TrimSpace(get("smtp_host")), get("smtp_username"), strings.TrimSpace(get("smtp_from"))
	tls := api.SMTPTLS(get("smtp_tls"))
	insecure := get("smtp_allow_insecure_auth") == "on"
	portText := strings.TrimSpace(get("smtp_port"))
	smtp := &api.SMTPSettingsInput{Host: &host, Username: &user, From: &from, TLS: &tls, AllowInsecureAuth: &insecure}
	in := api.SettingsInput{PublicURL: &publicURL, SMTP: smtp}
	view := settingsView{S: api.Settings{PublicURL: publicURL, SMTP: api.SMTPSettings{Host: host, Username: user, From: from, TLS: tls,
		AllowInsecureAuth: insecure, PasswordSet: s.Settings.Public().SMTP.PasswordSet}}, Port: portText, To: v.Actor.Email,
		MaxDevices: strings.TrimSpace(get("max_devices_per_user"))}
	if view.MaxDevices != "" {
		n, err := strconv.Atoi(view.MaxDevices)
		if err != nil {
			view.Error = "max_devices_per_user: " + strconv.Quote(view.MaxDevices) + " is not a number"
			s.render(w, r, v, http.StatusBadRequest, "settings", "Server settings", view)
			return
		}
		in.MaxDevicesPerUser = &n
	}
	port := 0
	if portText != "" {
		var err error
		if port, err = strconv.Atoi(portText); err != nil {
			view.Error = "smtp.port: " + strconv.Quote(portText) + " is not a port number"
			s.render(w, r, v, http.StatusBadRequest, "settings", "Server settings", view)
			return
		}
	}
	smtp.Port = &port
	if p := get("smtp_password"); p != "" {
		smtp.Password = &p
	} else if get("smtp_password_clear") == "on" {
		empty := ""
		smtp.Password = &empty
	}
	res, err := s.Admin.UpdateSettings(r.Context(), v.Actor, in)
	if err != nil {
		text, _, ok := problem(err)
		if !ok {
			s.serverError(w, r, v, err)
			return
		}
		view.Error = text
		s.render(w, r, v, http.StatusBadRequest, "settings", "Server settings", view)
		return
	}
	msg := "Saved the server settings."
	if res.SMTPPasswordCleared {
		msg += " The stored SMTP password was removed because the SMTP server changed: enter the password for the new server."
	}
	s.setFlash(r.Context(), v, "ok", msg)
	redirect(w, r, "/admin/settings")
}

// testEmail sends a test email now and reports the SMTP server's answer.
func (s *Server) testEmail(w http.ResponseWriter, r *http.Request, v *visit) {
	res, err := s.Admin.TestEmail(r.Context(), v.Actor, r.PostFormValue("to"))
	switch {
	case err != nil:
		text, _, ok := problem(err)
		if !ok {
			s.serverError(w, r, v, err)
			return
		}
		s.setFlash(r.Context(), v, "error", "No test email sent: "+text)
	case res.OK:
		s.setFlash(r.Context(), v, "ok", "Test email "+res.Message+".")
	default:
		s.setFlash(r.Context(), v, "error", "The test email failed: "+res.Message)
	}
	redirect(w, r, "/admin/settings")
}
