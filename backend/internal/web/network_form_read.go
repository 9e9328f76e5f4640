package web

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"gatepass.dev/backend/internal/admin"
	"gatepass.dev/backend/internal/fault"
	"gatepass.dev/backend/internal/store"
	"gatepass.dev/shared/api"
)

// readNetworkForm reads the posted form into f and the API's input. For an
// edit (cur given) only the fields that differ are set, so the audit row
// names what changed.
func readNetworkForm(r *http.Request, cur *store.Network) (networkForm, api.NetworkInput, error) {
	get := r.PostFormValue
	f := networkForm{Name: strings.TrimSpace(get("name")), Description: get("description"), CIDR: strings.TrimSpace(get("cidr")),
		Routes: get("routes"), ListenPort: strings.TrimSpace(get("listen_port")), Endpoint: strings.TrimSpace(get("endpoint")),
		JIT: get("jit_enabled") == "on", AllUsers: get("members") != "selected",
		DefaultUnit: get("default_unit"), MaxUnit: get("max_unit")}
	f.DefaultAmount, _ = strconv.ParseInt(strings.TrimSpace(get("default_amount")), 10, 64)
	f.MaxAmount, _ = strconv.ParseInt(strings.TrimSpace(get("max_amount")), 10, 64)
	_ = r.ParseForm()
	members, memberGroups := ids(r, "member"), ids(r, "member_group")
	f.Members, f.MemberGroups = set(members), set(memberGroups)
	var in api.NetworkInput
	var routes []string
	for _, line := range strings.FieldsFunc(f.Routes, func(c rune) bool { return c == '\n' || c == ',' || c == '\r' }) {
		if line = strings.TrimSpace(line); line != "" {
			routes = append(routes, line)
		}
	}
	if routes == nil {
		routes = []string{}
	}
	policyErr := readPolicyForm(r, &f, &in, cur)
	def, defOK, err := durationInput(get, "default")
	if err != nil {
		return f, in, err
	}
	max, maxOK, err := durationInput(get, "max")
	if err != nil {
		return f, in, err
	}
	var port int
	if f.ListenPort != "" {
		if port, err = strconv.Atoi(f.ListenPort); err != nil {
			return f, in, fault.Field("listen_port", "%q is not a port number", f.ListenPort)
		}
	}
	if policyErr != nil {
		return f, in, policyErr
	}
	if cur == nil {
		in.Name, in.Description, in.CIDR, in.Routes, in.JITEnabled = &f.Name, &f.Description, &f.CIDR, &routes, &f.JIT
		if f.ListenPort != "" {
			in.ListenPort = &port
		}
		if f.Endpoint != "" {
			in.Endpoint = &f.Endpoint
		}
		if defOK {
			in.DefaultDurationSeconds = &def
		}
		if maxOK {
			in.MaxDurationSeconds = &max
		}
		if !f.AllUsers {
			in.MemberIDs, in.MemberGroupIDs = &members, &memberGroups
		}
		return f, in, nil
	}
	f.ID, f.CIDR = cur.ID, cur.CIDR
	if f.Name != cur.Name {
		in.Name = &f.Name
	}
	if strings.TrimSpace(f.Description) != cur.Description {
		in.Description = &f.Description
	}
	if !slices.Equal(routes, cur.Routes) && !(len(routes) == 0 && len(cur.Routes) == 0) {
		in.Routes = &routes
	}
	if f.ListenPort != "" && port != cur.ListenPort {
		in.ListenPort = &port
	}
	if f.Endpoint != cur.Endpoint && f.Endpoint != "" {
		in.Endpoint = &f.Endpoint
	}
	if f.JIT != cur.JITEnabled {
		in.JITEnabled = &f.JIT
	}
	if defOK && time.Duration(def)*time.Second != cur.DefaultDuration {
		in.DefaultDurationSeconds = &def
	}
	if maxOK && time.Duration(max)*time.Second != cur.MaxDuration {
		in.MaxDurationSeconds = &max
	}
	switch {
	case f.AllUsers && !cur.AllUsers:
		in.AllUsers = &f.AllUsers
	case !f.AllUsers:
		if cur.AllUsers || !sameSet(members, cur.MemberIDs) {
			in.MemberIDs = &members
		}
		if !sameSet(memberGroups, cur.MemberGroupIDs) {
			in.MemberGroupIDs = &memberGroups
		}
	}
	return f, in, nil
}

// readPolicyForm reads the approval policy — approvers, required
// approvals, break-glass — into f and in (on an edit, only what differs
// from cur).
func readPolicyForm(r *http.Request, f *networkForm, in *api.NetworkInput, cur *store.Network) error {
	get := r.PostFormValue
	approvers, approverGroups, bgGroups := ids(r, "approver"), ids(r, "approver_group"), ids(r, "break_glass_group")
	f.Approvers, f.ApproverGroups, f.BreakGlassGroups = set(approvers), set(approverGroups), set(bgGroups)
	f.RequiredApprovals = strings.TrimSpace(get("required_approvals"))
	f.BreakGlass = get("break_glass") == "on"
	f.BreakGlassUnit = get("break_glass_unit")
	f.BreakGlassAmount, _ = strconv.ParseInt(strings.TrimSpace(get("break_glass_amount")), 10, 64)
	// Left empty, required approvals are the API's default (1) on a new
	// network and kept on an edit.
	need, needOK := 0, f.RequiredApprovals != ""
	if needOK {
		var err error
		if need, err = strconv.Atoi(f.RequiredApprovals); err != nil {
			return fault.Field("required_approvals", "%q is not a number: enter a whole number from 1 to %d", f.RequiredApprovals, admin.MaxRequiredApprovals)
		}
	}
	bgSecs, bgOK, err := durationInput(get, "break_glass")
	if err != nil {
		return fault.Field("break_glass.max_duration_seconds", "must be a whole number of minutes, hours or days")
	}
	bg := api.BreakGlassInput{}
	if cur == nil {
		if len(approvers) > 0 {
			in.ApproverIDs = &approvers
		}
		if len(approverGroups) > 0 {
			in.ApproverGroupIDs = &approverGroups
		}
		if needOK {
			in.RequiredApprovals = &need
		}
		if f.BreakGlass {
			bg.Enabled, bg.GroupIDs = &f.BreakGlass, &bgGroups
			if bgOK {
				bg.MaxDurationSeconds = &bgSecs
			}
			in.BreakGlass = &bg
		}
		return nil
	}
	if !sameSet(approvers, cur.ApproverIDs) {
		in.ApproverIDs = &approvers
	}
	if !sameSet(approverGroups, cur.ApproverGroupIDs) {
		in.ApproverGroupIDs = &approverGroups
	}
	if needOK && need != max(1, cur.RequiredApprovals) {
		in.RequiredApprovals = &need
	}
	changed := false
	if f.BreakGlass != cur.BreakGlass.Enabled {
		bg.Enabled, changed = &f.BreakGlass, true
	}
	if !sameSet(bgGroups, cur.BreakGlass.GroupIDs) {
		bg.GroupIDs, changed = &bgGroups, true
	}
	if bgOK && time.Duration(bgSecs)*time.Second != cur.BreakGlass.MaxDuration {
		bg.MaxDurationSeconds, changed = &bgSecs, true
	}
	if changed {
		in.BreakGlass = &bg
	}
	return nil
}

// ids are the values of a repeated form field (checked boxes), never nil.
func ids(r *http.Request, name string) []string {
	if v := r.PostForm[name]; v != nil {
		return v
	}
	return []string{}
}
