package store

import (
	"context"
	"strconv"
	"strings"
	"time"
)

// Throttle is the sign-in limiter's record of one key (an account, a
// source address, a device token): its failures, oldest first, and when the
// record stops mattering (the rules are auth's; signin.DBState applies
// them).
type Throttle struct {
	Key       string
	Fails     []time.Time
	ExpiresAt time.Time
}

// Throttles loads the records of keys that exist, by key.
func Throttles(ctx context.Context, q Querier, keys []string) (map[string]Throttle, error) {
	out := map[string]Throttle{}
	if len(keys) == 0 {
		return out, nil
	}
	args := make([]any, len(keys))
	for i, k := range keys {
		args[i] = k
	}
	rows, err := q.QueryContext(ctx, `SELECT key, fails, expires_at FROM signin_throttle WHERE key IN (?`+strings.Repeat(", ?", len(keys)-1)+`)`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var th Throttle
		var fails string
		var exp int64
		if err := rows.Scan(&th.Key, &fails, &exp); err != nil {
			return nil, err
		}
		for _, f := range strings.Split(fails, ",") {
			if ms, err := strconv.ParseInt(f, 10, 64); err == nil {
				th.Fails = append(th.Fails, time.UnixMilli(ms).UTC())
			}
		}
		th.ExpiresAt = time.UnixMilli(exp).UTC()
		out[th.Key] = th
	}
	return out, rows.Err()
}

// PutThrottle saves a key's record (replacing it), or deletes it when it
// holds no failure.
func PutThrottle(ctx context.Context, q Querier, th Throttle) error {
	if len(th.Fails) == 0 {
		return DeleteThrottles(ctx, q, []string{th.Key})
	}
	fails := make([]string, len(th.Fails))
	for i, f := range th.Fails {
		fails[i] = strconv.FormatInt(f.UnixMilli(), 10)
	}
	_, err := q.ExecContext(ctx, `INSERT INTO signin_throttle (key, fails, expires_at) VALUES (?, ?, ?)
		ON CONFLICT (key) DO UPDATE SET fails = excluded.fails, expires_at = excluded.expires_at`,
		th.Key, strings.Join(fails, ","), th.ExpiresAt.UnixMilli())
	return err
}

// DeleteThrottles forgets the records of keys.
func DeleteThrottles(ctx context.Context, q Querier, keys []string) error {
	if len(keys) == 0 {
		return nil
	}
	args := make([]any, len(keys))
	for i, k := range keys {
		args[i] = k
	}
	_, err := q.ExecContext(ctx, `DELETE FROM signin_throttle WHERE key IN (?`+strings.Repeat(", ?", len(keys)-1)+`)`, args...)
	return err
}

// PruneThrottles deletes the records that stopped mattering at or before
// now.
func PruneThrottles(ctx context.Context, q Querier, now time.Time) error {
	_, err := q.ExecContext(ctx, `DELETE FROM signin_throttle WHERE expires_at <= ?`, now.UnixMilli())
	return err
}
