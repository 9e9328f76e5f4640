package web

import (
	"context"
	"slices"

	"gatepass.dev/backend/internal/store"
)

// networkPolicy is a network's approval policy as its page shows it: the
// groups of its members, who decides its requests and how many must, and
// who may break the glass.
type networkPolicy struct {
	Members          []store.User
	MemberGroups     []store.Group
	Approvers        []store.User
	ApproverGroups   []store.Group
	BreakGlassGroups []store.Group
	// Users and Groups are everyone, for the rules and the preview.
	Users  []store.User
	Groups []store.Group
}

// loadPolicy reads the users and groups a network names.
func (s *Server) loadPolicy(ctx context.Context, n store.Network) (networkPolicy, error) {
	var p networkPolicy
	var err error
	if p.Users, err = store.ListUsers(ctx, s.DB); err != nil {
		return p, err
	}
	if p.Groups, err = store.ListGroups(ctx, s.DB); err != nil {
		return p, err
	}
	if !n.AllUsers {
		p.Members, p.MemberGroups = usersOf(p.Users, n.MemberIDs), groupsOf(p.Groups, n.MemberGroupIDs)
	}
	p.Approvers, p.ApproverGroups = usersOf(p.Users, n.ApproverIDs), groupsOf(p.Groups, n.ApproverGroupIDs)
	p.BreakGlassGroups = groupsOf(p.Groups, n.BreakGlass.GroupIDs)
	return p, nil
}

// groupsOf picks the groups with ids, in the order of groups (by name).
func groupsOf(groups []store.Group, ids []string) []store.Group {
	var out []store.Group
	for _, g := range groups {
		if slices.Contains(ids, g.ID) {
			out = append(out, g)
		}
	}
	return out
}
