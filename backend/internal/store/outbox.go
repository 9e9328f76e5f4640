package store

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"gatepass.dev/shared/api"
)

// OutboxMessage is one queued email.
type OutboxMessage struct {
	ID            int64
	Kind          string
	To            string
	Subject       string
	Text          string
	HTML          string
	Status        api.OutboxStatus
	Attempts      int
	LastError     string
	CreatedAt     time.Time
	NextAttemptAt time.Time
	SentAt        time.Time
	// Ref is what the message is about (a request id), or "".
	Ref string
}

// API returns the wire form (without the bodies).
func (m OutboxMessage) API() api.OutboxMessage {
	return api.OutboxMessage{ID: m.ID, Kind: m.Kind, To: m.To, Subject: m.Subject, Status: m.Status,
		Attempts: m.Attempts, LastError: m.LastError, CreatedAt: m.CreatedAt,
		NextAttemptAt: timePtr(m.NextAttemptAt), SentAt: timePtr(m.SentAt)}
}

// EnqueueMail adds a pending message due at m.NextAttemptAt (or CreatedAt).
func EnqueueMail(ctx context.Context, q Querier, m OutboxMessage) (int64, error) {
	res, err := q.ExecContext(ctx, sqlEnqueueMail, mailArgs(m)...)
	if err != nil {
		return 0, err
	}
	return res.LastInsertId()
}

const sqlEnqueueMail = `INSERT INTO outbox (kind, to_addr, subject, text_body, html_body, status, created_at, next_attempt_at, ref) VALUES (?, ?, ?, ?, ?, 'pending', ?, ?, ?)`

func mailArgs(m OutboxMessage) []any {
	if m.NextAttemptAt.IsZero() {
		m.NextAttemptAt = m.CreatedAt
	}
	return []any{m.Kind, m.To, m.Subject, m.Text, m.HTML, ms(m.CreatedAt), ms(m.NextAttemptAt), m.Ref}
}

// WithdrawHeldMail deletes the pending messages of kind about ref that are
// not due before now (held back, never attempted), and returns how many.
func WithdrawHeldMail(ctx context.Context, q Querier, kind, ref string, now time.Time) (int64, error) {
	res, err := q.ExecContext(ctx, `DELETE FROM outbox WHERE kind = ? AND ref = ? AND status = 'pending' AND attempts = 0 AND next_attempt_at > ?`,
		kind, ref, now.UnixMilli())
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

const outboxCols = `id, kind, to_addr, subject, text_body, html_body, status, attempts, last_error, created_at, next_attempt_at, sent_at`

func scanOutbox(row interface{ Scan(...any) error }) (OutboxMessage, error) {
	var m OutboxMessage
	var c, n, s sql.NullInt64
	err := row.Scan(&m.ID, &m.Kind, &m.To, &m.Subject, &m.Text, &m.HTML, &m.Status, &m.Attempts, &m.LastError, &c, &n, &s)
	if errors.Is(err, sql.ErrNoRows) {
		return m, ErrNotFound
	}
	m.CreatedAt, m.NextAttemptAt, m.SentAt = fromMS(c), fromMS(n), fromMS(s)
	return m, err
}

// DueMail returns pending messages due at or before now, oldest first.
func DueMail(ctx context.Context, q Querier, now time.Time, limit int) ([]OutboxMessage, error) {
	return queryOutbox(ctx, q, `SELECT `+outboxCols+` FROM outbox WHERE status = 'pending' AND next_attempt_at <= ? ORDER BY next_attempt_at, id LIMIT ?`, now.UnixMilli(), limit)
}

// NextMailAttempt returns the earliest next_attempt_at of a pending message,
// or the zero time.
func NextMailAttempt(ctx context.Context, q Querier) (time.Time, error) {
	var v sql.NullInt64
	err := q.QueryRowContext(ctx, `SELECT MIN(next_attempt_at) FROM outbox WHERE status = 'pending'`).Scan(&v)
	return fromMS(v), err
}

// MailByID loads one message.
func MailByID(ctx context.Context, q Querier, id int64) (OutboxMessage, error) {
	return scanOutbox(q.QueryRowContext(ctx, `SELECT `+outboxCols+` FROM outbox WHERE id = ?`, id))
}

// UpdateMailDelivery saves a message's delivery state.
func UpdateMailDelivery(ctx context.Context, q Querier, m OutboxMessage) error {
	res, err := q.ExecContext(ctx, `UPDATE outbox SET status = ?, attempts = ?, last_error = ?, next_attempt_at = ?, sent_at = ? WHERE id = ?`,
		m.Status, m.Attempts, m.LastError, ms(m.NextAttemptAt), ms(m.SentAt), m.ID)
	if err != nil {
		return err
	}
	return mustAffect(res)
}

// OutboxFilter selects messages for the admin list.
type OutboxFilter struct {
	Status api.OutboxStatus
	Limit  int
}

// ListMail returns messages newest first.
func ListMail(ctx context.Context, q Querier, f OutboxFilter) ([]OutboxMessage, error) {
	if f.Limit <= 0 {
		f.Limit = 100
	}
	if f.Status != "" {
		return queryOutbox(ctx, q, `SELECT `+outboxCols+` FROM outbox WHERE status = ? ORDER BY id DESC LIMIT ?`, f.Status, f.Limit)
	}
	return queryOutbox(ctx, q, `SELECT `+outboxCols+` FROM outbox ORDER BY id DESC LIMIT ?`, f.Limit)
}

// MailDepth counts the messages still to be delivered.
func MailDepth(ctx context.Context, q Querier) (int, error) {
	var n int
	err := q.QueryRowContext(ctx, `SELECT COUNT(*) FROM outbox WHERE status = 'pending'`).Scan(&n)
	return n, err
}

func queryOutbox(ctx context.Context, q Querier, query string, args ...any) ([]OutboxMessage, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []OutboxMessage
	for rows.Next() {
		m, err := scanOutbox(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// MarkMailUndeliverable marks every pending message due at now as
// undeliverable with reason, and returns how many.
func MarkMailUndeliverable(ctx context.Context, db *DB, now time.Time, reason string) (int64, error) {
	var n int64
	err := db.Tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE outbox SET status = 'undeliverable', last_error = ?, next_attempt_at = NULL WHERE status = 'pending' AND next_attempt_at <= ?`, reason, now.UnixMilli())
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	return n, err
}
