package web

import (
	"errors"
	"net/http"
	"sort"

	"gatepass.dev/backend/internal/store"
	"gatepass.dev/shared/api"
)

// grantView is an active grant with its devices' connection state.
type grantView struct {
	store.Request
	Peers []api.PeerStatus
}

type networkView struct {
	N        store.Network
	Grants   []grantView
	Standing []api.PeerStatus // peers with standing access (JIT off, admins)
	Pending  int
	Policy   networkPolicy
	Rules    []ruleRow
	Preview  previewView
	Gateway  bool // connection state is known
	Gateways *gatewaySection
}

// networkPage is one network: its settings and policy, the JIT toggle,
// each active grant with its devices' connection state (last handshake,
// bytes), its rules in order and the preview of a request.
func (s *Server) networkPage(w http.ResponseWriter, r *http.Request, v *visit) {
	n, ok := s.networkOr404(w, r, v)
	if ok {
		s.renderNetwork(w, r, v, http.StatusOK, n, previewView{})
	}
}

// networkOr404 loads the network of the path, or answers with the 404
// page (or the error page).
func (s *Server) networkOr404(w http.ResponseWriter, r *http.Request, v *visit) (store.Network, bool) {
	n, err := store.NetworkByID(r.Context(), s.DB, r.PathValue("id"))
	if errors.Is(err, store.ErrNotFound) {
		s.renderError(w, r, v, http.StatusNotFound, "Not found", "There is no such network.")
		return n, false
	} else if err != nil {
		s.serverError(w, r, v, err)
		return n, false
	}
	return n, true
}

// renderNetwork renders a network's page with the preview form (and its
// answer, when one was asked).
func (s *Server) renderNetwork(w http.ResponseWriter, r *http.Request, v *visit, status int, n store.Network, preview previewView) {
	open, err := store.OpenRequestsOfNetwork(r.Context(), s.DB, n.ID)
	if err != nil {
		s.serverError(w, r, v, err)
		return
	}
	view := networkView{N: n, Gateway: s.Gateway != nil, Preview: preview}
	if view.Gateways, err = s.networkGateways(r.Context(), n, v); err != nil {
		s.serverError(w, r, v, err)
		return
	}
	var peers []api.PeerStatus
	if s.Gateway != nil {
		peers = s.Gateway.Peers(n.ID)
		sort.Slice(peers, func(i, j int) bool {
			return peers[i].UserEmail+peers[i].DeviceName < peers[j].UserEmail+peers[j].DeviceName
		})
	}
	granted := map[string]bool{}
	for _, req := range open {
		if req.Status == api.StatusPending {
			view.Pending++
			continue
		}
		g := grantView{Request: req}
		for _, p := range peers {
			if p.UserID == req.UserID {
				g.Peers = append(g.Peers, p)
			}
		}
		granted[req.UserID] = true
		view.Grants = append(view.Grants, g)
	}
	for _, p := range peers {
		if !granted[p.UserID] {
			view.Standing = append(view.Standing, p)
		}
	}
	if view.Policy, err = s.loadPolicy(r.Context(), n); err != nil {
		s.serverError(w, r, v, err)
		return
	}
	if view.Rules, err = s.ruleRows(r.Context(), n, view.Policy); err != nil {
		s.serverError(w, r, v, err)
		return
	}
	view.Preview.defaults(view.Rules)
	s.render(w, r, v, status, "network", n.Name, view)
}
