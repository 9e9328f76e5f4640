package web

import (
	"errors"
	"net/http"

	"gatepass.dev/backend/internal/auth"
	"gatepass.dev/backend/internal/fault"
	"gatepass.dev/backend/internal/store"
	"gatepass.dev/shared/api"
)

// inviteView is the invitation page's data.
type inviteView struct {
	Token     string
	Email     string
	FormToken string
	Error     string
	Invalid   bool
	Done      bool
	Admin     bool
	ServerURL string
	MinLen    int
	Rule      string // the password policy in words
}

// invitePage shows the form that sets an invited user's password. Opening
// the link changes nothing: the token is used up only by the POST.
func (s *Server) invitePage(w http.ResponseWriter, r *http.Request) {
	token := r.URL.Query().Get("token")
	view := inviteView{Token: token, FormToken: s.formToken(w, r), MinLen: auth.MinPasswordLen, Rule: auth.PasswordRule}
	u, _, err := store.TokenUser(r.Context(), s.DB, store.TokenInvite, auth.HashToken(token), s.now())
	switch {
	case token == "" || errors.Is(err, store.ErrNotFound):
		view.Invalid = true
		s.render(w, r, nil, http.StatusNotFound, "invite", "Invitation", view)
		return
	case err != nil:
		s.serverError(w, r, nil, err)
		return
	}
	view.Email = u.Email
	s.render(w, r, nil, http.StatusOK, "invite", "Set your password", view)
}

// acceptInvite sets the password (signin.AcceptInvite, as the API does).
func (s *Server) acceptInvite(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxForm)
	token := r.PostFormValue("token")
	view := inviteView{Token: token, FormToken: s.formToken(w, r), MinLen: auth.MinPasswordLen, Rule: auth.PasswordRule}
	if u, _, err := store.TokenUser(r.Context(), s.DB, store.TokenInvite, auth.HashToken(token), s.now()); err == nil {
		view.Email = u.Email
	}
	if !s.checkFormToken(r) {
		view.Error = "The form expired or came from another site. Try again."
		s.render(w, r, nil, http.StatusForbidden, "invite", "Set your password", view)
		return
	}
	password := r.PostFormValue("password")
	if password != r.PostFormValue("confirm") {
		view.Error = "The two passwords differ."
		s.render(w, r, nil, http.StatusBadRequest, "invite", "Set your password", view)
		return
	}
	u, err := s.SignIn.AcceptInvite(r.Context(), token, password, sourceAddr(r))
	switch {
	case fault.Is(err, fault.NotFound):
		view.Invalid = true
		s.render(w, r, nil, http.StatusNotFound, "invite", "Invitation", view)
		return
	case err != nil:
		text, _, ok := problem(err)
		if !ok {
			s.serverError(w, r, nil, err)
			return
		}
		view.Error = text
		s.render(w, r, nil, http.StatusBadRequest, "invite", "Set your password", view)
		return
	}
	view = inviteView{Done: true, Email: u.Email, Admin: u.Role == api.RoleAdmin, ServerURL: s.Settings.PublicURL()}
	s.render(w, r, nil, http.StatusOK, "invite", "Password set", view)
}
