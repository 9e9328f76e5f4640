package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"strconv"
	"strings"
	"time"

	"gatepass.dev/backend/internal/fault"
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
// Its body is stored once by its hash (bodyHash).
func EnqueueMail(ctx context.Context, q Querier, m OutboxMessage) (int64, error) {
	hash := bodyHash(m)
	if err := putBodies(ctx, q, []OutboxMessage{m}, []string{hash}); err != nil {
		return 0, err
	}
	var id int64
	err := q.QueryRowContext(ctx, sqlEnqueueMail, mailArgs(m, hash)...).Scan(&id)
	return id, err
}

const sqlEnqueueMail = `INSERT INTO outbox (kind, to_addr, subject, text_body, html_body, body_hash, status, created_at, next_attempt_at, ref) VALUES (?, ?, ?, '', '', ?, 'pending', ?, ?, ?) RETURNING id`

func mailArgs(m OutboxMessage, hash string) []any {
	if m.NextAttemptAt.IsZero() {
		m.NextAttemptAt = m.CreatedAt
	}
	return []any{m.Kind, m.To, m.Subject, hash, ms(m.CreatedAt), ms(m.NextAttemptAt), m.Ref}
}

// bodyHash names a message's body (text and HTML parts). It hashes the
// strings through a buffer on the stack: io.WriteString would copy each
// body to the heap, and a mass expiry hashes a thousand of them.
func bodyHash(m OutboxMessage) string {
	h := sha256.New()
	var buf [1024]byte
	for _, part := range [...]string{m.Text, "\x00", m.HTML} {
		for len(part) > 0 {
			n := copy(buf[:], part)
			h.Write(buf[:n])
			part = part[n:]
		}
	}
	return hex.EncodeToString(h.Sum(buf[:0]))
}

// bodyHashes are the bodyHash of each of ms.
func bodyHashes(ms []OutboxMessage) []string {
	hs := make([]string, len(ms))
	for i, m := range ms {
		hs[i] = bodyHash(m)
	}
	return hs
}

// putBodies stores the bodies of ms (their bodyHashes: hashes) that are
// not stored yet, each once.
func putBodies(ctx context.Context, q Querier, ms []OutboxMessage, hashes []string) error {
	seen := map[string]bool{}
	var rows [][]any
	for i, m := range ms {
		h := hashes[i]
		if seen[h] {
			continue
		}
		seen[h] = true
		rows = append(rows, []any{h, m.Text, m.HTML})
	}
	return multiInsertOr(ctx, q, `INSERT INTO outbox_bodies (hash, text_body, html_body) VALUES `, "(?, ?, ?)", ` ON CONFLICT (hash) DO NOTHING`, rows)
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

// outboxCols are a message's columns; its body comes from outbox_bodies
// (or, for rows written before bodies were shared, its own columns).
const outboxCols = `id, kind, to_addr, subject,
	COALESCE((SELECT b.text_body FROM outbox_bodies b WHERE b.hash = outbox.body_hash), text_body),
	COALESCE((SELECT b.html_body FROM outbox_bodies b WHERE b.hash = outbox.body_hash), html_body),
	status, attempts, last_error, created_at, next_attempt_at, sent_at`

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

// ClaimMail claims up to limit pending messages due at now, oldest first,
// in one write: they are leased to claimID until now+lease, and no other
// claim takes them before that. A claimed message is then sent and its
// outcome saved with RecordMailDelivery; when that save never comes (the
// process died), the message is due again once the lease has passed.
//
// On PostgreSQL several replicas claim at once: the rows are taken with
// FOR UPDATE SKIP LOCKED, so that a claim skips the rows another one is
// taking instead of waiting for it or aborting, at READ COMMITTED (a row
// claimed meanwhile is re-checked and left out), and each message is
// claimed by one replica.
func ClaimMail(ctx context.Context, db *DB, now time.Time, lease time.Duration, claimID string, limit int) ([]OutboxMessage, error) {
	var out []OutboxMessage
	fn := func(tx *sql.Tx) error {
		out = nil
		claim := sqlClaimMail
		if db.dialect == Postgres {
			claim = sqlClaimMailPostgres
		}
		res, err := tx.ExecContext(ctx, claim, claimID, now.Add(lease).UnixMilli(), now.UnixMilli(), now.UnixMilli(), limit)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return err
		}
		out, err = queryOutbox(ctx, tx, `SELECT `+outboxCols+` FROM outbox WHERE claim_id = ? ORDER BY next_attempt_at, id`, claimID)
		return err
	}
	if db.dialect == Postgres {
		return out, db.pgTx(ctx, sql.LevelReadCommitted, fn)
	}
	return out, db.Tx(ctx, fn)
}

