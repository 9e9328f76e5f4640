package web

import (
	"errors"
	"net/http"
	"strconv"

	"gatepass.dev/backend/internal/fault"
	"gatepass.dev/backend/internal/signin"
	"gatepass.dev/backend/internal/store"
)

// loginView is the sign-in page's data.
type loginView struct {
	Email     string
	Next      string
	FormToken string
	Error     string
	Notice    string
}

// loginPage shows the sign-in form; a signed-in admin or approver goes on
// to next.
func (s *Server) loginPage(w http.ResponseWriter, r *http.Request) {
	next := localNext(r.URL.Query().Get("next"))
	if v, ok, _ := s.currentSession(r); ok && s.loadApprovals(r.Context(), v) == nil && v.isReviewer() {
		http.Redirect(w, r, next, http.StatusFound)
		return
	}
	view := loginView{Next: next, FormToken: s.formToken(w, r)}
	if r.URL.Query().Get("signed_out") == "1" {
		view.Notice = "You are signed out."
	}
	s.render(w, r, nil, http.StatusOK, "login", "Sign in", view)
}

// login checks the credentials (limited and audited by signin, like the
// API's login; the device cookie of an earlier sign-in exempts this browser
// from the per-account limit) and starts a new session.
func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxForm)
	next := localNext(r.PostFormValue("next"))
	email := store.NormalizeEmail(r.PostFormValue("email"))
	view := loginView{Email: signin.Clip(email, 254), Next: next, FormToken: s.formToken(w, r)}
	if !s.checkFormToken(r) {
		view.Error = "The sign-in form expired or came from another site. Try again."
		s.render(w, r, nil, http.StatusForbidden, "login", "Sign in", view)
		return
	}
	old := ""
	if c, err := r.Cookie(s.cookieName()); err == nil {
		old = c.Value
	}
	start, err := s.SignIn.StartSession(r.Context(), signin.Attempt{Email: email, Password: r.PostFormValue("password"),
		Source: sourceAddr(r), DeviceToken: s.deviceToken(r)}, r.UserAgent(), old)
	var blocked *signin.BlockedError
	switch {
	case errors.As(err, &blocked):
		w.Header().Set("Retry-After", strconv.Itoa(blocked.Seconds()))
		view.Error = "Too many failed sign-in attempts. Try again in " + blocked.Minutes() + "."
		s.render(w, r, nil, http.StatusTooManyRequests, "login", "Sign in", view)
		return
	case errors.Is(err, signin.ErrBadCredentials):
		view.Error = "Wrong email or password."
		s.render(w, r, nil, http.StatusUnauthorized, "login", "Sign in", view)
		return
	case fault.Is(err, fault.Invalid):
		view.Error = "Enter your email and password."
		s.render(w, r, nil, http.StatusBadRequest, "login", "Sign in", view)
		return
	case err != nil:
		s.serverError(w, r, nil, err)
		return
	}
	s.setSessionCookies(w, start)
	redirect(w, r, next)
}

// logout ends the session (its live pages' streams end at once) and
// clears its cookie.
func (s *Server) logout(w http.ResponseWriter, r *http.Request, v *visit) {
	err := s.SignIn.Logout(r.Context(), v.Actor, v.Session.Hash)
	http.SetCookie(w, s.cookie(s.cookieName(), "", -1, http.SameSiteLaxMode))
	if err != nil {
		s.serverError(w, r, nil, err)
		return
	}
	redirect(w, r, "/admin/login?signed_out=1")
}
