package store

// Bulk writes of a sweep: the expiry of a thousand grants in the same
// second must not wait on a thousand round trips.

import (
	"context"
	"strings"
	"time"

	"gatepass.dev/shared/api"
)

// multiInsert inserts rows with one statement per chunk of up to 100 rows:
// INSERT … VALUES (…), (…), ….
func multiInsert(ctx context.Context, q Querier, head, tuple string, rows [][]any) error {
	return multiInsertOr(ctx, q, head, tuple, "", rows)
}

// multiInsertOr is multiInsert with a tail (ON CONFLICT …) after each
// statement's values.
func multiInsertOr(ctx context.Context, q Querier, head, tuple, tail string, rows [][]any) error {
	const chunk = 100
	cols := strings.Count(tuple, "?")
	for len(rows) > 0 {
		n := min(len(rows), chunk)
		var b strings.Builder
		b.WriteString(head)
		args := make([]any, 0, n*cols)
		for i, r := range rows[:n] {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(tuple)
			args = append(args, r...)
		}
		b.WriteString(tail)
		if _, err := q.ExecContext(ctx, b.String(), args...); err != nil {
			return err
		}
		rows = rows[n:]
	}
	return nil
}

// InsertAuditMany appends many audit rows.
func InsertAuditMany(ctx context.Context, q Querier, es []AuditEntry) error {
	rows := make([][]any, 0, len(es))
	for _, e := range es {
		a, err := auditArgs(e)
		if err != nil {
			return err
		}
		rows = append(rows, a)
	}
	return multiInsert(ctx, q, `INSERT INTO audit (at, actor_id, actor_email, action, target_type, target_id, network_id, source_addr, details) VALUES `, "(?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
}

// EnqueueMailMany queues many messages; identical bodies (the expiry
// emails of grants ending together) are stored once.
func EnqueueMailMany(ctx context.Context, q Querier, ms []OutboxMessage) error {
	hashes := bodyHashes(ms)
	if err := putBodies(ctx, q, ms, hashes); err != nil {
		return err
	}
	rows := make([][]any, 0, len(ms))
	for i, m := range ms {
		rows = append(rows, mailArgs(m, hashes[i]))
	}
	return multiInsert(ctx, q, `INSERT INTO outbox (kind, to_addr, subject, text_body, html_body, body_hash, status, created_at, next_attempt_at, ref) VALUES `, "(?, ?, ?, '', '', ?, 'pending', ?, ?, ?)", rows)
}

// EndMany moves the requests among ids that are still in status from to
// status to, ended at endedAt, in one compare-and-set statement per chunk,
// and returns the ids it moved (a request that changed meanwhile is left
// alone and not returned).
func EndMany(ctx context.Context, q Querier, ids []string, from, to api.RequestStatus, endedAt time.Time) (map[string]bool, error) {
	moved := make(map[string]bool, len(ids))
	const chunk = 500
	for len(ids) > 0 {
		n := min(len(ids), chunk)
		args := []any{to, ms(endedAt), from}
		for _, id := range ids[:n] {
			args = append(args, id)
		}
		rows, err := q.QueryContext(ctx, `UPDATE requests SET status = ?, ended_at = ?, rev = rev + 1 WHERE status = ? AND id IN (?`+strings.Repeat(", ?", n-1)+`) RETURNING id`, args...)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return nil, err
			}
			moved[id] = true
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
		ids = ids[n:]
	}
	return moved, nil
}