const (
	sqlClaimMail = `UPDATE outbox SET claim_id = ?, claimed_until = ? WHERE id IN (
		SELECT id FROM outbox WHERE status = 'pending' AND next_attempt_at <= ? AND (claimed_until IS NULL OR claimed_until <= ?)
		ORDER BY next_attempt_at, id LIMIT ?)`
	sqlClaimMailPostgres = `UPDATE outbox SET claim_id = ?, claimed_until = ? WHERE id IN (
		SELECT id FROM outbox WHERE status = 'pending' AND next_attempt_at <= ? AND (claimed_until IS NULL OR claimed_until <= ?)
		ORDER BY next_attempt_at, id LIMIT ? FOR UPDATE SKIP LOCKED)`
)

// ErrClaimLost is returned when saving the outcome of a message whose claim
// is no longer ours (its lease passed and another claim took it).
var ErrClaimLost = fault.Sentinel(fault.Conflict, "the message's claim was lost")

// RecordMailDelivery saves the outcome of an attempt on a message claimed
// by claimID, and ends the claim.
func RecordMailDelivery(ctx context.Context, q Querier, m OutboxMessage, claimID string) error {
	res, err := q.ExecContext(ctx, `UPDATE outbox SET status = ?, attempts = ?, last_error = ?, next_attempt_at = ?, sent_at = ?, claim_id = NULL, claimed_until = NULL
		WHERE id = ? AND claim_id = ?`,
		m.Status, m.Attempts, m.LastError, ms(m.NextAttemptAt), ms(m.SentAt), m.ID, claimID)
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		if err == nil {
			err = ErrClaimLost
		}
		return err
	}
	return nil
}

// ReleaseMail ends claimID's claim on messages that were not attempted, so
// that they are due again at once.
func ReleaseMail(ctx context.Context, q Querier, claimID string, ids []int64) error {
	for _, id := range ids {
		if _, err := q.ExecContext(ctx, `UPDATE outbox SET claim_id = NULL, claimed_until = NULL WHERE id = ? AND claim_id = ?`, id, claimID); err != nil {
			return err
		}
	}
	return nil
}

// NextMailAttempt returns when the next pending message becomes due — its
// next attempt, or the end of its claim's lease if that is later — or the
// zero time.
func NextMailAttempt(ctx context.Context, q Querier) (time.Time, error) {
	var v sql.NullInt64
	err := q.QueryRowContext(ctx, `SELECT MIN(CASE WHEN claimed_until > next_attempt_at THEN claimed_until ELSE next_attempt_at END) FROM outbox WHERE status = 'pending'`).Scan(&v)
	return fromMS(v), err
}

