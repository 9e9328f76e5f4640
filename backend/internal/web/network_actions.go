package web

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"

	"gatepass.dev/backend/internal/store"
	"gatepass.dev/shared/api"
)

// createNetwork creates a network from the form (admin.CreateNetwork, as
// the API); a validation error shows the form again with it.
func (s *Server) createNetwork(w http.ResponseWriter, r *http.Request, v *visit) {
	f, in, err := readNetworkForm(r, nil)
	var n store.Network
	if err == nil {
		n, err = s.Admin.CreateNetwork(r.Context(), v.Actor, in)
	}
	if err != nil {
		if !formError(&f, err) {
			s.serverError(w, r, v, err)
			return
		}
		s.renderNetworkForm(w, r, v, http.StatusBadRequest, f)
		return
	}
	s.setFlash(r.Context(), v, "ok", fmt.Sprintf("Created the network %s (%s). Its gateway listens on UDP port %d.", n.Name, n.CIDR, n.ListenPort))
	redirect(w, r, "/admin/networks/"+url.PathEscape(n.ID))
}

func (s *Server) updateNetwork(w http.ResponseWriter, r *http.Request, v *visit) {
	cur, err := store.NetworkByID(r.Context(), s.DB, r.PathValue("id"))
	if errors.Is(err, store.ErrNotFound) {
		s.renderError(w, r, v, http.StatusNotFound, "Not found", "There is no such network.")
		return
	} else if err != nil {
		s.serverError(w, r, v, err)
		return
	}
	f, in, err := readNetworkForm(r, &cur)
	var n store.Network
	if err == nil {
		n, err = s.Admin.UpdateNetwork(r.Context(), v.Actor, cur.ID, in)
	}
	if err != nil {
		if !formError(&f, err) {
			s.serverError(w, r, v, err)
			return
		}
		s.renderNetworkForm(w, r, v, http.StatusBadRequest, f)
		return
	}
	s.setFlash(r.Context(), v, "ok", "Saved the network "+n.Name+".")
	redirect(w, r, "/admin/networks/"+url.PathEscape(n.ID))
}

// toggleJIT turns a network's JIT requirement on or off.
func (s *Server) toggleJIT(w http.ResponseWriter, r *http.Request, v *visit) {
	on := r.PostFormValue("enabled") == "true"
	n, err := s.Admin.UpdateNetwork(r.Context(), v.Actor, r.PathValue("id"), api.NetworkInput{JITEnabled: &on})
	back := localNext(r.PostFormValue("next"))
	switch {
	case errors.Is(err, store.ErrNotFound):
		s.setFlash(r.Context(), v, "error", "There is no such network.")
	case err != nil:
		s.serverError(w, r, v, err)
		return
	case on:
		s.setFlash(r.Context(), v, "ok", "JIT is enabled on "+n.Name+": members need an approved request to connect.")
	default:
		s.setFlash(r.Context(), v, "ok", "JIT is disabled on "+n.Name+": its members have standing access.")
	}
	redirect(w, r, back)
}

func (s *Server) deleteNetwork(w http.ResponseWriter, r *http.Request, v *visit) {
	n, err := store.NetworkByID(r.Context(), s.DB, r.PathValue("id"))
	if err == nil {
		err = s.Admin.DeleteNetwork(r.Context(), v.Actor, n.ID)
	}
	switch {
	case errors.Is(err, store.ErrNotFound):
		s.setFlash(r.Context(), v, "error", "There is no such network.")
	case err != nil:
		s.serverError(w, r, v, err)
		return
	default:
		s.setFlash(r.Context(), v, "ok", "Deleted the network "+n.Name+" with its requests.")
	}
	redirect(w, r, "/admin/networks")
}
