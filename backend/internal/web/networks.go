package web

import (
	"net/http"

	"gatepass.dev/backend/internal/store"
	"gatepass.dev/shared/api"
)

type networkItem struct {
	store.Network
	Pending int
	Active  int
	Members int // explicit members (when not all users)
}

type networksView struct {
	Networks []networkItem
	Users    int
}

// networksPage lists the networks with their JIT toggle and open requests.
func (s *Server) networksPage(w http.ResponseWriter, r *http.Request, v *visit) {
	nets, err := store.ListNetworks(r.Context(), s.DB)
	if err != nil {
		s.serverError(w, r, v, err)
		return
	}
	counts, err := store.OpenRequestCounts(r.Context(), s.DB)
	if err != nil {
		s.serverError(w, r, v, err)
		return
	}
	users, err := store.CountUsers(r.Context(), s.DB)
	if err != nil {
		s.serverError(w, r, v, err)
		return
	}
	view := networksView{Users: users}
	for _, n := range nets {
		c := counts[n.ID]
		view.Networks = append(view.Networks, networkItem{Network: n, Pending: c[api.StatusPending], Active: c[api.StatusApproved], Members: len(n.MemberIDs)})
	}
	s.render(w, r, v, http.StatusOK, "networks", "Networks", view)
}
