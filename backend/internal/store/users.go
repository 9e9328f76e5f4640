package store

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"

	"gatepass.dev/backend/internal/actor"
	"gatepass.dev/backend/internal/fault"
	"gatepass.dev/shared/api"
)

// User is an account row.
type User struct {
	ID           string
	Email        string
	Name         string
	Role         api.Role
	PasswordHash string
	Disabled     bool
	// Service marks a non-human account: it has no password and signs in
	// only with API tokens an admin issued.
	Service   bool
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Actor is the user acting from source (their client's address).
func (u User) Actor(source string) actor.Actor {
	return actor.Actor{ID: u.ID, Email: u.Email, Name: u.Name, Role: u.Role, Source: source}
}

// API returns the wire form.
func (u User) API() api.User {
	return api.User{ID: u.ID, Email: u.Email, Name: u.Name, Role: u.Role, Disabled: u.Disabled, Service: u.Service, CreatedAt: u.CreatedAt}
}

const userCols = `id, email, name, role, password_hash, disabled, created_at, updated_at, service`

func scanUser(row interface{ Scan(...any) error }) (User, error) {
	var u User
	var created, updated sql.NullInt64
	var disabled, service int
	err := row.Scan(&u.ID, &u.Email, &u.Name, &u.Role, &u.PasswordHash, &disabled, &created, &updated, &service)
	if errors.Is(err, sql.ErrNoRows) {
		return u, ErrNotFound
	}
	u.Disabled, u.Service = disabled != 0, service != 0
	u.CreatedAt, u.UpdatedAt = fromMS(created), fromMS(updated)
	return u, err
}

// NormalizeEmail lower-cases and trims an email address for storage and look-up.
func NormalizeEmail(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

// CreateUser inserts u. A taken email is ErrConflict.
func CreateUser(ctx context.Context, q Querier, u User) error {
	_, err := q.ExecContext(ctx, `INSERT INTO users (`+userCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		u.ID, NormalizeEmail(u.Email), u.Name, u.Role, u.PasswordHash, boolInt(u.Disabled), ms(u.CreatedAt), ms(u.UpdatedAt), boolInt(u.Service))
	if isUnique(err) {
		return fault.Detail(ErrConflict, "a user with this email exists")
	}
	return err
}

// UpdateUser saves the mutable fields of u.
func UpdateUser(ctx context.Context, q Querier, u User) error {
	res, err := q.ExecContext(ctx, `UPDATE users SET name = ?, role = ?, password_hash = ?, disabled = ?, updated_at = ? WHERE id = ?`,
		u.Name, u.Role, u.PasswordHash, boolInt(u.Disabled), ms(u.UpdatedAt), u.ID)
	if err != nil {
		return err
	}
	return mustAffect(res)
}

// UserByID loads a user.
func UserByID(ctx context.Context, q Querier, id string) (User, error) {
	return scanUser(q.QueryRowContext(ctx, `SELECT `+userCols+` FROM users WHERE id = ?`, id))
}

// UserByEmail loads a user by (normalized) email.
func UserByEmail(ctx context.Context, q Querier, email string) (User, error) {
	return scanUser(q.QueryRowContext(ctx, `SELECT `+userCols+` FROM users WHERE email = ?`, NormalizeEmail(email)))
}

// ListUsers returns every user by email.
func ListUsers(ctx context.Context, q Querier) ([]User, error) {
	return queryUsers(ctx, q, `SELECT `+userCols+` FROM users ORDER BY email`)
}

// ActiveAdmins returns the admins who are not disabled.
func ActiveAdmins(ctx context.Context, q Querier) ([]User, error) {
	return queryUsers(ctx, q, `SELECT `+userCols+` FROM users WHERE role = 'admin' AND disabled = 0 ORDER BY email`)
}

// CountUsers counts every user.
func CountUsers(ctx context.Context, q Querier) (int, error) {
	var n int
	err := q.QueryRowContext(ctx, `SELECT COUNT(*) FROM users`).Scan(&n)
	return n, err
}

func queryUsers(ctx context.Context, q Querier, query string, args ...any) ([]User, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []User
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, u)
	}
	return out, rows.Err()
}

func mustAffect(res sql.Result) error {
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return ErrNotFound
	}
	return nil
}
