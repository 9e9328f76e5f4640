package admin

import (
	"context"
	"database/sql"
	"slices"
	"strconv"
	"strings"

	"gatepass.dev/backend/internal/access"
	"gatepass.dev/backend/internal/actor"
	"gatepass.dev/backend/internal/events"
	"gatepass.dev/backend/internal/fault"
	"gatepass.dev/backend/internal/store"
	"gatepass.dev/shared/api"
)

// Groups. A group is a named set of users; networks name groups as
// members, approvers and break-glass users, and rules name them as their
// subjects. A change of a group's members changes all of these at once:
// members removed from a group (or a deleted group's members) who can no
// longer pass a network's gateway lose their grants and pending requests
// there in the same transaction (access.Settle: "removed from
// office-network", audited and mailed), and members added get addresses
// in the networks they joined.

// CreateGroup creates a group.
func (s *Service) CreateGroup(ctx context.Context, c actor.Actor, in api.GroupInput) (store.Group, error) {
	now := s.now()
	g := store.Group{ID: store.NewID("grp"), CreatedAt: now, UpdatedAt: now}
	err := s.DB.Tx(ctx, func(tx *sql.Tx) error {
		var err error
		if g, _, err = applyGroupInput(ctx, tx, g, in, true); err != nil {
			return err
		}
		if err := store.CreateGroup(ctx, tx, g); err != nil {
			return err
		}
		return store.InsertAudit(ctx, tx, s.audit(c, "group.create", "group", g.ID, "",
			map[string]string{"name": g.Name, "members": strconv.Itoa(len(g.MemberIDs))}))
	})
	if err != nil {
		return store.Group{}, err
	}
	s.Bus.Publish(events.Change{UserIDs: g.MemberIDs})
	return g, nil
}

// UpdateGroup changes a group's name or members.
func (s *Service) UpdateGroup(ctx context.Context, c actor.Actor, id string, in api.GroupInput) (store.Group, error) {
	return s.updateGroup(ctx, c, id, func(store.Group) api.GroupInput { return in })
}

// ChangeGroupMembers adds and removes members of a group, against its
// members as they are in the transaction (two admins adding one member
// each both count), with the effects of UpdateGroup.
func (s *Service) ChangeGroupMembers(ctx context.Context, c actor.Actor, id string, add, remove []string) (store.Group, error) {
	return s.updateGroup(ctx, c, id, func(cur store.Group) api.GroupInput {
		ids := slices.DeleteFunc(slices.Clone(cur.MemberIDs), func(m string) bool { return slices.Contains(remove, m) })
		ids = append(ids, add...)
		return api.GroupInput{MemberIDs: &ids}
	})
}

// updateGroup applies the change input returns for the group as it is in
// the transaction.
func (s *Service) updateGroup(ctx context.Context, c actor.Actor, id string, input func(store.Group) api.GroupInput) (store.Group, error) {
	var g store.Group
	var settled access.Settled
	var touched []string
	err := s.DB.Tx(ctx, func(tx *sql.Tx) error {
		cur, err := store.GroupByID(ctx, tx, id)
		if err != nil {
			return err
		}
		var changed []string
		if g, changed, err = applyGroupInput(ctx, tx, cur, input(cur), false); err != nil {
			return err
		}
		g.UpdatedAt = s.now()
		if err := store.UpdateGroup(ctx, tx, g); err != nil {
			return err
		}
		added, removed := diffIDs(cur.MemberIDs, g.MemberIDs)
		touched = append(added, removed...)
		details := map[string]string{"name": g.Name, "changed": strings.Join(changed, ",")}
		if len(added) > 0 {
			details["added"] = strings.Join(added, ",")
		}
		if len(removed) > 0 {
			details["removed"] = strings.Join(removed, ",")
		}
		if err := store.InsertAudit(ctx, tx, s.audit(c, "group.update", "group", g.ID, "", details)); err != nil {
			return err
		}
		if err := assignGroupNetworks(ctx, tx, g.ID); err != nil {
			return err
		}
		settled, err = s.settleUsers(ctx, tx, c, removed)
		return err
	})
	if err != nil {
		return store.Group{}, err
	}
	s.Bus.Publish(settled.Change(events.Change{UserIDs: touched, Gateway: len(touched) > 0}))
	return g, nil
}

