package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"gatepass.dev/backend/internal/store"
	"gatepass.dev/shared/api"
)

// Groups: named sets of users (admin.Service's groups, as the API's
// /api/v1/admin/groups). A network names groups as its members, approvers
// and break-glass users, and a rule as its subjects; the Groups page lists
// each group with its members and where it is used, and creates groups;
// one group's page renames it, adds and removes members and deletes it,
// its confirmation saying which networks and rules lose the group.

// groupUse is where a network names a group: its roles there ("members",
// "approvers", "break-glass") and the rules that name it.
type groupUse struct {
	Network store.Network
	Roles   []string
	Rules   []string
}

// String says the use in words: "production-db (approvers, break-glass;
// rule on-call)".
func (u groupUse) String() string {
	what := strings.Join(u.Roles, ", ")
	if len(u.Rules) > 0 {
		if what != "" {
			what += "; "
		}
		what += "rule " + strings.Join(u.Rules, ", rule ")
	}
	return u.Network.Name + " (" + what + ")"
}

// groupUses finds every network and rule that names each group, by group.
func (s *Server) groupUses(ctx context.Context) (map[string][]groupUse, error) {
	nets, err := store.ListNetworks(ctx, s.DB)
	if err != nil {
		return nil, err
	}
	out := map[string][]groupUse{}
	for _, n := range nets {
		rules, err := store.RulesOfNetwork(ctx, s.DB, n.ID)
		if err != nil {
			return nil, err
		}
		uses := map[string]*groupUse{}
		use := func(g string) *groupUse {
			if uses[g] == nil {
				uses[g] = &groupUse{Network: n}
			}
			return uses[g]
		}
		for _, g := range n.MemberGroupIDs {
			use(g).Roles = append(use(g).Roles, "members")
		}
		for _, g := range n.ApproverGroupIDs {
			use(g).Roles = append(use(g).Roles, "approvers")
		}
		for _, g := range n.BreakGlass.GroupIDs {
			use(g).Roles = append(use(g).Roles, "break-glass")
		}
		for _, r := range rules {
			for _, g := range r.GroupIDs {
				use(g).Rules = append(use(g).Rules, r.Name)
			}
		}
		for g, u := range uses {
			out[g] = append(out[g], *u)
		}
	}
	return out, nil
}

type groupRow struct {
	store.Group
	Members []store.User
	Uses    []groupUse
}

type groupsView struct {
	Groups []groupRow
	Users  []store.User
	// the create form, kept after an error
	Name     string
	Selected map[string]bool
	Error    string
	Field    string
}

func (s *Server) groupsPage(w http.ResponseWriter, r *http.Request, v *visit) {
	s.renderGroups(w, r, v, http.StatusOK, groupsView{})
}

func (s *Server) renderGroups(w http.ResponseWriter, r *http.Request, v *visit, status int, view groupsView) {
	groups, err := store.ListGroups(r.Context(), s.DB)
	if err != nil {
		s.serverError(w, r, v, err)
		return
	}
	if view.Users, err = store.ListUsers(r.Context(), s.DB); err != nil {
		s.serverError(w, r, v, err)
		return
	}
	uses, err := s.groupUses(r.Context())
	if err != nil {
		s.serverError(w, r, v, err)
		return
	}
	for _, g := range groups {
		view.Groups = append(view.Groups, groupRow{Group: g, Members: usersOf(view.Users, g.MemberIDs), Uses: uses[g.ID]})
	}
	s.render(w, r, v, status, "groups", "Groups", view)
}

// usersOf picks the users with ids, in the order of users (by email).
func usersOf(users []store.User, ids []string) []store.User {
	var out []store.User
	for _, u := range users {
		if slices.Contains(ids, u.ID) {
			out = append(out, u)
		}
	}
	return out
}

// createGroup creates a group with the members checked
// (admin.CreateGroup, as the API).
func (s *Server) createGroup(w http.ResponseWriter, r *http.Request, v *visit) {
	_ = r.ParseForm()
	name := strings.TrimSpace(r.PostFormValue("name"))
	members := r.PostForm["member"]
	if members == nil {
		members = []string{}
	}
	g, err := s.Admin.CreateGroup(r.Context(), v.Actor, api.GroupInput{Name: &name, MemberIDs: &members})
	if err != nil {
		view := groupsView{Name: name, Selected: map[string]bool{}}
		for _, id := range members {
			view.Selected[id] = true
		}
		if !fieldError(&view.Error, &view.Field, "name", err) {
			s.serverError(w, r, v, err)
			return
		}
		s.renderGroups(w, r, v, http.StatusBadRequest, view)
		return
	}
	s.setFlash(r.Context(), v, "ok", fmt.Sprintf("Created the group %s with %s. Name it on a network as members, approvers or break-glass users, or in a rule.",
		g.Name, plural(len(g.MemberIDs), "member")))
	redirect(w, r, "/admin/groups/"+url.PathEscape(g.ID))
}

// fieldError fills a form's error from a validation failure (a conflict,
// such as a taken name, is the field conflict names); ok is false for any
// other error.
func fieldError(text, field *string, conflict string, err error) bool {
	t, f, ok := problem(err)
	if ok && f == "" && errors.Is(err, store.ErrConflict) {
		f = conflict
	}
	*text, *field = t, f
	return ok
}
