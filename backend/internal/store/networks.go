package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"gatepass.dev/backend/internal/fault"
	"gatepass.dev/shared/api"
)

// Network is a network row with its member ids.
type Network struct {
	ID              string
	Name            string
	Description     string
	CIDR            string
	Routes          []string
	ListenPort      int
	Endpoint        string
	JITEnabled      bool
	DefaultDuration time.Duration
	MaxDuration     time.Duration
	AllUsers        bool
	MemberIDs       []string // explicit members; ignored when AllUsers
	MemberGroupIDs  []string // members through groups; ignored when AllUsers
	// ApproverIDs and ApproverGroupIDs decide the network's requests
	// (admins always may); RequiredApprovals of them must approve.
	ApproverIDs       []string
	ApproverGroupIDs  []string
	RequiredApprovals int
	BreakGlass        BreakGlass
	CreatedAt         time.Time
	UpdatedAt         time.Time
}

// BreakGlass is a network's break-glass policy.
type BreakGlass struct {
	Enabled     bool
	GroupIDs    []string
	MaxDuration time.Duration
}

// API returns the wire form.
func (n Network) API() api.Network {
	routes := n.Routes
	if routes == nil {
		routes = []string{}
	}
	return api.Network{
		ID: n.ID, Name: n.Name, Description: n.Description, CIDR: n.CIDR, Routes: routes,
		ListenPort: n.ListenPort, Endpoint: n.Endpoint, JITEnabled: n.JITEnabled,
		DefaultDurationSeconds: int64(n.DefaultDuration / time.Second),
		MaxDurationSeconds:     int64(n.MaxDuration / time.Second),
		AllUsers:               n.AllUsers, MemberIDs: nonNil(n.MemberIDs), MemberGroupIDs: nonNil(n.MemberGroupIDs),
		ApproverIDs: nonNil(n.ApproverIDs), ApproverGroupIDs: nonNil(n.ApproverGroupIDs), RequiredApprovals: max(1, n.RequiredApprovals),
		BreakGlass: api.BreakGlass{Enabled: n.BreakGlass.Enabled, GroupIDs: nonNil(n.BreakGlass.GroupIDs),
			MaxDurationSeconds: int64(n.BreakGlass.MaxDuration / time.Second)},
		CreatedAt: n.CreatedAt, UpdatedAt: n.UpdatedAt,
	}
}

func nonNil(ids []string) []string {
	if ids == nil {
		return []string{}
	}
	return ids
}

const networkCols = `id, name, description, cidr, routes, listen_port, endpoint, jit_enabled, default_duration_seconds, max_duration_seconds, all_users, created_at, updated_at,
	required_approvals, break_glass_enabled, break_glass_max_seconds`

func scanNetwork(row interface{ Scan(...any) error }) (Network, error) {
	var n Network
	var routes string
	var jit, all, bg int
	var def, max, bgMax int64
	var created, updated sql.NullInt64
	err := row.Scan(&n.ID, &n.Name, &n.Description, &n.CIDR, &routes, &n.ListenPort, &n.Endpoint, &jit, &def, &max, &all, &created, &updated,
		&n.RequiredApprovals, &bg, &bgMax)
	if errors.Is(err, sql.ErrNoRows) {
		return n, ErrNotFound
	}
	if err != nil {
		return n, err
	}
	if routes != "" {
		if err := json.Unmarshal([]byte(routes), &n.Routes); err != nil {
			return n, fmt.Errorf("network %s: routes: %w", n.ID, err)
		}
	}
	n.JITEnabled, n.AllUsers = jit != 0, all != 0
	n.DefaultDuration, n.MaxDuration = time.Duration(def)*time.Second, time.Duration(max)*time.Second
	n.CreatedAt, n.UpdatedAt = fromMS(created), fromMS(updated)
	n.BreakGlass.Enabled, n.BreakGlass.MaxDuration = bg != 0, time.Duration(bgMax)*time.Second
	return n, nil
}

func routesText(r []string) string {
	if len(r) == 0 {
		return ""
	}
	b, _ := json.Marshal(r)
	return string(b)
}

func networkConflict(err error) error {
	if isUnique(err) {
		switch {
		case isUniqueOn(err, "networks", "name"):
			return fault.Detail(ErrConflict, "a network with this name exists")
		case isUniqueOn(err, "networks", "listen_port"):
			return fault.Detail(ErrConflict, "another network uses this listen port")
		}
		return fault.Wrap(fault.Conflict, err, "%v", err)
	}
	return err
}

// CreateNetwork inserts n and its members.
func CreateNetwork(ctx context.Context, q Querier, n Network) error {
	_, err := q.ExecContext(ctx, `INSERT INTO networks (`+networkCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		n.ID, n.Name, n.Description, n.CIDR, routesText(n.Routes), n.ListenPort, n.Endpoint, boolInt(n.JITEnabled),
		int64(n.DefaultDuration/time.Second), int64(n.MaxDuration/time.Second), boolInt(n.AllUsers), ms(n.CreatedAt), ms(n.UpdatedAt),
		max(1, n.RequiredApprovals), boolInt(n.BreakGlass.Enabled), int64(n.BreakGlass.MaxDuration/time.Second))
	if err != nil {
		return networkConflict(err)
	}
	return saveRelations(ctx, q, n)
}

