package httpapi

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"

	"gatepass.dev/backend/internal/auth"
	"gatepass.dev/backend/internal/store"
	"gatepass.dev/shared/api"
)

// login exchanges email and password for a bearer token. Failures are
// audited and rate-limited per email and per source address.
func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	var in api.LoginRequest
	if err := decode(w, r, &in, false); err != nil {
		s.writeError(w, r, err)
		return
	}
	email := store.NormalizeEmail(in.Email)
	src := sourceAddr(r)
	if email == "" || in.Password == "" {
		s.writeError(w, r, badRequest("email and password are required"))
		return
	}
	keys := []string{"email:" + email, "ip:" + src}
	if blocked, wait := s.limiter.Blocked(keys...); blocked {
		w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(wait.Seconds()))))
		s.auditLogin(r.Context(), "login.blocked", store.User{}, email, src, "too many failed attempts")
		s.writeError(w, r, apiErr(429, api.CodeRateLimited, "too many failed sign-in attempts: try again in %d minutes", int(math.Ceil(wait.Minutes()))))
		return
	}
	u, err := store.UserByEmail(r.Context(), s.DB, email)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		s.writeError(w, r, err)
		return
	}
	reason := ""
	switch {
	case errors.Is(err, store.ErrNotFound):
		_ = auth.CheckPassword("", in.Password) // same cost as a real check
		reason = "unknown email"
	case auth.CheckPassword(u.PasswordHash, in.Password) != nil:
		reason = "wrong password"
	case u.Disabled:
		reason = "account disabled"
	}
	if reason != "" {
		s.limiter.Fail(keys...)
		s.Metrics.LoginFailures.Inc()
		s.auditLogin(r.Context(), "login.failure", u, email, src, reason)
		s.writeError(w, r, apiErr(401, api.CodeUnauthorized, "wrong email or password"))
		return
	}
	s.limiter.Reset("email:" + email)
	secret, hash := auth.NewToken()
	now := s.now()
	tok := store.Token{ID: store.NewID("tok"), UserID: u.ID, Hash: hash, Kind: store.TokenAPI, CreatedAt: now, ExpiresAt: now.Add(s.TokenTTL)}
	err = s.DB.Tx(r.Context(), func(tx *sql.Tx) error {
		if err := store.CreateToken(r.Context(), tx, tok); err != nil {
			return err
		}
		return store.InsertAudit(r.Context(), tx, store.AuditEntry{At: now, ActorID: u.ID, ActorEmail: u.Email, Action: "login",
			TargetType: "user", TargetID: u.ID, SourceAddr: src, Details: map[string]string{"user_agent": clip(r.UserAgent(), 200)}})
	})
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, api.LoginResponse{Token: secret, User: u.API(), ExpiresAt: tok.ExpiresAt, ServerTime: now})
}

func (s *Server) auditLogin(ctx context.Context, action string, u store.User, email, src, reason string) {
	err := store.InsertAudit(ctx, s.DB, store.AuditEntry{At: s.now(), ActorID: u.ID, ActorEmail: clip(email, 254), Action: action,
		TargetType: "user", TargetID: u.ID, SourceAddr: src, Details: map[string]string{"reason": reason}})
	if err != nil {
		s.Logger.Error("audit: login", "err", err)
	}
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
	if err := auth.ValidatePassword(in.Password); err != nil {
		s.writeError(w, r, &api.Error{Status: 400, Code: api.CodeBadRequest, Field: "password", Message: err.Error()})
		return
	}
	hash, err := auth.HashPassword(in.Password)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	now := s.now()
	var u store.User
	err = s.DB.Tx(r.Context(), func(tx *sql.Tx) error {
		th := auth.HashToken(in.Token)
		var err error
		u, _, err = store.TokenUser(r.Context(), tx, store.TokenInvite, th, now)
		if errors.Is(err, store.ErrNotFound) {
			return apiErr(404, api.CodeNotFound, "this invitation link is invalid, used or expired: ask an admin for a new one")
		}
		if err != nil {
			return err
		}
		u.PasswordHash, u.UpdatedAt = hash, now
		if err := store.UpdateUser(r.Context(), tx, u); err != nil {
			return err
		}
		if err := store.RevokeToken(r.Context(), tx, th, now); err != nil {
			return err
		}
		return store.InsertAudit(r.Context(), tx, store.AuditEntry{At: now, ActorID: u.ID, ActorEmail: u.Email, Action: "user.accept_invite",
			TargetType: "user", TargetID: u.ID, SourceAddr: sourceAddr(r)})
	})
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, api.UserResponse{User: u.API(), ServerTime: now})
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return fmt.Sprintf("%s…", strings.ToValidUTF8(s[:n], ""))
}
