package web

import (
	"errors"
	"net/http"
	"strings"

	"gatepass.dev/backend/internal/store"
	"gatepass.dev/shared/api"
)

type userRow struct {
	store.User
	Invited bool // no password set yet
	Self    bool
}

type usersView struct {
	Users []userRow
	// the invite form, kept after an error
	Email, Name string
	Role        api.Role
	Error       string
	Field       string
	// the service user form, kept after an error
	ServiceEmail, ServiceName  string
	ServiceError, ServiceField string
}

func (s *Server) usersPage(w http.ResponseWriter, r *http.Request, v *visit) {
	s.renderUsers(w, r, v, http.StatusOK, usersView{Role: api.RoleUser})
}

func (s *Server) renderUsers(w http.ResponseWriter, r *http.Request, v *visit, status int, view usersView) {
	users, err := store.ListUsers(r.Context(), s.DB)
	if err != nil {
		s.serverError(w, r, v, err)
		return
	}
	for _, u := range users {
		view.Users = append(view.Users, userRow{User: u, Invited: u.PasswordHash == "" && !u.Service, Self: u.ID == v.Actor.ID})
	}
	s.render(w, r, v, status, "users", "Users", view)
}

// inviteUser creates a user without a password and emails them a link to
// set one (admin.CreateUser, as the API's invite).
func (s *Server) inviteUser(w http.ResponseWriter, r *http.Request, v *visit) {
	in := api.UserInput{Email: r.PostFormValue("email"), Name: r.PostFormValue("name"), Role: api.Role(r.PostFormValue("role"))}
	u, err := s.Admin.CreateUser(r.Context(), v.Actor, in)
	if err != nil {
		view := usersView{Email: in.Email, Name: in.Name, Role: in.Role}
		if !userFormError(&view, err) {
			s.serverError(w, r, v, err)
			return
		}
		s.renderUsers(w, r, v, http.StatusBadRequest, view)
		return
	}
	s.setFlash(r.Context(), v, "ok", "Invited "+u.Email+": they have been emailed a link to set their password.")
	redirect(w, r, "/admin/users")
}

func userFormError(view *usersView, err error) bool {
	return fieldError(&view.Error, &view.Field, "email", err) // the only unique field of a user
}

// updateUser changes a user's role, or disables or enables them.
// Disabling ends their grants and pending requests (access.Service.Settle
// inside admin.UpdateUser) and signs them out.
func (s *Server) updateUser(w http.ResponseWriter, r *http.Request, v *visit) {
	var patch api.UserPatch
	var done string
	switch r.PostFormValue("op") {
	case "role":
		role := api.Role(r.PostFormValue("role"))
		patch.Role, done = &role, "is now "+strings.ToLower(string(role))
	case "disable":
		t := true
		patch.Disabled, done = &t, "is disabled: their access ended and they are signed out"
	case "enable":
		f := false
		patch.Disabled, done = &f, "is enabled again"
	default:
		s.setFlash(r.Context(), v, "error", "Nothing was changed: unknown change.")
		redirect(w, r, "/admin/users")
		return
	}
	u, err := s.Admin.UpdateUser(r.Context(), v.Actor, r.PathValue("id"), patch)
	switch {
	case errors.Is(err, store.ErrNotFound):
		s.setFlash(r.Context(), v, "error", "There is no such user.")
	case err != nil:
		text, _, ok := problem(err)
		if !ok {
			s.serverError(w, r, v, err)
			return
		}
		s.setFlash(r.Context(), v, "error", "Nothing was changed: "+text)
	default:
		s.setFlash(r.Context(), v, "ok", u.Email+" "+done+".")
	}
	redirect(w, r, "/admin/users")
}
