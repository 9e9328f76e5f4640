package web

import (
	"cmp"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"gatepass.dev/backend/internal/admin"
	"gatepass.dev/backend/internal/store"
)

// networkForm is the create and edit form of a network.
type networkForm struct {
	ID            string // "" when creating
	Name          string
	Description   string
	CIDR          string
	Routes        string // one per line
	ListenPort    string
	Endpoint      string
	JIT           bool
	DefaultAmount int64
	DefaultUnit   string
	MaxAmount     int64
	MaxUnit       string
	AllUsers      bool
	Members       map[string]bool
	MemberGroups  map[string]bool
	// The approval policy: who decides (admins always may), how many of
	// them must approve, and break-glass.
	Approvers         map[string]bool
	ApproverGroups    map[string]bool
	RequiredApprovals string // as typed, kept after an error
	MaxApprovals      int
	BreakGlass        bool
	BreakGlassGroups  map[string]bool
	BreakGlassAmount  int64
	BreakGlassUnit    string
	Users             []store.User
	Groups            []store.Group
	Error             string
	Field             string
}

// networkLabels name the API's network fields as the form does, for its
// messages.
var networkLabels = map[string]string{
	"name": "Name", "description": "Description", "cidr": "Address range", "routes": "Routes",
	"listen_port": "UDP listen port", "endpoint": "Endpoint", "default_duration_seconds": "Default grant",
	"max_duration_seconds": "Maximum grant", "member_ids": "Members", "member_group_ids": "Member groups",
	"approver_ids": "Approvers", "approver_group_ids": "Approver groups", "required_approvals": "Required approvals",
	"break_glass.group_ids": "Break-glass groups", "break_glass.max_duration_seconds": "Break-glass maximum",
}

// set turns a list of ids into a set for the form's checkboxes.
func set(ids []string) map[string]bool {
	m := make(map[string]bool, len(ids))
	for _, id := range ids {
		m[id] = true
	}
	return m
}

func formOf(n store.Network) networkForm {
	f := networkForm{ID: n.ID, Name: n.Name, Description: n.Description, CIDR: n.CIDR, Routes: strings.Join(n.Routes, "\n"),
		ListenPort: strconv.Itoa(n.ListenPort), Endpoint: n.Endpoint, JIT: n.JITEnabled, AllUsers: n.AllUsers,
		Members: set(n.MemberIDs), MemberGroups: set(n.MemberGroupIDs), Approvers: set(n.ApproverIDs), ApproverGroups: set(n.ApproverGroupIDs),
		RequiredApprovals: strconv.Itoa(max(1, n.RequiredApprovals)), BreakGlass: n.BreakGlass.Enabled, BreakGlassGroups: set(n.BreakGlass.GroupIDs)}
	f.DefaultAmount, f.DefaultUnit = splitDuration(n.DefaultDuration)
	f.MaxAmount, f.MaxUnit = splitDuration(n.MaxDuration)
	f.BreakGlassAmount, f.BreakGlassUnit = splitDuration(cmp.Or(n.BreakGlass.MaxDuration, admin.DefaultBreakGlass))
	return f
}

func (s *Server) newNetworkPage(w http.ResponseWriter, r *http.Request, v *visit) {
	f := networkForm{JIT: true, DefaultAmount: 8, DefaultUnit: "h", MaxAmount: 30, MaxUnit: "d", AllUsers: true, RequiredApprovals: "1"}
	f.BreakGlassAmount, f.BreakGlassUnit = splitDuration(admin.DefaultBreakGlass)
	s.renderNetworkForm(w, r, v, http.StatusOK, f)
}

func (s *Server) editNetworkPage(w http.ResponseWriter, r *http.Request, v *visit) {
	n, err := store.NetworkByID(r.Context(), s.DB, r.PathValue("id"))
	if errors.Is(err, store.ErrNotFound) {
		s.renderError(w, r, v, http.StatusNotFound, "Not found", "There is no such network.")
		return
	} else if err != nil {
		s.serverError(w, r, v, err)
		return
	}
	s.renderNetworkForm(w, r, v, http.StatusOK, formOf(n))
}

func (s *Server) renderNetworkForm(w http.ResponseWriter, r *http.Request, v *visit, status int, f networkForm) {
	users, err := store.ListUsers(r.Context(), s.DB)
	if err != nil {
		s.serverError(w, r, v, err)
		return
	}
	f.Users = users
	if f.Groups, err = store.ListGroups(r.Context(), s.DB); err != nil {
		s.serverError(w, r, v, err)
		return
	}
	f.MaxApprovals = admin.MaxRequiredApprovals
	title := "New network"
	if f.ID != "" {
		title = "Edit " + f.Name
	}
	s.render(w, r, v, status, "network_form", title, f)
}

func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(slices.Compact(a), slices.Compact(b))
}

// formError fills the form's error from a validation failure; ok is false
// for any other error.
func formError(f *networkForm, err error) bool {
	text, field, ok := problemIn(err, networkLabels)
	f.Error, f.Field = text, field
	return ok
}
