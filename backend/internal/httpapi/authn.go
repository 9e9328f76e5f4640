package httpapi

import (
	"net/http"
	"strings"

	"gatepass.dev/backend/internal/actor"
	"gatepass.dev/backend/internal/fault"
)

type authedHandler func(w http.ResponseWriter, r *http.Request, p actor.Actor)

// authenticate resolves the bearer token of r to who is acting.
func (s *Server) authenticate(r *http.Request) (actor.Actor, error) {
	h := r.Header.Get("Authorization")
	scheme, token, ok := strings.Cut(h, " ")
	if h == "" || !ok || !strings.EqualFold(scheme, "Bearer") {
		token = ""
	}
	return s.SignIn.Authenticate(r.Context(), strings.TrimSpace(token), sourceAddr(r))
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
	return s.user(func(w http.ResponseWriter, r *http.Request, p actor.Actor) {
		if !p.IsAdmin() {
			s.writeError(w, r, fault.New(fault.Forbidden, "this endpoint is for admins"))
			return
		}
		h(w, r, p)
	})
}
