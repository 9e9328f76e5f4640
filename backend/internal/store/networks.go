package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
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
	CreatedAt       time.Time
	UpdatedAt       time.Time
}

// API returns the wire form.
func (n Network) API() api.Network {
	routes := n.Routes
	if routes == nil {
		routes = []string{}
	}
	members := n.MemberIDs
	if members == nil {
		members = []string{}
	}
	return api.Network{
		ID: n.ID, Name: n.Name, Description: n.Description, CIDR: n.CIDR, Routes: routes,
		ListenPort: n.ListenPort, Endpoint: n.Endpoint, JITEnabled: n.JITEnabled,
		DefaultDurationSeconds: int64(n.DefaultDuration / time.Second),
		MaxDurationSeconds:     int64(n.MaxDuration / time.Second),
		AllUsers:               n.AllUsers, MemberIDs: members,
		CreatedAt: n.CreatedAt, UpdatedAt: n.UpdatedAt,
	}
}

const networkCols = `id, name, description, cidr, routes, listen_port, endpoint, jit_enabled, default_duration_seconds, max_duration_seconds, all_users, created_at, updated_at`

func scanNetwork(row interface{ Scan(...any) error }) (Network, error) {
	var n Network
	var routes string
	var jit, all int
	var def, max int64
	var created, updated sql.NullInt64
	err := row.Scan(&n.ID, &n.Name, &n.Description, &n.CIDR, &routes, &n.ListenPort, &n.Endpoint, &jit, &def, &max, &all, &created, &updated)
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
	_, err := q.ExecContext(ctx, `INSERT INTO networks (`+networkCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		n.ID, n.Name, n.Description, n.CIDR, routesText(n.Routes), n.ListenPort, n.Endpoint, boolInt(n.JITEnabled),
		int64(n.DefaultDuration/time.Second), int64(n.MaxDuration/time.Second), boolInt(n.AllUsers), ms(n.CreatedAt), ms(n.UpdatedAt))
	if err != nil {
		return networkConflict(err)
	}
	return SetMembers(ctx, q, n.ID, n.MemberIDs)
}

// UpdateNetwork saves every field of n and its members.
func UpdateNetwork(ctx context.Context, q Querier, n Network) error {
	res, err := q.ExecContext(ctx, `UPDATE networks SET name = ?, description = ?, cidr = ?, routes = ?, listen_port = ?, endpoint = ?, jit_enabled = ?,
		default_duration_seconds = ?, max_duration_seconds = ?, all_users = ?, updated_at = ? WHERE id = ?`,
		n.Name, n.Description, n.CIDR, routesText(n.Routes), n.ListenPort, n.Endpoint, boolInt(n.JITEnabled),
		int64(n.DefaultDuration/time.Second), int64(n.MaxDuration/time.Second), boolInt(n.AllUsers), ms(n.UpdatedAt), n.ID)
	if err != nil {
		return networkConflict(err)
	}
	if err := mustAffect(res); err != nil {
		return err
	}
	return SetMembers(ctx, q, n.ID, n.MemberIDs)
}

// DeleteNetwork removes a network with its members, addresses and requests.
func DeleteNetwork(ctx context.Context, q Querier, id string) error {
	res, err := q.ExecContext(ctx, `DELETE FROM networks WHERE id = ?`, id)
	if err != nil {
		return err
	}
	return mustAffect(res)
}

// SetMembers replaces the explicit member list of a network.
func SetMembers(ctx context.Context, q Querier, networkID string, userIDs []string) error {
	if _, err := q.ExecContext(ctx, `DELETE FROM network_members WHERE network_id = ?`, networkID); err != nil {
		return err
	}
	for _, u := range userIDs {
		if _, err := q.ExecContext(ctx, `INSERT INTO network_members (network_id, user_id) VALUES (?, ?) ON CONFLICT DO NOTHING`, networkID, u); err != nil {
			if isForeignKey(err) {
				return fault.Detail(ErrNotFound, "no user %q", u)
			}
			return err
		}
	}
	return nil
}

// NetworkByID loads a network with its members.
func NetworkByID(ctx context.Context, q Querier, id string) (Network, error) {
	n, err := scanNetwork(q.QueryRowContext(ctx, `SELECT `+networkCols+` FROM networks WHERE id = ?`, id))
	if err != nil {
		return n, err
	}
	n.MemberIDs, err = memberIDs(ctx, q, id)
	return n, err
}

// NetworkByName loads a network by its unique name.
func NetworkByName(ctx context.Context, q Querier, name string) (Network, error) {
	n, err := scanNetwork(q.QueryRowContext(ctx, `SELECT `+networkCols+` FROM networks WHERE name = ?`, name))
	if err != nil {
		return n, err
	}
	n.MemberIDs, err = memberIDs(ctx, q, n.ID)
	return n, err
}

func memberIDs(ctx context.Context, q Querier, networkID string) ([]string, error) {
	rows, err := q.QueryContext(ctx, `SELECT user_id FROM network_members WHERE network_id = ? ORDER BY user_id`, networkID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	ids := []string{}
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

// ListNetworks returns every network by name, with members.
func ListNetworks(ctx context.Context, q Querier) ([]Network, error) {
	nets, err := queryNetworks(ctx, q, `SELECT `+networkCols+` FROM networks ORDER BY name`)
	if err != nil {
		return nil, err
	}
	for i := range nets {
		if nets[i].MemberIDs, err = memberIDs(ctx, q, nets[i].ID); err != nil {
			return nil, err
		}
	}
	return nets, nil
}

// NetworksOfUser returns the networks the user may use: all-users networks
// and those that list them as a member, by name. Members are not loaded.
func NetworksOfUser(ctx context.Context, q Querier, userID string) ([]Network, error) {
	return queryNetworks(ctx, q, `SELECT `+networkCols+` FROM networks n
		WHERE n.all_users = 1 OR EXISTS (SELECT 1 FROM network_members m WHERE m.network_id = n.id AND m.user_id = ?)
		ORDER BY n.name`, userID)
}

// IsMember reports whether the user may use the network.
func IsMember(ctx context.Context, q Querier, n Network, userID string) (bool, error) {
	if n.AllUsers {
		return true, nil
	}
	var one int
	err := q.QueryRowContext(ctx, `SELECT 1 FROM network_members WHERE network_id = ? AND user_id = ?`, n.ID, userID).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	return err == nil, err
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

// OpenRequestCounts counts each network's pending and approved requests:
// network id → status → count.
func OpenRequestCounts(ctx context.Context, q Querier) (map[string]map[api.RequestStatus]int, error) {
	rows, err := q.QueryContext(ctx, `SELECT network_id, status, COUNT(*) FROM requests WHERE status IN ('pending', 'approved') GROUP BY network_id, status`)
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