// UpdateNetwork saves every field of n and its members.
func UpdateNetwork(ctx context.Context, q Querier, n Network) error {
	res, err := q.ExecContext(ctx, `UPDATE networks SET name = ?, description = ?, cidr = ?, routes = ?, listen_port = ?, endpoint = ?, jit_enabled = ?,
		default_duration_seconds = ?, max_duration_seconds = ?, all_users = ?, updated_at = ?,
		required_approvals = ?, break_glass_enabled = ?, break_glass_max_seconds = ? WHERE id = ?`,
		n.Name, n.Description, n.CIDR, routesText(n.Routes), n.ListenPort, n.Endpoint, boolInt(n.JITEnabled),
		int64(n.DefaultDuration/time.Second), int64(n.MaxDuration/time.Second), boolInt(n.AllUsers), ms(n.UpdatedAt),
		max(1, n.RequiredApprovals), boolInt(n.BreakGlass.Enabled), int64(n.BreakGlass.MaxDuration/time.Second), n.ID)
	if err != nil {
		return networkConflict(err)
	}
	if err := mustAffect(res); err != nil {
		return err
	}
	return saveRelations(ctx, q, n)
}

// DeleteNetwork removes a network with its members, addresses and requests.
func DeleteNetwork(ctx context.Context, q Querier, id string) error {
	res, err := q.ExecContext(ctx, `DELETE FROM networks WHERE id = ?`, id)
	if err != nil {
		return err
	}
	return mustAffect(res)
}

// NetworkByID loads a network with its members, approvers and
// break-glass groups.
func NetworkByID(ctx context.Context, q Querier, id string) (Network, error) {
	n, err := scanNetwork(q.QueryRowContext(ctx, `SELECT `+networkCols+` FROM networks WHERE id = ?`, id))
	if err != nil {
		return n, err
	}
	return n, loadRelations(ctx, q, &n)
}

// NetworkByName loads a network by its unique name.
func NetworkByName(ctx context.Context, q Querier, name string) (Network, error) {
	n, err := scanNetwork(q.QueryRowContext(ctx, `SELECT `+networkCols+` FROM networks WHERE name = ?`, name))
	if err != nil {
		return n, err
	}
	return n, loadRelations(ctx, q, &n)
}

// ListNetworks returns every network by name, with members, approvers and
// break-glass groups.
func ListNetworks(ctx context.Context, q Querier) ([]Network, error) {
	nets, err := queryNetworks(ctx, q, `SELECT `+networkCols+` FROM networks ORDER BY name`)
	if err != nil {
		return nil, err
	}
	for i := range nets {
		if err := loadRelations(ctx, q, &nets[i]); err != nil {
			return nil, err
		}
	}
	return nets, nil
}

// NetworksOfUser returns the networks the user may use (memberSQL:
// all-users networks, those that list them, and those that list a group
// of theirs), by name. Members are not loaded.
func NetworksOfUser(ctx context.Context, q Querier, userID string) ([]Network, error) {
	return queryNetworks(ctx, q, `SELECT `+prefixed("n", networkCols)+` FROM networks n JOIN users u ON u.id = ?
		WHERE `+memberCond+` ORDER BY n.name`, userID)
}

// IsMember reports whether the user may use the network (memberSQL).
func IsMember(ctx context.Context, q Querier, n Network, userID string) (bool, error) {
	var member int
	err := q.QueryRowContext(ctx, `SELECT `+memberSQL+` FROM networks n JOIN users u ON u.id = ? WHERE n.id = ?`, userID, n.ID).Scan(&member)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	return member != 0, err
}

// prefixed qualifies each of a comma-separated column list with alias.
func prefixed(alias, cols string) string {
	parts := strings.Split(cols, ",")
	for i, p := range parts {
		parts[i] = alias + "." + strings.TrimSpace(p)
	}
	return strings.Join(parts, ", ")
}

// UsedListenPorts returns the listen ports taken by networks.
func UsedListenPorts(ctx context.Context, q Querier) (map[int]bool, error) {
	rows, err := q.QueryContext(ctx, `SELECT listen_port FROM networks`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	used := map[int]bool{}
	for rows.Next() {
		var p int
		if err := rows.Scan(&p); err != nil {
			return nil, err
		}
		used[p] = true
	}
	return used, rows.Err()
}

func queryNetworks(ctx context.Context, q Querier, query string, args ...any) ([]Network, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Network
	for rows.Next() {
		n, err := scanNetwork(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	return out, rows.Err()
}

// ListNetworkSummaries returns every network by name, without members.
func ListNetworkSummaries(ctx context.Context, q Querier) ([]Network, error) {
	return queryNetworks(ctx, q, `SELECT `+networkCols+` FROM networks ORDER BY name`)
}

// OpenRequestCounts counts each network's pending requests and grants:
// network id → status → count.
func OpenRequestCounts(ctx context.Context, q Querier) (map[string]map[api.RequestStatus]int, error) {
	rows, err := q.QueryContext(ctx, `SELECT r.network_id, r.status, COUNT(*) FROM requests r WHERE `+openSQL+` GROUP BY r.network_id, r.status`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]map[api.RequestStatus]int{}
	for rows.Next() {
		var id string
		var st api.RequestStatus
		var n int
		if err := rows.Scan(&id, &st, &n); err != nil {
			return nil, err
		}
		if out[id] == nil {
			out[id] = map[api.RequestStatus]int{}
		}
		out[id][st] = n
	}
	return out, rows.Err()
}
