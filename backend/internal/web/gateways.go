package web

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"gatepass.dev/backend/internal/actor"
	"gatepass.dev/backend/internal/store"
	"gatepass.dev/shared/api"
)

// GatewayAdmin is what the pages ask of the gateways (gatewayhub.Hub):
// the list, a network's, adding a remote one, revoking it.
type GatewayAdmin interface {
	List(ctx context.Context) ([]api.Gateway, error)
	NetworkGateways(ctx context.Context, networkID string) ([]api.Gateway, error)
	AddGateway(ctx context.Context, by actor.Actor, networkID string, in api.GatewayInput) (api.NewGatewayResponse, error)
	Revoke(ctx context.Context, by actor.Actor, id string) (store.Gateway, error)
	Lease() time.Duration
}

// gatewaySection is the network page's gateway card.
type gatewaySection struct {
	N        store.Network
	Gateways []api.Gateway
	// CanAdd: no remote gateway is live (waiting or enrolled).
	CanAdd bool
	Lease  time.Duration
	CSRF   string
	Now    time.Time
}

// networkGateways is the gateway card of network n for visit v (nil when
// the server has no gateways to show).
func (s *Server) networkGateways(ctx context.Context, n store.Network, v *visit) (*gatewaySection, error) {
	if s.Gateways == nil {
		return nil, nil
	}
	gws, err := s.Gateways.NetworkGateways(ctx, n.ID)
	if err != nil {
		return nil, err
	}
	sec := &gatewaySection{N: n, Gateways: gws, CanAdd: true, Lease: s.Gateways.Lease(), CSRF: v.Session.CSRF, Now: s.now()}
	for _, g := range gws {
		if g.Kind == api.GatewayRemote {
			sec.CanAdd = false
		}
	}
	return sec, nil
}

// gatewaysPage lists every gateway that is not revoked.
func (s *Server) gatewaysPage(w http.ResponseWriter, r *http.Request, v *visit) {
	gws, err := s.Gateways.List(r.Context())
	if err != nil {
		s.serverError(w, r, v, err)
		return
	}
	s.render(w, r, v, http.StatusOK, "gateways", "Gateways", struct {
		Gateways []api.Gateway
		Lease    time.Duration
	}{gws, s.Gateways.Lease()})
}

// gatewayAdded is the page shown once after a gateway was added: the
// command with its enroll token (only its hash is kept).
type gatewayAdded struct {
	N     store.Network
	Added api.NewGatewayResponse
	Port  string
}

// addGateway adds a remote gateway to a network and shows the command to
// run on its host, this once (the answer is not cached; a reload does not
// resend the form without the browser asking).
func (s *Server) addGateway(w http.ResponseWriter, r *http.Request, v *visit) {
	n, err := store.NetworkByID(r.Context(), s.DB, r.PathValue("id"))
	if errors.Is(err, store.ErrNotFound) {
		s.renderError(w, r, v, http.StatusNotFound, "Not found", "There is no such network.")
		return
	} else if err != nil {
		s.serverError(w, r, v, err)
		return
	}
	var in api.GatewayInput
	if ep := strings.TrimSpace(r.PostFormValue("endpoint")); ep != "" {
		in.Endpoint = &ep
	}
	added, err := s.Gateways.AddGateway(r.Context(), v.Actor, n.ID, in)
	if err != nil {
		text, _, ok := problem(err)
		if !ok {
			s.serverError(w, r, v, err)
			return
		}
		s.setFlash(r.Context(), v, "error", "Could not add a gateway: "+text)
		redirect(w, r, "/admin/networks/"+url.PathEscape(n.ID)+"#gateway-h")
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	_, port, _ := strings.Cut(added.Gateway.Endpoint, "]:")
	if port == "" {
		port = added.Gateway.Endpoint[strings.LastIndex(added.Gateway.Endpoint, ":")+1:]
	}
	s.render(w, r, v, http.StatusCreated, "gateway_added", "Gateway added", gatewayAdded{N: n, Added: added, Port: port})
}

// revokeGateway revokes a remote gateway.
func (s *Server) revokeGateway(w http.ResponseWriter, r *http.Request, v *visit) {
	g, err := s.Gateways.Revoke(r.Context(), v.Actor, r.PathValue("id"))
	back := localNext(r.PostFormValue("next"))
	if err != nil {
		text, _, ok := problem(err)
		if !ok {
			s.serverError(w, r, v, err)
			return
		}
		s.setFlash(r.Context(), v, "error", "Could not revoke the gateway: "+text)
		redirect(w, r, back)
		return
	}
	msg := "Revoked the gateway of " + g.NetworkName + "."
	if g.Enrolled() {
		msg += " It drops every peer now; the network has no gateway until another is added and enrolled."
	}
	s.setFlash(r.Context(), v, "ok", msg)
	redirect(w, r, back)
}
