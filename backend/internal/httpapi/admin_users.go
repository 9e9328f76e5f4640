package httpapi

import (
	"net/http"

	"gatepass.dev/backend/internal/actor"
	"gatepass.dev/backend/internal/store"
	"gatepass.dev/shared/api"
)

func (s *Server) adminListUsers(w http.ResponseWriter, r *http.Request, p actor.Actor) {
	users, err := store.ListUsers(r.Context(), s.DB)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out := api.UserList{Users: make([]api.User, 0, len(users)), ServerTime: s.now()}
	for _, u := range users {
		out.Users = append(out.Users, u.API())
	}
	writeJSON(w, http.StatusOK, out)
}

// adminCreateUser creates a user with a password, or without one invites
// them: an email with a link to set a password.
func (s *Server) adminCreateUser(w http.ResponseWriter, r *http.Request, p actor.Actor) {
	var in api.UserInput
	if err := decode(w, r, &in, false); err != nil {
		s.writeError(w, r, err)
		return
	}
	if in.Service {
		st, err := s.Admin.CreateServiceUser(r.Context(), p, in)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		writeJSON(w, http.StatusCreated, api.UserResponse{User: st.User.API(), Token: st.Secret, ServerTime: s.now()})
		return
	}
	u, err := s.Admin.CreateUser(r.Context(), p, in)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, api.UserResponse{User: u.API(), ServerTime: s.now()})
}

// adminServiceToken issues a service user a new API token (shown once)
// and signs out its others.
func (s *Server) adminServiceToken(w http.ResponseWriter, r *http.Request, p actor.Actor) {
	var in struct{}
	if err := decode(w, r, &in, true); err != nil {
		s.writeError(w, r, err)
		return
	}
	st, err := s.Admin.NewServiceToken(r.Context(), p, r.PathValue("id"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, api.ServiceTokenResponse{User: st.User.API(), Token: st.Secret, ExpiresAt: st.ExpiresAt, ServerTime: s.now()})
}

// adminUpdateUser changes a user's name, role or disabled flag. Disabling
// ends the user's grants and pending requests and signs them out.
func (s *Server) adminUpdateUser(w http.ResponseWriter, r *http.Request, p actor.Actor) {
	var in api.UserPatch
	if err := decode(w, r, &in, false); err != nil {
		s.writeError(w, r, err)
		return
	}
	u, err := s.Admin.UpdateUser(r.Context(), p, r.PathValue("id"), in)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, api.UserResponse{User: u.API(), ServerTime: s.now()})
}