// DeleteGroup deletes a group: every network and rule that named it
// forgets it, and its members are re-checked as by UpdateGroup.
func (s *Service) DeleteGroup(ctx context.Context, c actor.Actor, id string) error {
	var settled access.Settled
	var members []string
	err := s.DB.Tx(ctx, func(tx *sql.Tx) error {
		g, err := store.GroupByID(ctx, tx, id)
		if err != nil {
			return err
		}
		members = g.MemberIDs
		if err := store.InsertAudit(ctx, tx, s.audit(c, "group.delete", "group", g.ID, "",
			map[string]string{"name": g.Name, "members": strconv.Itoa(len(g.MemberIDs))})); err != nil {
			return err
		}
		if err := store.DeleteGroup(ctx, tx, id); err != nil {
			return err
		}
		settled, err = s.settleUsers(ctx, tx, c, members)
		return err
	})
	if err != nil {
		return err
	}
	s.Bus.Publish(settled.Change(events.Change{Everyone: true, Gateway: true}))
	return nil
}

// settleUsers re-checks the open requests of each user (access.Settle).
func (s *Service) settleUsers(ctx context.Context, tx *sql.Tx, c actor.Actor, userIDs []string) (access.Settled, error) {
	var out access.Settled
	for _, u := range userIDs {
		st, err := s.Access.Settle(ctx, tx, c, access.Scope{UserID: u})
		if err != nil {
			return out, err
		}
		out.UserIDs = append(out.UserIDs, st.UserIDs...)
		out.Effects = append(out.Effects, st.Effects...)
	}
	return out, nil
}

// assignGroupNetworks gives the members of the networks that name a group
// addresses there.
func assignGroupNetworks(ctx context.Context, tx *sql.Tx, groupID string) error {
	ids, err := store.NetworksWithGroup(ctx, tx, groupID)
	if err != nil {
		return err
	}
	for _, id := range ids {
		n, err := store.NetworkByID(ctx, tx, id)
		if err != nil {
			return err
		}
		if err := assignNetwork(ctx, tx, n); err != nil {
			return err
		}
	}
	return nil
}

func applyGroupInput(ctx context.Context, q store.Querier, g store.Group, in api.GroupInput, create bool) (store.Group, []string, error) {
	var changed []string
	if in.Name != nil {
		if !networkName.MatchString(*in.Name) {
			return g, nil, fault.Field("name", "must be 1–63 letters, digits, '.', '_' or '-', starting with a letter or digit")
		}
		g.Name = *in.Name
		changed = append(changed, "name")
	} else if create {
		return g, nil, fault.Field("name", "is required")
	}
	if in.MemberIDs != nil {
		ids, err := userIDs(ctx, q, "member_ids", *in.MemberIDs, false)
		if err != nil {
			return g, nil, err
		}
		g.MemberIDs = ids
		changed = append(changed, "member_ids")
	}
	return g, changed, nil
}

// diffIDs returns the ids in b but not a, and those in a but not b.
func diffIDs(a, b []string) (added, removed []string) {
	for _, id := range b {
		if !slices.Contains(a, id) {
			added = append(added, id)
		}
	}
	for _, id := range a {
		if !slices.Contains(b, id) {
			removed = append(removed, id)
		}
	}
	return added, removed
}

// userIDs checks a list of user ids (each must exist; service users are
// refused when noService) and returns it without repeats.
func userIDs(ctx context.Context, q store.Querier, field string, in []string, noService bool) ([]string, error) {
	ids := []string{}
	for _, id := range in {
		if slices.Contains(ids, id) {
			continue
		}
		u, err := store.UserByID(ctx, q, id)
		if err != nil {
			return nil, fault.Field(field, "no user %q", id)
		}
		if noService && u.Service {
			return nil, fault.Field(field, "%s is a service user: service users cannot decide requests", u.Email)
		}
		ids = append(ids, id)
	}
	return ids, nil
}

// groupIDs checks a list of group ids and returns it without repeats.
func groupIDs(ctx context.Context, q store.Querier, field string, in []string) ([]string, error) {
	ids := []string{}
	for _, id := range in {
		if slices.Contains(ids, id) {
			continue
		}
		if _, err := store.GroupByID(ctx, q, id); err != nil {
			return nil, fault.Field(field, "no group %q", id)
		}
		ids = append(ids, id)
	}
	return ids, nil
}
