package admin

import (
	"context"
	"database/sql"
	"strconv"
	"strings"

	"gatepass.dev/backend/internal/access"
	"gatepass.dev/backend/internal/actor"
	"gatepass.dev/backend/internal/events"
	"gatepass.dev/backend/internal/fault"
	"gatepass.dev/backend/internal/store"
	"gatepass.dev/shared/api"
	"gatepass.dev/shared/humantime"
)

// CreateNetwork creates a network from in (absent fields take their
// defaults; absent members mean all users).
func (s *Service) CreateNetwork(ctx context.Context, c actor.Actor, in api.NetworkInput) (store.Network, error) {
	now := s.now()
	var n store.Network
	err := s.DB.Tx(ctx, func(tx *sql.Tx) error {
		var err error
		n, _, err = s.applyNetworkInput(ctx, tx, store.Network{ID: store.NewID("net"), CreatedAt: now, UpdatedAt: now}, in, true)
		if err != nil {
			return err
		}
		if err := store.CreateNetwork(ctx, tx, n); err != nil {
			return err
		}
		if err := store.CreateEmbeddedGateway(ctx, tx, n.ID, now); err != nil {
			return err
		}
		if err := assignNetwork(ctx, tx, n); err != nil {
			return err
		}
		return store.InsertAudit(ctx, tx, s.networkAudit(c, "network.create", n, nil))
	})
	if err != nil {
		return store.Network{}, err
	}
	s.Bus.Publish(events.Change{Everyone: true, NetworkID: n.ID, Gateway: true})
	return store.NetworkByID(ctx, s.DB, n.ID)
}

// UpdateNetwork changes the fields given in in. The address range of an
// existing network cannot change. A change of its members (or from all
// users to a member list) ends, in the same transaction, the grants and
// pending requests of those who are no longer members (access.Settle: the
// note "removed from <network>", audited and mailed); the gateway drops
// their peers after the commit.
func (s *Service) UpdateNetwork(ctx context.Context, c actor.Actor, id string, in api.NetworkInput) (store.Network, error) {
	now := s.now()
	var n store.Network
	var settled access.Settled
	err := s.DB.Tx(ctx, func(tx *sql.Tx) error {
		cur, err := store.NetworkByID(ctx, tx, id)
		if err != nil {
			return err
		}
		var changed []string
		n, changed, err = s.applyNetworkInput(ctx, tx, cur, in, false)
		if err != nil {
			return err
		}
		if cur.CIDR != n.CIDR {
			return fault.Field("cidr", "the address range of an existing network cannot change: create a new network")
		}
		n.UpdatedAt = now
		if err := store.UpdateNetwork(ctx, tx, n); err != nil {
			return err
		}
		if err := assignNetwork(ctx, tx, n); err != nil {
			return err
		}
		if err := store.InsertAudit(ctx, tx, s.networkAudit(c, "network.update", n, changed)); err != nil {
			return err
		}
		settled, err = s.Access.Settle(ctx, tx, c, access.Scope{NetworkID: n.ID})
		return err
	})
	if err != nil {
		return store.Network{}, err
	}
	s.Bus.Publish(settled.Change(events.Change{Everyone: true, NetworkID: n.ID, Gateway: true}))
	return store.NetworkByID(ctx, s.DB, n.ID)
}

// DeleteNetwork deletes a network with its requests and addresses. Its
// open grants and pending requests are ended first, in the same
// transaction, so that their users are told (audited and mailed).
func (s *Service) DeleteNetwork(ctx context.Context, c actor.Actor, id string) error {
	var settled access.Settled
	err := s.DB.Tx(ctx, func(tx *sql.Tx) error {
		n, err := store.NetworkByID(ctx, tx, id)
		if err != nil {
			return err
		}
		if settled, err = s.Access.EndNetwork(ctx, tx, c, n); err != nil {
			return err
		}
		if err := store.InsertAudit(ctx, tx, s.networkAudit(c, "network.delete", n, nil)); err != nil {
			return err
		}
		return store.DeleteNetwork(ctx, tx, id)
	})
	if err != nil {
		return err
	}
	s.Bus.Publish(settled.Change(events.Change{Everyone: true, NetworkID: id, Gateway: true, Schedule: true}))
	return nil
}

// assignNetwork gives every device of the network's members (directly
// or through a group) an address in it.
func assignNetwork(ctx context.Context, tx *sql.Tx, n store.Network) error {
	users, err := store.MemberUserIDs(ctx, tx, n.ID)
	if err != nil {
		return err
	}
	for _, u := range users {
		devs, err := store.DevicesOfUser(ctx, tx, u)
		if err != nil {
			return err
		}
		for _, d := range devs {
			if _, err := store.AssignAddress(ctx, tx, d.ID, n); err != nil {
				return err
			}
		}
	}
	return nil
}

func (s *Service) networkAudit(c actor.Actor, action string, n store.Network, changed []string) store.AuditEntry {
	d := map[string]string{"name": n.Name, "cidr": n.CIDR, "jit_enabled": BoolStr(n.JITEnabled),
		"default_duration": humantime.Span(n.DefaultDuration), "max_duration": humantime.Span(n.MaxDuration),
		"required_approvals": strconv.Itoa(max(1, n.RequiredApprovals)), "break_glass": BoolStr(n.BreakGlass.Enabled)}
	if changed != nil {
		d["changed"] = strings.Join(changed, ",")
	}
	return s.audit(c, action, "network", n.ID, n.ID, d)
}
