package store

import (
	"context"
	"database/sql"
	"errors"
	"time"
)

// GatewayKey returns the gateway's private key of a network (base64), or
// ErrNotFound.
func GatewayKey(ctx context.Context, q Querier, networkID string) (string, error) {
	var k string
	err := q.QueryRowContext(ctx, `SELECT private_key FROM gateway_keys WHERE network_id = ?`, networkID).Scan(&k)
	if errors.Is(err, sql.ErrNoRows) {
		return "", ErrNotFound
	}
	return k, err
}

// PutGatewayKey stores a network's gateway key if it has none, and returns
// the stored one (the given key, or the one that was there).
func PutGatewayKey(ctx context.Context, q Querier, networkID, privateKey string, now time.Time) (string, error) {
	if _, err := q.ExecContext(ctx, `INSERT INTO gateway_keys (network_id, private_key, created_at) VALUES (?, ?, ?) ON CONFLICT (network_id) DO NOTHING`,
		networkID, privateKey, ms(now)); err != nil {
		return "", err
	}
	return GatewayKey(ctx, q, networkID)
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

// DesiredPeers returns the peers a network's gateway must have at now: the
// devices of users with a valid grant on it, plus those with standing
// access (every member when JIT is off; admins who are members always).
// Disabled users have none. A device with both keeps the standing entry.
func DesiredPeers(ctx context.Context, q Querier, n Network, now time.Time) ([]GatewayPeer, error) {
	const cols = `d.public_key, a.address, d.id, d.name, u.id, u.email`
	member := `(n.all_users = 1 OR EXISTS (SELECT 1 FROM network_members m WHERE m.network_id = n.id AND m.user_id = u.id))`
	rows, err := q.QueryContext(ctx, `
		SELECT `+cols+`, '' AS request_id, NULL AS expires_at
		FROM networks n
		JOIN users u ON u.disabled = 0 AND (n.jit_enabled = 0 OR u.role = 'admin') AND `+member+`
		JOIN devices d ON d.user_id = u.id
		JOIN device_addresses a ON a.device_id = d.id AND a.network_id = n.id
		WHERE n.id = ?
		UNION ALL
		SELECT `+cols+`, r.id, r.expires_at
		FROM requests r
		JOIN networks n ON n.id = r.network_id
		JOIN users u ON u.id = r.user_id AND u.disabled = 0
		JOIN devices d ON d.user_id = u.id
		JOIN device_addresses a ON a.device_id = d.id AND a.network_id = r.network_id
		WHERE r.network_id = ? AND r.status = 'approved' AND r.expires_at > ?`, n.ID, n.ID, now.UnixMilli())
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	byKey := map[string]int{}
	var out []GatewayPeer
	for rows.Next() {
		var p GatewayPeer
		var exp sql.NullInt64
		if err := rows.Scan(&p.PublicKey, &p.Address, &p.DeviceID, &p.DeviceName, &p.UserID, &p.UserEmail, &p.RequestID, &exp); err != nil {
			return nil, err
		}
		p.ExpiresAt = fromMS(exp)
		if i, ok := byKey[p.PublicKey]; ok {
			if !out[i].ExpiresAt.IsZero() && (p.ExpiresAt.IsZero() || p.ExpiresAt.After(out[i].ExpiresAt)) {
				out[i] = p
			}
			continue
		}
		byKey[p.PublicKey] = len(out)
		out = append(out, p)
	}
	return out, rows.Err()
}

// DeviceAddressOwner finds the device and user behind an address in a
// network (for the gateway's status page).
func DeviceAddressOwner(ctx context.Context, q Querier, networkID, address string) (Device, User, error) {
	var d Device
	var created sql.NullInt64
	err := q.QueryRowContext(ctx, `SELECT d.id, d.user_id, d.name, d.public_key, d.created_at FROM device_addresses a JOIN devices d ON d.id = a.device_id
		WHERE a.network_id = ? AND a.address = ?`, networkID, address).Scan(&d.ID, &d.UserID, &d.Name, &d.PublicKey, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return d, User{}, ErrNotFound
	}
	if err != nil {
		return d, User{}, err
	}
	d.CreatedAt = fromMS(created)
	u, err := UserByID(ctx, q, d.UserID)
	return d, u, err
}

// GatewayEndpoints returns the last known UDP endpoint of each peer of a
// network's gateway, by public key.
func GatewayEndpoints(ctx context.Context, q Querier, networkID string) (map[string]string, error) {
	rows, err := q.QueryContext(ctx, `SELECT public_key, endpoint FROM gateway_endpoints WHERE network_id = ?`, networkID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var k, e string
		if err := rows.Scan(&k, &e); err != nil {
			return nil, err
		}
		out[k] = e
	}
	return out, rows.Err()
}

// PutGatewayEndpoint records a peer's current endpoint.
func PutGatewayEndpoint(ctx context.Context, q Querier, networkID, publicKey, endpoint string, now time.Time) error {
	_, err := q.ExecContext(ctx, `INSERT INTO gateway_endpoints (network_id, public_key, endpoint, updated_at) VALUES (?, ?, ?, ?)
		ON CONFLICT (network_id, public_key) DO UPDATE SET endpoint = excluded.endpoint, updated_at = excluded.updated_at`,
		networkID, publicKey, endpoint, ms(now))
	return err
}
