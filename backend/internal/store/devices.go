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

// Device is a registered WireGuard public key of a user's machine. A
// removed device keeps its row (RevokedAt set) so that its key can never be
// registered again, but has no addresses.
type Device struct {
	ID         string
	UserID     string
	Name       string
	PublicKey  string
	CreatedAt  time.Time
	LastSeenAt time.Time         // zero: never seen since registration
	RevokedAt  time.Time         // zero: active
	RevokedBy  string            // user id of whoever removed it
	Addresses  map[string]string // network id → "10.77.0.2/32"
}

// Active reports whether the device has not been removed.
func (d Device) Active() bool { return d.RevokedAt.IsZero() }

const deviceCols = `id, user_id, name, public_key, created_at, last_seen_at, revoked_at, COALESCE(revoked_by, '')`

func scanDeviceRow(row interface{ Scan(...any) error }) (Device, error) {
	var d Device
	var created, seen, revoked sql.NullInt64
	err := row.Scan(&d.ID, &d.UserID, &d.Name, &d.PublicKey, &created, &seen, &revoked, &d.RevokedBy)
	if errors.Is(err, sql.ErrNoRows) {
		return d, ErrNotFound
	}
	d.CreatedAt, d.LastSeenAt, d.RevokedAt = fromMS(created), fromMS(seen), fromMS(revoked)
	return d, err
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

// DeviceByPublicKey loads a device (active or removed) by its key.
func DeviceByPublicKey(ctx context.Context, q Querier, key string) (Device, error) {
	return loadDevice(ctx, q, `SELECT `+deviceCols+` FROM devices WHERE public_key = ?`, key)
}

// DeviceByID loads a device (active or removed).
func DeviceByID(ctx context.Context, q Querier, id string) (Device, error) {
	return loadDevice(ctx, q, `SELECT `+deviceCols+` FROM devices WHERE id = ?`, id)
}

func loadDevice(ctx context.Context, q Querier, query string, arg any) (Device, error) {
	d, err := scanDeviceRow(q.QueryRowContext(ctx, query, arg))
	if err != nil {
		return d, err
	}
	d.Addresses, err = deviceAddresses(ctx, q, d.ID)
	return d, err
}

// DevicesOfUser lists a user's active devices with their addresses, oldest
// first.
func DevicesOfUser(ctx context.Context, q Querier, userID string) ([]Device, error) {
	rows, err := q.QueryContext(ctx, `SELECT `+deviceCols+` FROM devices WHERE user_id = ? AND revoked_at IS NULL ORDER BY created_at, id`, userID)
	if err != nil {
		return nil, err
	}
	var out []Device
	for rows.Next() {
		d, err := scanDeviceRow(rows)
		if err != nil {
			rows.Close()
			return nil, err
		}
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

// CountActiveDevices counts a user's devices that are not removed.
func CountActiveDevices(ctx context.Context, q Querier, userID string) (int, error) {
	var n int
	err := q.QueryRowContext(ctx, `SELECT COUNT(*) FROM devices WHERE user_id = ? AND revoked_at IS NULL`, userID).Scan(&n)
	return n, err
}

// RemoveDevice marks a device removed by byUser, frees its addresses and
// revokes the API tokens it was registered with. A device that is already
// removed is ErrNotFound.
func RemoveDevice(ctx context.Context, q Querier, id, byUser string, now time.Time) error {
	res, err := q.ExecContext(ctx, `UPDATE devices SET revoked_at = ?, revoked_by = ? WHERE id = ? AND revoked_at IS NULL`, ms(now), nullStr(byUser), id)
	if err != nil {
		return err
	}
	if err := mustAffect(res); err != nil {
		return err
	}
	if _, err := q.ExecContext(ctx, `DELETE FROM device_addresses WHERE device_id = ?`, id); err != nil {
		return err
	}
	_, err = q.ExecContext(ctx, `UPDATE tokens SET revoked_at = ? WHERE device_id = ? AND revoked_at IS NULL`, ms(now), id)
	return err
}

// TouchDevice records that a device was seen at now.
func TouchDevice(ctx context.Context, q Querier, id string, now time.Time) error {
	_, err := q.ExecContext(ctx, `UPDATE devices SET last_seen_at = ? WHERE id = ? AND revoked_at IS NULL`, ms(now), id)
	return err
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
