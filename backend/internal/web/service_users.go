package web

import (
	"errors"
	"net/http"
	"time"

	"gatepass.dev/backend/internal/admin"
	"gatepass.dev/backend/internal/store"
	"gatepass.dev/shared/api"
)

// Service users (admin.Service's, as the API's "service": true): non-human
// accounts such as a CI runner. Creating one, or issuing a new token
// (which signs out its others), shows its API token on the answer itself,
// once: it is never kept — not in the session's message for the next
// page either — and the page is not cached (Cache-Control: no-store, as
// every page).

type serviceTokenView struct {
	U         store.User
	Token     string
	ExpiresAt time.Time
	New       bool // a new account, not a new token
}

// createServiceUser creates a service user (email, name) and shows its
// first API token.
func (s *Server) createServiceUser(w http.ResponseWriter, r *http.Request, v *visit) {
	in := api.UserInput{Email: r.PostFormValue("email"), Name: r.PostFormValue("name"), Service: true}
	st, err := s.Admin.CreateServiceUser(r.Context(), v.Actor, in)
	if err != nil {
		view := usersView{Role: api.RoleUser, ServiceEmail: in.Email, ServiceName: in.Name}
		if !fieldError(&view.ServiceError, &view.ServiceField, "email", err) {
			s.serverError(w, r, v, err)
			return
		}
		s.renderUsers(w, r, v, http.StatusBadRequest, view)
		return
	}
	s.showServiceToken(w, r, v, st, true)
}

// newServiceToken issues a service user a new API token, ending its
// others, and shows it.
func (s *Server) newServiceToken(w http.ResponseWriter, r *http.Request, v *visit) {
	st, err := s.Admin.NewServiceToken(r.Context(), v.Actor, r.PathValue("id"))
	if err != nil {
		text, _, ok := problem(err)
		switch {
		case errors.Is(err, store.ErrNotFound):
			text = "There is no such user."
		case !ok:
			s.serverError(w, r, v, err)
			return
		}
		s.setFlash(r.Context(), v, "error", "No token was issued: "+text)
		redirect(w, r, localNext("/admin/users/"+r.PathValue("id")))
		return
	}
	s.showServiceToken(w, r, v, st, false)
}

func (s *Server) showServiceToken(w http.ResponseWriter, r *http.Request, v *visit, st admin.ServiceToken, created bool) {
	status := http.StatusOK
	if created {
		status = http.StatusCreated
	}
	s.render(w, r, v, status, "service_token", "API token of "+st.User.Email,
		serviceTokenView{U: st.User, Token: st.Secret, ExpiresAt: st.ExpiresAt, New: created})
}