// RetryMailNow makes every pending message that waits for a later retry
// (and is not claimed) due at now, and returns how many: the mail server
// answers again, so the whole backlog goes at once.
func RetryMailNow(ctx context.Context, db *DB, now time.Time) (int64, error) {
	var n int64
	err := db.Tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE outbox SET next_attempt_at = ? WHERE status = 'pending' AND next_attempt_at > ? AND (claimed_until IS NULL OR claimed_until <= ?)`,
			now.UnixMilli(), now.UnixMilli(), now.UnixMilli())
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	return n, err
}

// MailRetrying counts the pending messages that wait for a retry after a
// failed attempt.
func MailRetrying(ctx context.Context, q Querier, now time.Time) (int, error) {
	var n int
	err := q.QueryRowContext(ctx, `SELECT COUNT(*) FROM outbox WHERE status = 'pending' AND attempts > 0 AND next_attempt_at > ?`, now.UnixMilli()).Scan(&n)
	return n, err
}

// MailWaiting counts the messages not delivered yet that can still be:
// pending ones, and undeliverable ones (waiting for SMTP settings and a
// retry).
func MailWaiting(ctx context.Context, q Querier) (int, error) {
	var n int
	err := q.QueryRowContext(ctx, `SELECT COUNT(*) FROM outbox WHERE status IN ('pending', 'undeliverable')`).Scan(&n)
	return n, err
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

// RequeueMail puts every message of a status (failed or undeliverable)
// back in the queue, due at now with its attempts reset, and returns how
// many.
func RequeueMail(ctx context.Context, q Querier, status api.OutboxStatus, now time.Time) (int64, error) {
	res, err := q.ExecContext(ctx, `UPDATE outbox SET status = 'pending', attempts = 0, next_attempt_at = ? WHERE status = ?`, now.UnixMilli(), status)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// OutboxFilter selects messages for the admin list.
type OutboxFilter struct {
	Status api.OutboxStatus
	Limit  int    // default 100
	Cursor string // from a previous page
}

// ListMail returns a page of messages, newest first (by id), and the cursor
// of the next page ("" at the end). The cursor is opaque to clients (the
// last id of the page).
func ListMail(ctx context.Context, q Querier, f OutboxFilter) ([]OutboxMessage, string, error) {
	if f.Limit <= 0 {
		f.Limit = 100
	}
	conds, args := []string{"1 = 1"}, []any{}
	if f.Status != "" {
		conds, args = append(conds, "status = ?"), append(args, f.Status)
	}
	if f.Cursor != "" {
		before, err := strconv.ParseInt(f.Cursor, 10, 64)
		if err != nil || before <= 0 {
			return nil, "", fault.Field("cursor", "is not the next_cursor of a previous page")
		}
		conds, args = append(conds, "id < ?"), append(args, before)
	}
	list, err := queryOutbox(ctx, q, `SELECT `+outboxCols+` FROM outbox WHERE `+strings.Join(conds, " AND ")+` ORDER BY id DESC LIMIT ?`, append(args, f.Limit+1)...)
	if err != nil {
		return nil, "", err
	}
	next := ""
	if len(list) > f.Limit {
		list = list[:f.Limit]
		next = strconv.FormatInt(list[len(list)-1].ID, 10)
	}
	return list, next, nil
}

// CountMail counts the messages of a status.
func CountMail(ctx context.Context, q Querier, status api.OutboxStatus) (int, error) {
	var n int
	err := q.QueryRowContext(ctx, `SELECT COUNT(*) FROM outbox WHERE status = ?`, status).Scan(&n)
	return n, err
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

// MarkMailUndeliverable marks every pending message due at now (and not
// claimed) as undeliverable with reason, and returns how many.
//
// On PostgreSQL it runs at READ COMMITTED, like ClaimMail: it is one
// UPDATE whose rows are re-checked against their WHERE when another
// replica changed them meanwhile (a message claimed or sent is left out),
// and it reads nothing else. At SERIALIZABLE its scan of every pending
// message put a predicate lock on the rows that approvals insert, and made
// it the first link of the chains of read-write conflicts for which
// PostgreSQL aborts approvals.
func MarkMailUndeliverable(ctx context.Context, db *DB, now time.Time, reason string) (int64, error) {
	var n int64
	tx := db.Tx
	if db.dialect == Postgres {
		tx = func(ctx context.Context, fn func(tx *sql.Tx) error) error {
			return db.pgTx(ctx, sql.LevelReadCommitted, fn)
		}
	}
	err := tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE outbox SET status = 'undeliverable', last_error = ?, next_attempt_at = NULL WHERE status = 'pending' AND next_attempt_at <= ? AND (claimed_until IS NULL OR claimed_until <= ?)`,
			reason, now.UnixMilli(), now.UnixMilli())
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	return n, err
}
