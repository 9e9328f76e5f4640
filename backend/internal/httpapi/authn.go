package httpapi

import (
	"net/http"
	"strings"

	"gatepass.dev/backend/internal/actor"
	"gatepass.dev/backend/internal/fault"
	"gatepass.dev/backend/internal/store"
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

// reviewer wraps a handler of the request queue: admins, and approvers who
// are not admins (named by at least one network, directly or through a
// group). What an approver sees is narrowed by reviewScope; what they may
// decide is checked by the lifecycle.
func (s *Server) reviewer(h authedHandler) http.HandlerFunc {
	return s.user(func(w http.ResponseWriter, r *http.Request, p actor.Actor) {
		if !p.IsAdmin() {
			ids, err := store.ApprovedNetworkIDs(r.Context(), s.DB, p.ID)
			if err != nil {
				s.writeError(w, r, err)
				return
			}
			if len(ids) == 0 {
				s.writeError(w, r, fault.New(fault.Forbidden, "this endpoint is for admins and approvers"))
				return
			}
		}
		h(w, r, p)
	})
}

// reviewScope narrows a request filter to what p may see: everything for
// an admin, the networks they approve for an approver.
func (s *Server) reviewScope(r *http.Request, p actor.Actor, f *store.RequestFilter) error {
	if p.IsAdmin() {
		return nil
	}
	ids, err := store.ApprovedNetworkIDs(r.Context(), s.DB, p.ID)
	f.Scoped, f.NetworkIDs = true, ids
	return err
}

// visibleRequest loads the request of the path for a reviewer: an approver
// who is not an admin sees only the requests of networks they approve
// (others are "not found").
func (s *Server) visibleRequest(r *http.Request, p actor.Actor) (store.Request, error) {
	id := r.PathValue("id")
	req, err := store.RequestByID(r.Context(), s.DB, id)
	if err != nil {
		return req, err
	}
	if p.IsAdmin() {
		return req, nil
	}
	ok, err := store.IsApprover(r.Context(), s.DB, req.NetworkID, p.ID)
	if err == nil && !ok {
		err = fault.NotFoundf("no request %q", id)
	}
	return req, err
}
