package httpapi

import (
	"database/sql"
	"net/http"

	"gatepass.dev/backend/internal/auth"
	"gatepass.dev/backend/internal/events"
	"gatepass.dev/backend/internal/fault"
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
	email := store.NormalizeEmail(in.Email)
	src := sourceAddr(r)
	if email == "" || in.Password == "" {
		s.writeError(w, r, fault.Invalidf("email and password are required"))
		return
	}
	pass, err := s.SignIn.Check(r.Context(), signin.Attempt{Email: email, Password: in.Password, Source: src, DeviceToken: in.DeviceToken})
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	u := pass.User
	secret, hash := auth.NewToken()
	now := s.now()
	tok := store.Token{ID: store.NewID("tok"), UserID: u.ID, Hash: hash, Kind: store.TokenAPI, CreatedAt: now, ExpiresAt: now.Add(s.TokenTTL)}
	var device string
	err = s.DB.Tx(r.Context(), func(tx *sql.Tx) error {
		if err := store.CreateToken(r.Context(), tx, tok); err != nil {
			return err
		}
		device, err = s.SignIn.Succeeded(r.Context(), tx, pass, map[string]string{"user_agent": signin.Clip(r.UserAgent(), 200)})
		return err
	})
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, api.LoginResponse{Token: secret, DeviceToken: device, User: u.API(), ExpiresAt: tok.ExpiresAt, ServerTime: now})
}

// logout revokes the caller's token.
func (s *Server) logout(w http.ResponseWriter, r *http.Request, p principal) {
	now := s.now()
	err := s.DB.Tx(r.Context(), func(tx *sql.Tx) error {
		if err := store.RevokeToken(r.Context(), tx, p.TokenHash, now); err != nil {
			return err
		}
		return store.InsertAudit(r.Context(), tx, store.AuditEntry{At: now, ActorID: p.User.ID, ActorEmail: p.User.Email, Action: "logout",
			TargetType: "user", TargetID: p.User.ID, SourceAddr: p.Source})
	})
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.Bus.Publish(events.Change{UserIDs: []string{p.User.ID}}) // its open streams end now
	w.WriteHeader(http.StatusNoContent)
}

// me returns the caller.
func (s *Server) me(w http.ResponseWriter, r *http.Request, p principal) {
	writeJSON(w, http.StatusOK, api.UserResponse{User: p.User.API(), ServerTime: s.now()})
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
