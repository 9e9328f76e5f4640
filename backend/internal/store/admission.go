package store

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"gatepass.dev/shared/api"
)

// The stored facts that decide who may pass a network's gateway. The rule
// itself is access.MayPass; these loaders read its inputs, and share the
// SQL that defines "member" and "a grant valid now" so that no two places
// answer them differently.

// memberCond is true when user u is a member of network n: directly, or
// through a group the network lists as a member group (a condition, for
// WHERE).
const memberCond = `(n.all_users = 1 OR EXISTS (SELECT 1 FROM network_members m WHERE m.network_id = n.id AND m.user_id = u.id)
	OR EXISTS (SELECT 1 FROM network_groups mg JOIN group_members gm ON gm.group_id = mg.group_id
		WHERE mg.network_id = n.id AND mg.role = 'member' AND gm.user_id = u.id))`

// memberSQL is memberCond as 1 or 0, for a select list (a boolean as an
// integer: see the package doc).
const memberSQL = `CASE WHEN ` + memberCond + ` THEN 1 ELSE 0 END`

// validGrantJoin joins g, the user's grant on the network that is valid at
// the instant bound to its two parameters: approved, started (no starts_at,
// or starts_at ≤ the instant) and not expired (the instant < expires_at).
// There is at most one open grant per user and network; an approved
// extension is folded into its grant and is never one.
const validGrantJoin = `LEFT JOIN requests g ON g.user_id = u.id AND g.network_id = n.id AND g.status = 'approved' AND g.kind <> 'extension'
	AND (g.starts_at IS NULL OR g.starts_at <= ?) AND g.expires_at > ?`

// PassFacts are the stored facts about one user (and one device) on one
// network at one instant.
type PassFacts struct {
	UserID        string
	UserEmail     string
	UserDisabled  bool
	Role          api.Role
	DeviceID      string
	DeviceName    string
	PublicKey     string
	Address       string // the device's address in the network; "" if none
	DeviceRemoved bool
	Member        bool
	JITEnabled    bool
	GrantID       string    // the grant valid at the instant; "" for none
	GrantExpires  time.Time // its expires_at
}

