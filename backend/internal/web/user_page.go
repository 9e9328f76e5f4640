package web

import (
	"errors"
	"net/http"
	"net/url"

	"gatepass.dev/backend/internal/store"
	"gatepass.dev/shared/api"
)

type userView struct {
	U       store.User
	Self    bool
	Devices []api.Device
	Names   map[string]string // network id → name, for the devices' addresses
}

// userPage is one user: their account and their devices, each of which an
// admin can revoke (a stolen laptop: its peers leave every gateway and the
// token it signed in with is signed out).
func (s *Server) userPage(w http.ResponseWriter, r *http.Request, v *visit) {
	u, err := store.UserByID(r.Context(), s.DB, r.PathValue("id"))
	if errors.Is(err, store.ErrNotFound) {
		s.renderError(w, r, v, http.StatusNotFound, "Not found", "There is no such user.")
		return
	} else if err != nil {
		s.serverError(w, r, v, err)
		return
	}
	devs, err := s.Access.Devices(r.Context(), u.ID, "")
	if err != nil {
		s.serverError(w, r, v, err)
		return
	}
	nets, err := store.ListNetworkSummaries(r.Context(), s.DB)
	if err != nil {
		s.serverError(w, r, v, err)
		return
	}
	view := userView{U: u, Self: u.ID == v.Actor.ID, Devices: devs, Names: map[string]string{}}
	for _, n := range nets {
		view.Names[n.ID] = n.Name
	}
	s.render(w, r, v, http.StatusOK, "user", u.Email, view)
}

// removeDevice revokes a user's device (access.RemoveDevice, as the API's
// DELETE /api/v1/admin/devices/{id}).
func (s *Server) removeDevice(w http.ResponseWriter, r *http.Request, v *visit) {
	d, err := s.Access.RemoveDevice(r.Context(), v.Actor, r.PathValue("id"))
	if err != nil {
		text, _, ok := problem(err)
		if !ok {
			s.serverError(w, r, v, err)
			return
		}
		s.setFlash(r.Context(), v, "error", "The device was not revoked: "+text)
		redirect(w, r, localNext(r.PostFormValue("next")))
		return
	}
	s.setFlash(r.Context(), v, "ok", "Revoked the device "+d.Name+": it is off every gateway and signed out.")
	redirect(w, r, "/admin/users/"+url.PathEscape(d.UserID))
}
