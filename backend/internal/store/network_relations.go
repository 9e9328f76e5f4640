package store

import (
	"context"

	"gatepass.dev/backend/internal/fault"
)

// A network's relations to users and groups: its explicit members
// (network_members), its member, approver and break-glass groups
// (network_groups, by role) and its approvers (network_approvers). They
// are saved and loaded with the network, as whole lists.

// Roles of a group on a network.
const (
	GroupMember     = "member"
	GroupApprover   = "approver"
	GroupBreakGlass = "break_glass"
)

func loadRelations(ctx context.Context, q Querier, n *Network) error {
	var err error
	if n.MemberIDs, err = stringList(ctx, q, `SELECT user_id FROM network_members WHERE network_id = ? ORDER BY user_id`, n.ID); err != nil {
		return err
	}
	if n.ApproverIDs, err = stringList(ctx, q, `SELECT user_id FROM network_approvers WHERE network_id = ? ORDER BY user_id`, n.ID); err != nil {
		return err
	}
	byRole := map[string]*[]string{GroupMember: &n.MemberGroupIDs, GroupApprover: &n.ApproverGroupIDs, GroupBreakGlass: &n.BreakGlass.GroupIDs}
	for role, dst := range byRole {
		if *dst, err = stringList(ctx, q, `SELECT group_id FROM network_groups WHERE network_id = ? AND role = ? ORDER BY group_id`, n.ID, role); err != nil {
			return err
		}
	}
	return nil
}

func saveRelations(ctx context.Context, q Querier, n Network) error {
	if err := SetMembers(ctx, q, n.ID, n.MemberIDs); err != nil {
		return err
	}
	if err := replaceList(ctx, q, `DELETE FROM network_approvers WHERE network_id = ?`, []any{n.ID},
		`INSERT INTO network_approvers (network_id, user_id) VALUES (?, ?) ON CONFLICT DO NOTHING`, n.ID, n.ApproverIDs, "user"); err != nil {
		return err
	}
	for role, ids := range map[string][]string{GroupMember: n.MemberGroupIDs, GroupApprover: n.ApproverGroupIDs, GroupBreakGlass: n.BreakGlass.GroupIDs} {
		if err := replaceList(ctx, q, `DELETE FROM network_groups WHERE network_id = ? AND role = ?`, []any{n.ID, role},
			`INSERT INTO network_groups (network_id, role, group_id) VALUES (?, '`+role+`', ?) ON CONFLICT DO NOTHING`, n.ID, ids, "group"); err != nil {
			return err
		}
	}
	return nil
}

// SetMembers replaces the explicit member list of a network.
func SetMembers(ctx context.Context, q Querier, networkID string, userIDs []string) error {
	return replaceList(ctx, q, `DELETE FROM network_members WHERE network_id = ?`, []any{networkID},
		`INSERT INTO network_members (network_id, user_id) VALUES (?, ?) ON CONFLICT DO NOTHING`, networkID, userIDs, "user")
}

// replaceList deletes a list's rows and inserts (owner, id) for each id;
// an id that names nothing is ErrNotFound.
func replaceList(ctx context.Context, q Querier, del string, delArgs []any, ins, owner string, ids []string, what string) error {
	if _, err := q.ExecContext(ctx, del, delArgs...); err != nil {
		return err
	}
	for _, id := range ids {
		if _, err := q.ExecContext(ctx, ins, owner, id); err != nil {
			if isForeignKey(err) {
				return fault.Detail(ErrNotFound, "no %s %q", what, id)
			}
			return err
		}
	}
	return nil
}

func stringList(ctx context.Context, q Querier, query string, args ...any) ([]string, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []string{}
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// approverSQL is true when user u may decide network n's requests as a
// named approver (directly or through a group); admins always may, which
// the caller checks.
const approverSQL = `(EXISTS (SELECT 1 FROM network_approvers a WHERE a.network_id = n.id AND a.user_id = u.id)
	OR EXISTS (SELECT 1 FROM network_groups ag JOIN group_members agm ON agm.group_id = ag.group_id
		WHERE ag.network_id = n.id AND ag.role = 'approver' AND agm.user_id = u.id))`

// IsApprover reports whether the user is a named approver of the network.
func IsApprover(ctx context.Context, q Querier, networkID, userID string) (bool, error) {
	var yes int
	err := q.QueryRowContext(ctx, `SELECT COUNT(*) FROM networks n JOIN users u ON u.id = ? WHERE n.id = ? AND `+approverSQL, userID, networkID).Scan(&yes)
	return yes > 0, err
}

// ApprovedNetworkIDs returns the networks the user is a named approver of.
func ApprovedNetworkIDs(ctx context.Context, q Querier, userID string) ([]string, error) {
	return stringList(ctx, q, `SELECT n.id FROM networks n JOIN users u ON u.id = ? WHERE `+approverSQL+` ORDER BY n.name`, userID)
}

// Approvers returns the enabled named approvers of a network (directly or
// through a group), by email; service users never decide.
func Approvers(ctx context.Context, q Querier, networkID string) ([]User, error) {
	return queryUsers(ctx, q, `SELECT `+prefixed("u", userCols)+` FROM users u JOIN networks n ON n.id = ?
		WHERE u.disabled = 0 AND u.service = 0 AND `+approverSQL+` ORDER BY u.email`, networkID)
}

// InBreakGlassGroup reports whether the user is in one of the network's
// break-glass groups.
func InBreakGlassGroup(ctx context.Context, q Querier, networkID, userID string) (bool, error) {
	var n int
	err := q.QueryRowContext(ctx, `SELECT COUNT(*) FROM network_groups g JOIN group_members m ON m.group_id = g.group_id
		WHERE g.network_id = ? AND g.role = 'break_glass' AND m.user_id = ?`, networkID, userID).Scan(&n)
	return n > 0, err
}

// MemberUserIDs returns the users who are members of a network (memberSQL).
func MemberUserIDs(ctx context.Context, q Querier, networkID string) ([]string, error) {
	return stringList(ctx, q, `SELECT u.id FROM users u JOIN networks n ON n.id = ? WHERE `+memberCond+` ORDER BY u.id`, networkID)
}

// NetworksWithGroup returns the networks that name a group in any role.
func NetworksWithGroup(ctx context.Context, q Querier, groupID string) ([]string, error) {
	return stringList(ctx, q, `SELECT DISTINCT network_id FROM network_groups WHERE group_id = ? ORDER BY network_id`, groupID)
}
