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

// GatewayPrivateKeys returns every stored gateway private key (base64).
func GatewayPrivateKeys(ctx context.Context, q Querier) ([]string, error) {
	rows, err := q.QueryContext(ctx, `SELECT private_key FROM gateway_keys`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var k string
		if err := rows.Scan(&k); err != nil {
			return nil, err
		}
		out = append(out, k)
	}
	return out, rows.Err()
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
