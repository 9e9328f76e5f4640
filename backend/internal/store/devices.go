package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/netip"
	"time"

	"gatepass.dev/backend/internal/fault"
)

// Device is a registered WireGuard public key of a user's machine.
type Device struct {
	ID        string
	UserID    string
	Name      string
	PublicKey string
	CreatedAt time.Time
	Addresses map[string]string // network id → "10.77.0.2/32"
}

// CreateDevice inserts d. A public key already registered is ErrConflict.
func CreateDevice(ctx context.Context, q Querier, d Device) error {
	_, err := q.ExecContext(ctx, `INSERT INTO devices (id, user_id, name, public_key, created_at) VALUES (?, ?, ?, ?, ?)`,
		d.ID, d.UserID, d.Name, d.PublicKey, ms(d.CreatedAt))
	if isUnique(err) {
		return fault.Detail(ErrConflict, "this public key is already registered")
	}
	return err
}

// DeviceByPublicKey loads a device by its key.
func DeviceByPublicKey(ctx context.Context, q Querier, key string) (Device, error) {
	return scanDevice(ctx, q, q.QueryRowContext(ctx, `SELECT id, user_id, name, public_key, created_at FROM devices WHERE public_key = ?`, key))
}

// DeviceByID loads a device.
func DeviceByID(ctx context.Context, q Querier, id string) (Device, error) {
	return scanDevice(ctx, q, q.QueryRowContext(ctx, `SELECT id, user_id, name, public_key, created_at FROM devices WHERE id = ?`, id))
}

// DevicesOfUser lists a user's devices with their addresses.
func DevicesOfUser(ctx context.Context, q Querier, userID string) ([]Device, error) {
	rows, err := q.QueryContext(ctx, `SELECT id, user_id, name, public_key, created_at FROM devices WHERE user_id = ? ORDER BY created_at`, userID)
	if err != nil {
		return nil, err
	}
	var out []Device
	for rows.Next() {
		var d Device
		var created sql.NullInt64
		if err := rows.Scan(&d.ID, &d.UserID, &d.Name, &d.PublicKey, &created); err != nil {
			rows.Close()
			return nil, err
		}
		d.CreatedAt = fromMS(created)
		out = append(out, d)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for i := range out {
		if out[i].Addresses, err = deviceAddresses(ctx, q, out[i].ID); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func scanDevice(ctx context.Context, q Querier, row *sql.Row) (Device, error) {
	var d Device
	var created sql.NullInt64
	err := row.Scan(&d.ID, &d.UserID, &d.Name, &d.PublicKey, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return d, ErrNotFound
	}
	if err != nil {
		return d, err
	}
	d.CreatedAt = fromMS(created)
	d.Addresses, err = deviceAddresses(ctx, q, d.ID)
	return d, err
}

func deviceAddresses(ctx context.Context, q Querier, deviceID string) (map[string]string, error) {
	rows, err := q.QueryContext(ctx, `SELECT network_id, address FROM device_addresses WHERE device_id = ?`, deviceID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var n, a string
		if err := rows.Scan(&n, &a); err != nil {
			return nil, err
		}
		out[n] = a
	}
	return out, rows.Err()
}

// ErrRangeFull is returned when a network's address range has no free address.
var ErrRangeFull = fault.Sentinel(fault.Conflict, "the network's address range is full")

// AssignAddress gives the device an address in the network if it has none:
// the lowest free host address after the gateway's (the range's first).
func AssignAddress(ctx context.Context, q Querier, deviceID string, n Network) (string, error) {
	var have string
	err := q.QueryRowContext(ctx, `SELECT address FROM device_addresses WHERE device_id = ? AND network_id = ?`, deviceID, n.ID).Scan(&have)
	if err == nil {
		return have, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return "", err
	}
	prefix, err := netip.ParsePrefix(n.CIDR)
	if err != nil {
		return "", fmt.Errorf("network %s: %w", n.Name, err)
	}
	prefix = prefix.Masked()
	rows, err := q.QueryContext(ctx, `SELECT address FROM device_addresses WHERE network_id = ?`, n.ID)
	if err != nil {
		return "", err
	}
	used := map[netip.Addr]bool{}
	for rows.Next() {
		var a string
		if err := rows.Scan(&a); err != nil {
			rows.Close()
			return "", err
		}
		if p, err := netip.ParsePrefix(a); err == nil {
			used[p.Addr()] = true
		}
	}
	rows.Close()
	bits := 32
	if prefix.Addr().Is6() {
		bits = 128
	}
	gateway := prefix.Addr().Next()
	for a := gateway.Next(); a.IsValid() && prefix.Contains(a); a = a.Next() {
		if used[a] {
			continue
		}
		if a.Is4() && !prefix.Contains(a.Next()) { // the broadcast address
			break
		}
		addr := netip.PrefixFrom(a, bits).String()
		if _, err := q.ExecContext(ctx, `INSERT INTO device_addresses (device_id, network_id, address) VALUES (?, ?, ?)`, deviceID, n.ID, addr); err != nil {
			return "", err
		}
		return addr, nil
	}
	return "", fault.Detail(ErrRangeFull, "the address range of network %s (%s) is full", n.Name, n.CIDR)
}
