package httpapi

import (
	"errors"
	"net/http"
	"strings"

	"gatepass.dev/backend/internal/access"
	"gatepass.dev/backend/internal/admin"
	"gatepass.dev/backend/internal/auth"
	"gatepass.dev/backend/internal/fault"
	"gatepass.dev/backend/internal/store"
	"gatepass.dev/shared/api"
)

// principal is the authenticated caller of one request.
type principal struct {
	User      store.User
	TokenHash string
	DeviceID  string // the device registered with the token, if any
	Source    string
}

func (p principal) actor() access.Actor {
	return access.Actor{ID: p.User.ID, Email: p.User.Email, Role: p.User.Role, SourceAddr: p.Source}
}

func (p principal) caller() admin.Caller { return admin.Caller{User: p.User, Source: p.Source} }

func (p principal) isAdmin() bool { return p.User.Role == api.RoleAdmin }

type authedHandler func(w http.ResponseWriter, r *http.Request, p principal)

// authenticate resolves the bearer token of r.
func (s *Server) authenticate(r *http.Request) (principal, error) {
	h := r.Header.Get("Authorization")
	scheme, token, ok := strings.Cut(h, " ")
	if h == "" || !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(token) == "" {
		return principal{}, fault.New(fault.Unauthenticated, "sign in first: this endpoint needs an Authorization: Bearer token")
	}
	hash := auth.HashToken(strings.TrimSpace(token))
	u, tok, err := store.TokenUser(r.Context(), s.DB, store.TokenAPI, hash, s.now())
	if errors.Is(err, store.ErrNotFound) {
		return principal{}, fault.New(fault.Unauthenticated, "the token is invalid, expired or revoked: sign in again")
	}
	if err != nil {
		return principal{}, err
	}
	return principal{User: u, TokenHash: hash, DeviceID: tok.DeviceID, Source: sourceAddr(r)}, nil
}

// user wraps a handler that needs any signed-in user.
func (s *Server) user(h authedHandler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		p, err := s.authenticate(r)
		if err != nil {
			w.Header().Set("WWW-Authenticate", `Bearer realm="gatepass"`)
			s.writeError(w, r, err)
			return
		}
		h(w, r, p)
	}
}

// admin wraps a handler that needs an admin.
func (s *Server) admin(h authedHandler) http.HandlerFunc {
	return s.user(func(w http.ResponseWriter, r *http.Request, p principal) {
		if !p.isAdmin() {
			s.writeError(w, r, fault.New(fault.Forbidden, "this endpoint is for admins"))
			return
		}
		h(w, r, p)
	})
}
