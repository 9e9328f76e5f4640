package store

import (
	"context"
	"database/sql"
	"errors"
	"time"
)

// Session is a sign-in session of the admin web page. Only the SHA-256 of
// the cookie's secret is stored; the CSRF token is per session.
type Session struct {
	ID            string
	Hash          string
	UserID        string
	CSRF          string
	Flash         string
	Source        string
	UserAgent     string
	CreatedAt     time.Time
	LastSeenAt    time.Time
	IdleExpiresAt time.Time // moved forward by activity
	ExpiresAt     time.Time // absolute: never moved
}

// CreateSession stores s.
func CreateSession(ctx context.Context, q Querier, s Session) error {
	_, err := q.ExecContext(ctx, `INSERT INTO web_sessions (id, token_hash, user_id, csrf_token, flash, source_addr, user_agent, created_at, last_seen_at, idle_expires_at, expires_at)
		VALUES (?, ?, ?, ?, '', ?, ?, ?, ?, ?, ?)`,
		s.ID, s.Hash, s.UserID, s.CSRF, s.Source, s.UserAgent, ms(s.CreatedAt), ms(s.LastSeenAt), ms(s.IdleExpiresAt), ms(s.ExpiresAt))
	return err
}

// SessionUser finds a valid session by the hash of its secret — not
// revoked, neither idle nor absolute expiry passed — and its user, who must
// not be disabled.
func SessionUser(ctx context.Context, q Querier, hash string, now time.Time) (Session, User, error) {
	row := q.QueryRowContext(ctx, `SELECT s.id, s.user_id, s.csrf_token, s.flash, s.source_addr, s.user_agent, s.created_at, s.last_seen_at, s.idle_expires_at, s.expires_at,
		u.id, u.email, u.name, u.role, u.password_hash, u.disabled, u.created_at, u.updated_at
		FROM web_sessions s JOIN users u ON u.id = s.user_id
		WHERE s.token_hash = ? AND s.revoked_at IS NULL AND s.expires_at > ? AND s.idle_expires_at > ? AND u.disabled = 0`,
		hash, now.UnixMilli(), now.UnixMilli())
	var s Session
	var sc, sl, si, se sql.NullInt64
	var u User
	var uc, uu sql.NullInt64
	var disabled int
	err := row.Scan(&s.ID, &s.UserID, &s.CSRF, &s.Flash, &s.Source, &s.UserAgent, &sc, &sl, &si, &se,
		&u.ID, &u.Email, &u.Name, &u.Role, &u.PasswordHash, &disabled, &uc, &uu)
	if errors.Is(err, sql.ErrNoRows) {
		return Session{}, User{}, ErrNotFound
	}
	if err != nil {
		return Session{}, User{}, err
	}
	s.Hash = hash
	s.CreatedAt, s.LastSeenAt, s.IdleExpiresAt, s.ExpiresAt = fromMS(sc), fromMS(sl), fromMS(si), fromMS(se)
	u.Disabled = disabled != 0
	u.CreatedAt, u.UpdatedAt = fromMS(uc), fromMS(uu)
	return s, u, nil
}

// TouchSession records activity: the idle expiry moves to idleExpires
// (never past the absolute expiry, which SessionUser checks as well).
func TouchSession(ctx context.Context, q Querier, hash string, now, idleExpires time.Time) error {
	_, err := q.ExecContext(ctx, `UPDATE web_sessions SET last_seen_at = ?, idle_expires_at = ? WHERE token_hash = ? AND revoked_at IS NULL`,
		now.UnixMilli(), idleExpires.UnixMilli(), hash)
	return err
}

// SetSessionFlash stores the message shown once on the session's next page.
func SetSessionFlash(ctx context.Context, q Querier, hash, flash string) error {
	_, err := q.ExecContext(ctx, `UPDATE web_sessions SET flash = ? WHERE token_hash = ?`, flash, hash)
	return err
}

// TakeSessionFlash returns the session's flash message and clears it.
func TakeSessionFlash(ctx context.Context, db *DB, hash string) (string, error) {
	var f string
	err := db.QueryRowContext(ctx, `SELECT flash FROM web_sessions WHERE token_hash = ?`, hash).Scan(&f)
	if errors.Is(err, sql.ErrNoRows) || f == "" {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	// Read again under the write lock, so that one page shows it.
	err = db.Tx(ctx, func(tx *sql.Tx) error {
		if err := tx.QueryRowContext(ctx, `SELECT flash FROM web_sessions WHERE token_hash = ?`, hash).Scan(&f); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `UPDATE web_sessions SET flash = '' WHERE token_hash = ?`, hash)
		return err
	})
	return f, err
}

// RevokeSession ends one session (sign-out).
func RevokeSession(ctx context.Context, q Querier, hash string, now time.Time) error {
	_, err := q.ExecContext(ctx, `UPDATE web_sessions SET revoked_at = ? WHERE token_hash = ? AND revoked_at IS NULL`, now.UnixMilli(), hash)
	return err
}

// RevokeUserSessions ends every session of a user (on disable).
func RevokeUserSessions(ctx context.Context, q Querier, userID string, now time.Time) error {
	_, err := q.ExecContext(ctx, `UPDATE web_sessions SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL`, now.UnixMilli(), userID)
	return err
}

// PruneSessions deletes sessions whose absolute expiry is before cutoff.
func PruneSessions(ctx context.Context, q Querier, cutoff time.Time) error {
	_, err := q.ExecContext(ctx, `DELETE FROM web_sessions WHERE expires_at < ?`, cutoff.UnixMilli())
	return err
}
