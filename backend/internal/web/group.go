package web

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"gatepass.dev/backend/internal/store"
	"gatepass.dev/shared/api"
)

type groupView struct {
	G       store.Group
	Members []store.User
	Others  []store.User // the users to add
	Uses    []groupUse
	// Confirm is the delete confirmation: which networks and rules lose
	// the group.
	Confirm string
	// the rename form, kept after an error
	Name  string
	Error string
	Field string
}

func (s *Server) groupPage(w http.ResponseWriter, r *http.Request, v *visit) {
	s.renderGroup(w, r, v, http.StatusOK, groupView{})
}

func (s *Server) renderGroup(w http.ResponseWriter, r *http.Request, v *visit, status int, view groupView) {
	g, err := store.GroupByID(r.Context(), s.DB, r.PathValue("id"))
	if errors.Is(err, store.ErrNotFound) {
		s.renderError(w, r, v, http.StatusNotFound, "Not found", "There is no such group. It may have been deleted.")
		return
	} else if err != nil {
		s.serverError(w, r, v, err)
		return
	}
	users, err := store.ListUsers(r.Context(), s.DB)
	if err != nil {
		s.serverError(w, r, v, err)
		return
	}
	uses, err := s.groupUses(r.Context())
	if err != nil {
		s.serverError(w, r, v, err)
		return
	}
	view.G, view.Uses = g, uses[g.ID]
	if view.Error == "" {
		view.Name = g.Name
	}
	for _, u := range users {
		if slices.Contains(g.MemberIDs, u.ID) {
			view.Members = append(view.Members, u)
		} else if !u.Disabled {
			view.Others = append(view.Others, u)
		}
	}
	view.Confirm = fmt.Sprintf("Delete the group %s? No network or rule names it.", g.Name)
	if len(view.Uses) > 0 {
		var where []string
		for _, u := range view.Uses {
			where = append(where, u.String())
		}
		view.Confirm = fmt.Sprintf("Delete the group %s? These networks lose it: %s. Its members lose what they had only through it, at once.",
			g.Name, strings.Join(where, "; "))
	}
	s.render(w, r, v, status, "group", g.Name+" · Groups", view)
}

// changeGroup renames a group (op=rename, name) or adds or removes one
// member (op=add or op=remove, user): admin.Service, with what follows —
// a member removed loses, at once, what they had only through the group.
func (s *Server) changeGroup(w http.ResponseWriter, r *http.Request, v *visit) {
	id := r.PathValue("id")
	back := "/admin/groups/" + url.PathEscape(id)
	user := r.PostFormValue("user")
	var g store.Group
	var err error
	var done string
	switch r.PostFormValue("op") {
	case "rename":
		name := strings.TrimSpace(r.PostFormValue("name"))
		g, err = s.Admin.UpdateGroup(r.Context(), v.Actor, id, api.GroupInput{Name: &name})
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			view := groupView{Name: name}
			if !fieldError(&view.Error, &view.Field, "name", err) {
				s.serverError(w, r, v, err)
				return
			}
			s.renderGroup(w, r, v, http.StatusBadRequest, view)
			return
		}
		done = "Renamed the group to " + name + "."
	case "add":
		g, err = s.Admin.ChangeGroupMembers(r.Context(), v.Actor, id, []string{user}, nil)
		done = "Added %s to the group %s."
	case "remove":
		g, err = s.Admin.ChangeGroupMembers(r.Context(), v.Actor, id, nil, []string{user})
		done = "Removed %s from the group %s: what they had only through it ended."
	default:
		s.setFlash(r.Context(), v, "error", "Nothing was changed: unknown change.")
		redirect(w, r, back)
		return
	}
	switch {
	case errors.Is(err, store.ErrNotFound):
		s.setFlash(r.Context(), v, "error", "There is no such group.")
		redirect(w, r, "/admin/groups")
		return
	case err != nil:
		text, _, ok := problem(err)
		if !ok {
			s.serverError(w, r, v, err)
			return
		}
		s.setFlash(r.Context(), v, "error", "Nothing was changed: "+text)
	case strings.Contains(done, "%s"):
		email := user
		if u, err := store.UserByID(r.Context(), s.DB, user); err == nil {
			email = u.Email
		}
		s.setFlash(r.Context(), v, "ok", fmt.Sprintf(done, email, g.Name))
	default:
		s.setFlash(r.Context(), v, "ok", done)
	}
	redirect(w, r, back)
}

// deleteGroup deletes a group: every network and rule that named it
// forgets it (admin.DeleteGroup).
func (s *Server) deleteGroup(w http.ResponseWriter, r *http.Request, v *visit) {
	g, err := store.GroupByID(r.Context(), s.DB, r.PathValue("id"))
	if err == nil {
		err = s.Admin.DeleteGroup(r.Context(), v.Actor, g.ID)
	}
	switch {
	case errors.Is(err, store.ErrNotFound):
		s.setFlash(r.Context(), v, "error", "There is no such group.")
	case err != nil:
		s.serverError(w, r, v, err)
		return
	default:
		s.setFlash(r.Context(), v, "ok", "Deleted the group "+g.Name+".")
	}
	redirect(w, r, "/admin/groups")
}
