package store

import (
	"context"
	"database/sql"
	"errors"
)

// Setting reads one setting; ok is false when it is not stored.
func Setting(ctx context.Context, q Querier, key string) (value string, ok bool, err error) {
	err = q.QueryRowContext(ctx, `SELECT value FROM settings WHERE key = ?`, key).Scan(&value)
	if errors.Is(err, sql.ErrNoRows) {
		return "", false, nil
	}
	return value, err == nil, err
}

// PutSetting stores one setting.
func PutSetting(ctx context.Context, q Querier, key, value string) error {
	_, err := q.ExecContext(ctx, `INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value`, key, value)
	return err
}

// AddSetting stores a setting if it is not stored yet, and returns the
// stored value (value, or the one that was there: one value even when
// several servers start at once).
func AddSetting(ctx context.Context, q Querier, key, value string) (string, error) {
	if _, err := q.ExecContext(ctx, `INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO NOTHING`, key, value); err != nil {
		return "", err
	}
	v, _, err := Setting(ctx, q, key)
	return v, err
}
