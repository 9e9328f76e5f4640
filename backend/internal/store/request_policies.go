package store

import (
	"context"
	"database/sql"
	"time"
)

// The request queries of the policies: extensions, scheduled starts and a
// user's history on a network.

// LatestExtensions returns, for each of the user's grants that has one,
// its newest extension request, by grant id.
func LatestExtensions(ctx context.Context, q Querier, userID string) (map[string]Request, error) {
	reqs, err := queryRequests(ctx, q, requestSelect+` WHERE r.user_id = ? AND r.kind = 'extension' ORDER BY r.requested_at, r.id`, userID)
	if err != nil {
		return nil, err
	}
	out := map[string]Request{}
	for _, r := range reqs {
		out[r.GrantID] = r // the newest wins
	}
	return out, nil
}

// PendingExtension returns the pending extension request of a grant, or
// ErrNotFound.
func PendingExtension(ctx context.Context, q Querier, grantID string) (Request, error) {
	return oneRequest(ctx, q, requestSelect+` WHERE r.grant_id = ? AND r.status = 'pending'`, grantID)
}

// DueStarts returns pending requests whose requested start has come (at
// or before now), at most limit: they can no longer be decided in time.
func DueStarts(ctx context.Context, q Querier, now time.Time, limit int) ([]Request, error) {
	return queryRequests(ctx, q, requestSelect+` WHERE r.status = 'pending' AND r.starts_at IS NOT NULL AND r.starts_at <= ?
		ORDER BY r.starts_at LIMIT ?`, now.UnixMilli(), limit)
}

// DueOrphanExtensions returns pending extension requests whose grant is
// no longer valid at now (ended, or past its expires_at), at most limit.
func DueOrphanExtensions(ctx context.Context, q Querier, now time.Time, limit int) ([]Request, error) {
	return queryRequests(ctx, q, requestSelect+` WHERE r.status = 'pending' AND r.kind = 'extension' AND NOT EXISTS (
		SELECT 1 FROM requests g WHERE g.id = r.grant_id AND g.status = 'approved' AND g.expires_at > ?)
		ORDER BY r.requested_at LIMIT ?`, now.UnixMilli(), limit)
}

// NextPendingStart returns the earliest starts_at of a pending request
// (past ones too: such a request is due to time out), or the zero time.
func NextPendingStart(ctx context.Context, q Querier) (time.Time, error) {
	var v sql.NullInt64
	err := q.QueryRowContext(ctx, `SELECT MIN(starts_at) FROM requests WHERE status = 'pending' AND starts_at IS NOT NULL`).Scan(&v)
	return fromMS(v), err
}

// NextGrantStart returns the earliest starts_at after after of a grant, or
// the zero time.
func NextGrantStart(ctx context.Context, q Querier, after time.Time) (time.Time, error) {
	var v sql.NullInt64
	err := q.QueryRowContext(ctx, `SELECT MIN(starts_at) FROM requests WHERE status = 'approved' AND starts_at > ?`, after.UnixMilli()).Scan(&v)
	return fromMS(v), err
}

// NextNetworkStart returns the earliest starts_at after now of a grant on
// a network: when its gateway must add a scheduled grant's peers.
func NextNetworkStart(ctx context.Context, q Querier, networkID string, now time.Time) (time.Time, error) {
	var v sql.NullInt64
	err := q.QueryRowContext(ctx, `SELECT MIN(starts_at) FROM requests WHERE status = 'approved' AND network_id = ? AND starts_at > ?`,
		networkID, now.UnixMilli()).Scan(&v)
	return fromMS(v), err
}

// StartedBetween returns the users whose scheduled grants started in
// (from, to].
func StartedBetween(ctx context.Context, q Querier, from, to time.Time) ([]string, error) {
	return stringList(ctx, q, `SELECT DISTINCT user_id FROM requests WHERE status = 'approved' AND starts_at > ? AND starts_at <= ?`,
		from.UnixMilli(), to.UnixMilli())
}

// RequestsOfUserOnNetwork returns a user's requests on a network made at
// or after since, oldest first.
func RequestsOfUserOnNetwork(ctx context.Context, q Querier, userID, networkID string, since time.Time) ([]Request, error) {
	return queryRequests(ctx, q, requestSelect+` WHERE r.user_id = ? AND r.network_id = ? AND r.requested_at >= ?
		ORDER BY r.requested_at, r.id`, userID, networkID, since.UnixMilli())
}