// GatewayCandidates returns the facts of every device that holds an
// address in the network, at now: the devices its gateway could admit.
func GatewayCandidates(ctx context.Context, q Querier, networkID string, now time.Time) ([]PassFacts, error) {
	rows, err := q.QueryContext(ctx, `
		SELECT u.id, u.email, u.disabled, u.role, d.id, d.name, d.public_key, a.address, CASE WHEN d.revoked_at IS NOT NULL THEN 1 ELSE 0 END,
			`+memberSQL+`, n.jit_enabled, COALESCE(g.id, ''), g.expires_at
		FROM device_addresses a
		JOIN networks n ON n.id = a.network_id
		JOIN devices d ON d.id = a.device_id
		JOIN users u ON u.id = d.user_id
		`+validGrantJoin+`
		WHERE a.network_id = ?
		ORDER BY d.id`, now.UnixMilli(), now.UnixMilli(), networkID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []PassFacts
	for rows.Next() {
		f, err := scanPassFacts(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, f)
	}
	return out, rows.Err()
}

// DevicePassFacts returns the facts of one device on one network at now
// (Address is "" when the device has no address there yet).
func DevicePassFacts(ctx context.Context, q Querier, deviceID, networkID string, now time.Time) (PassFacts, error) {
	return scanPassFacts(q.QueryRowContext(ctx, `
		SELECT u.id, u.email, u.disabled, u.role, d.id, d.name, d.public_key, COALESCE(a.address, ''), CASE WHEN d.revoked_at IS NOT NULL THEN 1 ELSE 0 END,
			`+memberSQL+`, n.jit_enabled, COALESCE(g.id, ''), g.expires_at
		FROM devices d
		JOIN users u ON u.id = d.user_id
		JOIN networks n ON n.id = ?
		LEFT JOIN device_addresses a ON a.device_id = d.id AND a.network_id = n.id
		`+validGrantJoin+`
		WHERE d.id = ?`, networkID, now.UnixMilli(), now.UnixMilli(), deviceID))
}

// UserPassFacts returns the facts of a user (no device) on a network at
// now: what an approval asks ("would they pass once granted?").
func UserPassFacts(ctx context.Context, q Querier, userID, networkID string, now time.Time) (PassFacts, error) {
	return scanPassFacts(q.QueryRowContext(ctx, `
		SELECT u.id, u.email, u.disabled, u.role, '', '', '', '', 0,
			`+memberSQL+`, n.jit_enabled, COALESCE(g.id, ''), g.expires_at
		FROM users u
		JOIN networks n ON n.id = ?
		`+validGrantJoin+`
		WHERE u.id = ?`, networkID, now.UnixMilli(), now.UnixMilli(), userID))
}

// UserMemberFacts returns the facts of a user on a network that do not
// depend on a grant (GrantID stays ""): what an approval asks ("would they
// pass once granted?") — the grant is the one it is making. It reads the
// user, the network and the membership rows only, never requests: on
// PostgreSQL the approval's SERIALIZABLE transaction then holds no
// predicate lock on the network's other grants (UserPassFacts reads them
// through an index range, which made every two approvals running at once
// on two replicas look like a read-write conflict), while the membership
// it read still conflicts with a membership removal committed beside it.
func UserMemberFacts(ctx context.Context, q Querier, userID, networkID string) (PassFacts, error) {
	return scanPassFacts(q.QueryRowContext(ctx, `
		SELECT u.id, u.email, u.disabled, u.role, '', '', '', '', 0,
			`+memberSQL+`, n.jit_enabled, '', NULL
		FROM users u
		JOIN networks n ON n.id = ?
		WHERE u.id = ?`, networkID, userID))
}

func scanPassFacts(row interface{ Scan(...any) error }) (PassFacts, error) {
	var f PassFacts
	var disabled, removed, member, jit int
	var exp sql.NullInt64
	err := row.Scan(&f.UserID, &f.UserEmail, &disabled, &f.Role, &f.DeviceID, &f.DeviceName, &f.PublicKey, &f.Address, &removed,
		&member, &jit, &f.GrantID, &exp)
	if errors.Is(err, sql.ErrNoRows) {
		return f, ErrNotFound
	}
	f.UserDisabled, f.DeviceRemoved, f.Member, f.JITEnabled = disabled != 0, removed != 0, member != 0, jit != 0
	f.GrantExpires = fromMS(exp)
	return f, err
}

// GatewayPeer is a device the gateway of a network must accept now.
type GatewayPeer struct {
	PublicKey  string
	Address    string // "10.77.0.2/32"
	DeviceID   string
	DeviceName string
	UserID     string
	UserEmail  string
	RequestID  string    // the grant; "" for standing access
	ExpiresAt  time.Time // zero for standing access
}

// OpenRequestFacts returns the open (pending or approved) requests in
// scope with the facts of their users on their networks at now: what a
// change of membership, role or account must re-check. An empty networkID
// or userID does not narrow the scope.
func OpenRequestFacts(ctx context.Context, q Querier, networkID, userID string, now time.Time) ([]Request, []PassFacts, error) {
	reqs, err := queryRequests(ctx, q, requestSelect+` WHERE `+openSQL+`
		AND (? = '' OR r.network_id = ?) AND (? = '' OR r.user_id = ?) ORDER BY r.requested_at, r.id`,
		networkID, networkID, userID, userID)
	if err != nil {
		return nil, nil, err
	}
	facts := make([]PassFacts, 0, len(reqs))
	for _, r := range reqs {
		f, err := UserPassFacts(ctx, q, r.UserID, r.NetworkID, now)
		if err != nil {
			return nil, nil, err
		}
		facts = append(facts, f)
	}
	return reqs, facts, nil
}
