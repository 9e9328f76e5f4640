package httpapi

import (
	"database/sql"
	"net/http"
	"strings"

	"gatepass.dev/backend/internal/access"
	"gatepass.dev/backend/internal/store"
	"gatepass.dev/shared/api"
)

func (s *Server) adminListNetworks(w http.ResponseWriter, r *http.Request, p principal) {
	nets, err := store.ListNetworks(r.Context(), s.DB)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out := api.NetworkList{Networks: make([]api.Network, 0, len(nets)), ServerTime: s.now()}
	for _, n := range nets {
		out.Networks = append(out.Networks, n.API())
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) adminGetNetwork(w http.ResponseWriter, r *http.Request, p principal) {
	n, err := store.NetworkByID(r.Context(), s.DB, r.PathValue("id"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, api.NetworkResponse{Network: n.API(), ServerTime: s.now()})
}

func (s *Server) adminCreateNetwork(w http.ResponseWriter, r *http.Request, p principal) {
	var in api.NetworkInput
	if err := decode(w, r, &in, false); err != nil {
		s.writeError(w, r, err)
		return
	}
	now := s.now()
	var n store.Network
	err := s.DB.Tx(r.Context(), func(tx *sql.Tx) error {
		var err error
		n, _, err = s.applyNetworkInput(r.Context(), tx, store.Network{ID: store.NewID("net"), CreatedAt: now, UpdatedAt: now}, in, true)
		if err != nil {
			return err
		}
		if err := store.CreateNetwork(r.Context(), tx, n); err != nil {
			return err
		}
		if err := s.assignNetwork(r, tx, n); err != nil {
			return err
		}
		return s.auditNetwork(r, tx, p, "network.create", n, nil)
	})
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.Access.Notify(access.Change{Everyone: true, NetworkID: n.ID, Effects: []access.Effect{access.EffectGatewaySync}})
	n, _ = store.NetworkByID(r.Context(), s.DB, n.ID)
	writeJSON(w, http.StatusCreated, api.NetworkResponse{Network: n.API(), ServerTime: now})
}

func (s *Server) adminUpdateNetwork(w http.ResponseWriter, r *http.Request, p principal) {
	var in api.NetworkInput
	if err := decode(w, r, &in, false); err != nil {
		s.writeError(w, r, err)
		return
	}
	now := s.now()
	var n store.Network
	err := s.DB.Tx(r.Context(), func(tx *sql.Tx) error {
		cur, err := store.NetworkByID(r.Context(), tx, r.PathValue("id"))
		if err != nil {
			return err
		}
		var changed []string
		n, changed, err = s.applyNetworkInput(r.Context(), tx, cur, in, false)
		if err != nil {
			return err
		}
		if cur.CIDR != n.CIDR {
			return fieldErr("cidr", "the address range of an existing network cannot change: create a new network")
		}
		n.UpdatedAt = now
		if err := store.UpdateNetwork(r.Context(), tx, n); err != nil {
			return err
		}
		if err := s.assignNetwork(r, tx, n); err != nil {
			return err
		}
		return s.auditNetwork(r, tx, p, "network.update", n, changed)
	})
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.Access.Notify(access.Change{Everyone: true, NetworkID: n.ID, Effects: []access.Effect{access.EffectGatewaySync}})
	n, _ = store.NetworkByID(r.Context(), s.DB, n.ID)
	writeJSON(w, http.StatusOK, api.NetworkResponse{Network: n.API(), ServerTime: now})
}

func (s *Server) adminDeleteNetwork(w http.ResponseWriter, r *http.Request, p principal) {
	id := r.PathValue("id")
	err := s.DB.Tx(r.Context(), func(tx *sql.Tx) error {
		n, err := store.NetworkByID(r.Context(), tx, id)
		if err != nil {
			return err
		}
		if err := s.auditNetwork(r, tx, p, "network.delete", n, nil); err != nil {
			return err
		}
		return store.DeleteNetwork(r.Context(), tx, id)
	})
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.Access.Notify(access.Change{Everyone: true, NetworkID: id, Effects: []access.Effect{access.EffectGatewaySync, access.EffectReschedule}})
	w.WriteHeader(http.StatusNoContent)
}

// assignNetwork gives every device of the network's members an address in it.
func (s *Server) assignNetwork(r *http.Request, tx *sql.Tx, n store.Network) error {
	var users []store.User
	if n.AllUsers {
		var err error
		if users, err = store.ListUsers(r.Context(), tx); err != nil {
			return err
		}
	} else {
		for _, id := range n.MemberIDs {
			users = append(users, store.User{ID: id})
		}
	}
	for _, u := range users {
		devs, err := store.DevicesOfUser(r.Context(), tx, u.ID)
		if err != nil {
			return err
		}
		for _, d := range devs {
			if _, err := store.AssignAddress(r.Context(), tx, d.ID, n); err != nil {
				return err
			}
		}
	}
	return nil
}

func (s *Server) auditNetwork(r *http.Request, tx *sql.Tx, p principal, action string, n store.Network, changed []string) error {
	d := map[string]string{"name": n.Name, "cidr": n.CIDR, "jit_enabled": boolStr(n.JITEnabled),
		"default_duration": access.FormatDuration(n.DefaultDuration), "max_duration": access.FormatDuration(n.MaxDuration)}
	if changed != nil {
		d["changed"] = strings.Join(changed, ",")
	}
	return store.InsertAudit(r.Context(), tx, store.AuditEntry{At: s.now(), ActorID: p.User.ID, ActorEmail: p.User.Email, Action: action,
		TargetType: "network", TargetID: n.ID, NetworkID: n.ID, SourceAddr: p.Source, Details: d})
}

func boolStr(b bool) string {
	if b {
		return "true"
	}
	return "false"
}
