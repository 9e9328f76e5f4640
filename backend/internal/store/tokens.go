package store

import (
	"context"
	"database/sql"
	"errors"
	"time"
)

// Token kinds.
const (
	TokenAPI    = "api"    // a bearer token from login
	TokenInvite = "invite" // a one-time link to set a password
)

// Token is a stored credential; only the SHA-256 of the secret is kept.
type Token struct {
	ID        string
	UserID    string
	Hash      string
	Kind      string
	CreatedAt time.Time
	ExpiresAt time.Time
	RevokedAt time.Time
	// DeviceID is the device registered with this API token, if any:
	// removing the device revokes the token.
	DeviceID string
}

// CreateToken stores t.
func CreateToken(ctx context.Context, q Querier, t Token) error {
	_, err := q.ExecContext(ctx, `INSERT INTO tokens (id, user_id, token_hash, kind, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)`,
		t.ID, t.UserID, t.Hash, t.Kind, ms(t.CreatedAt), ms(t.ExpiresAt))
	return err
}

// TokenUser finds the user of a valid (not revoked, not expired) token of
// the given kind; a disabled user's token is not valid.
func TokenUser(ctx context.Context, q Querier, kind, hash string, now time.Time) (User, Token, error) {
	row := q.QueryRowContext(ctx, `SELECT t.id, t.created_at, t.expires_at, COALESCE(t.device_id, ''), u.id, u.email, u.name, u.role, u.password_hash, u.disabled, u.created_at, u.updated_at, u.service
		FROM tokens t JOIN users u ON u.id = t.user_id
		WHERE t.token_hash = ? AND t.kind = ? AND t.revoked_at IS NULL AND t.expires_at > ? AND u.disabled = 0`, hash, kind, now.UnixMilli())
	var t Token
	var tc, te sql.NullInt64
	var u User
	var uc, uu sql.NullInt64
	var disabled, service int
	err := row.Scan(&t.ID, &tc, &te, &t.DeviceID, &u.ID, &u.Email, &u.Name, &u.Role, &u.PasswordHash, &disabled, &uc, &uu, &service)
	if errors.Is(err, sql.ErrNoRows) {
		return User{}, Token{}, ErrNotFound
	}
	if err != nil {
		return User{}, Token{}, err
	}
	t.Hash, t.Kind, t.UserID = hash, kind, u.ID
	t.CreatedAt, t.ExpiresAt = fromMS(tc), fromMS(te)
	u.CreatedAt, u.UpdatedAt = fromMS(uc), fromMS(uu)
	u.Service = service != 0
	return u, t, nil
}

// RevokeToken revokes one token by hash.
func RevokeToken(ctx context.Context, q Querier, hash string, now time.Time) error {
	_, err := q.ExecContext(ctx, `UPDATE tokens SET revoked_at = ? WHERE token_hash = ? AND revoked_at IS NULL`, now.UnixMilli(), hash)
	return err
}

// RevokeUserTokens revokes every token of a user (on disable).
func RevokeUserTokens(ctx context.Context, q Querier, userID string, now time.Time) error {
	_, err := q.ExecContext(ctx, `UPDATE tokens SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL`, now.UnixMilli(), userID)
	return err
}

// BindTokenDevice records the device registered with an API token, unless
// the token is bound to a device already.
func BindTokenDevice(ctx context.Context, q Querier, hash, deviceID string) error {
	_, err := q.ExecContext(ctx, `UPDATE tokens SET device_id = ? WHERE token_hash = ? AND device_id IS NULL`, deviceID, hash)
	return err
}
