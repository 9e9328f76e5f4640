package server

import (
	"context"
	"fmt"

	"gatepass.dev/backend/internal/actor"
	"gatepass.dev/backend/internal/auth"
	"gatepass.dev/backend/internal/store"
	"gatepass.dev/shared/api"
)

// loadDemoPolicies adds the policies to the demo data, all through the
// administration and the lifecycle (validated, audited as the system):
//
//   - a group on-call with the contractor, and on office-network the rule
//     "on-call": members of on-call get up to 2 h without review;
//   - production-db (10.80.0.0/24), the contractor its member, which needs
//     two approvals: from Dana (named) and Erik (through the group
//     db-admins); on-call may break the glass there for up to 1 h.
//
// The demo's one pending request stays the one on staging-internal.
//
// It returns the facts to print and the approvers' credentials (email,
// generated password).
func (s *Server) loadDemoPolicies(ctx context.Context, contractor store.User, officeID string) (string, [][2]string, error) {
	sys := actor.System
	var creds [][2]string
	var approvers []store.User
	for _, a := range DemoApprovers {
		password := auth.NewPassword()
		u, err := s.createUser(ctx, a.Email, a.Name, api.RoleUser, password)
		if err != nil {
			return "", nil, err
		}
		approvers = append(approvers, u)
		creds = append(creds, [2]string{a.Email, password})
	}
	name := func(s string) *string { return &s }
	onCall, err := s.Admin.CreateGroup(ctx, sys, api.GroupInput{Name: name("on-call"), MemberIDs: &[]string{contractor.ID}})
	if err != nil {
		return "", nil, err
	}
	dbAdmins, err := s.Admin.CreateGroup(ctx, sys, api.GroupInput{Name: name("db-admins"), MemberIDs: &[]string{approvers[1].ID}})
	if err != nil {
		return "", nil, err
	}
	action, twoHours := api.ActionAutoApprove, int64(2*3600)
	if _, err := s.Admin.CreateRule(ctx, sys, officeID, api.RuleInput{Name: name("on-call"), Action: &action,
		GroupIDs: &[]string{onCall.ID}, MaxDurationSeconds: &twoHours}); err != nil {
		return "", nil, err
	}
	two, on, hour := 2, true, int64(3600)
	_, err = s.Admin.CreateNetwork(ctx, sys, api.NetworkInput{Name: name("production-db"),
		Description: name("Production database cluster: two approvals, break-glass for on-call"), CIDR: name("10.80.0.0/24"),
		MemberIDs: &[]string{contractor.ID}, ApproverIDs: &[]string{approvers[0].ID}, ApproverGroupIDs: &[]string{dbAdmins.ID},
		RequiredApprovals: &two, BreakGlass: &api.BreakGlassInput{Enabled: &on, GroupIDs: &[]string{onCall.ID}, MaxDurationSeconds: &hour}})
	if err != nil {
		return "", nil, err
	}
	facts := fmt.Sprintf(`Policies:
  group on-call (%[1]s): rule "on-call" on office-network approves their requests of up to 2h at once
  production-db needs 2 approvals, from %[2]s and %[3]s (group db-admins); on-call may break the glass there for up to 1h
`, contractor.Email, approvers[0].Email, approvers[1].Email)
	return facts, creds, nil
}
