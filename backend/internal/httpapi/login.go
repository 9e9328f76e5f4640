package httpapi

import (
	"net/http"

	"gatepass.dev/backend/internal/actor"
	"gatepass.dev/backend/internal/signin"
	"gatepass.dev/backend/internal/store"
	"gatepass.dev/shared/api"
)

// login exchanges email and password for a bearer token and a device
// token. Failures are audited and limited (signin, shared with the web
// page's sign-in); the device token of an earlier sign-in, sent back as
// device_token, exempts this device from the per-account limit.
func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	var in api.LoginRequest
	if err := decode(w, r, &in, false); err != nil {
		s.writeError(w, r, err)
		return
	}
	res, err := s.SignIn.Login(r.Context(), signin.Attempt{Email: store.NormalizeEmail(in.Email), Password: in.Password,
		Source: sourceAddr(r), DeviceToken: in.DeviceToken}, r.UserAgent())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, api.LoginResponse{Token: res.Secret, DeviceToken: res.DeviceToken, User: res.User.API(),
		ExpiresAt: res.Token.ExpiresAt, ServerTime: s.now()})
}

// logout revokes the caller's token; its open streams end at once.
func (s *Server) logout(w http.ResponseWriter, r *http.Request, p actor.Actor) {
	if err := s.SignIn.Logout(r.Context(), p, ""); err != nil {
		s.writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// me returns the caller.
func (s *Server) me(w http.ResponseWriter, r *http.Request, p actor.Actor) {
	u, err := store.UserByID(r.Context(), s.DB, p.ID)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, api.UserResponse{User: u.API(), ServerTime: s.now()})
}

// acceptInvite sets the password of an invited user from the link's token.
func (s *Server) acceptInvite(w http.ResponseWriter, r *http.Request) {
	var in api.SetPasswordRequest
	if err := decode(w, r, &in, false); err != nil {
		s.writeError(w, r, err)
		return
	}
	u, err := s.SignIn.AcceptInvite(r.Context(), in.Token, in.Password, sourceAddr(r))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, api.UserResponse{User: u.API(), ServerTime: s.now()})
}
