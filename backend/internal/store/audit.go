package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"strings"
	"time"

	"gatepass.dev/shared/api"
)

// AuditEntry is one row of the append-only audit log.
type AuditEntry struct {
	ID         int64
	At         time.Time
	ActorID    string
	ActorEmail string
	Action     string
	TargetType string
	TargetID   string
	NetworkID  string
	Source     string
	Details    map[string]string

	// Read for display by ListAudit; not saved. ActorName is the actor's
	// display name; SubjectName the display name of the user the entry is
	// about (a request's requester, a user, a device's owner). "" when
	// unknown or deleted.
	ActorName   string
	SubjectName string
}

// API returns the wire form.
func (e AuditEntry) API() api.AuditEntry {
	d := e.Details
	if d == nil {
		d = map[string]string{}
	}
	return api.AuditEntry{ID: e.ID, At: e.At, ActorID: e.ActorID, ActorEmail: e.ActorEmail, Action: e.Action,
		TargetType: e.TargetType, TargetID: e.TargetID, NetworkID: e.NetworkID, SourceAddr: e.Source, Details: d}
}

// InsertAudit appends e.
func InsertAudit(ctx context.Context, q Querier, e AuditEntry) error {
	args, err := auditArgs(e)
	if err != nil {
		return err
	}
	_, err = q.ExecContext(ctx, sqlInsertAudit, args...)
	return err
}

const sqlInsertAudit = `INSERT INTO audit (at, actor_id, actor_email, action, target_type, target_id, network_id, source_addr, details)
	VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`

func auditArgs(e AuditEntry) ([]any, error) {
	details := "{}"
	if len(e.Details) > 0 {
		b, err := json.Marshal(e.Details)
		if err != nil {
			return nil, err
		}
		details = string(b)
	}
	return []any{ms(e.At), e.ActorID, e.ActorEmail, e.Action, e.TargetType, e.TargetID, e.NetworkID, e.Source, details}, nil
}

// AuditFilter selects audit rows.
type AuditFilter struct {
	Action    string // exact, or a prefix ending in "." (e.g. "request.")
	ActorID   string
	TargetID  string
	NetworkID string
	Since     time.Time
	Until     time.Time
	Query     string // substring of the actor's email or the details
	BeforeID  int64  // paging: rows with a smaller id
	Limit     int
}

// auditSelect reads audit rows with the display names of their actor and
// of the user each is about (each a lookup by primary key).
const auditSelect = `SELECT a.id, a.at, a.actor_id, a.actor_email, a.action, a.target_type, a.target_id, a.network_id, a.source_addr, a.details,
	COALESCE(au.name, ''), COALESCE(ru.name, tu.name, du.name, '')
	FROM audit a
	LEFT JOIN users au ON a.actor_id <> '' AND au.id = a.actor_id
	LEFT JOIN requests r ON a.target_type = 'request' AND r.id = a.target_id
	LEFT JOIN users ru ON ru.id = r.user_id
	LEFT JOIN users tu ON a.target_type = 'user' AND tu.id = a.target_id
	LEFT JOIN devices d ON a.target_type = 'device' AND d.id = a.target_id
	LEFT JOIN users du ON du.id = d.user_id`

// ListAudit returns rows newest first.
func ListAudit(ctx context.Context, q Querier, f AuditFilter) ([]AuditEntry, error) {
	var conds []string
	var args []any
	if f.Action != "" {
		if strings.HasSuffix(f.Action, ".") {
			conds = append(conds, `a.action LIKE ? ESCAPE '\'`)
			args = append(args, escapeLike(f.Action)+"%")
		} else {
			conds = append(conds, "a.action = ?")
			args = append(args, f.Action)
		}
	}
	if f.ActorID != "" {
		conds = append(conds, "a.actor_id = ?")
		args = append(args, f.ActorID)
	}
	if f.TargetID != "" {
		conds = append(conds, "a.target_id = ?")
		args = append(args, f.TargetID)
	}
	if f.NetworkID != "" {
		conds = append(conds, "a.network_id = ?")
		args = append(args, f.NetworkID)
	}
	if !f.Since.IsZero() {
		conds = append(conds, "a.at >= ?")
		args = append(args, f.Since.UnixMilli())
	}
	if !f.Until.IsZero() {
		conds = append(conds, "a.at < ?")
		args = append(args, f.Until.UnixMilli())
	}
	if f.Query != "" {
		like := "%" + escapeLike(strings.ToLower(f.Query)) + "%"
		conds = append(conds, `(LOWER(a.actor_email) LIKE ? ESCAPE '\' OR LOWER(a.details) LIKE ? ESCAPE '\')`)
		args = append(args, like, like)
	}
	if f.BeforeID > 0 {
		conds = append(conds, "a.id < ?")
		args = append(args, f.BeforeID)
	}
	where := ""
	if len(conds) > 0 {
		where = " WHERE " + strings.Join(conds, " AND ")
	}
	if f.Limit <= 0 {
		f.Limit = 100
	}
	args = append(args, f.Limit)
	rows, err := q.QueryContext(ctx, auditSelect+where+` ORDER BY a.id DESC LIMIT ?`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []AuditEntry
	for rows.Next() {
		var e AuditEntry
		var at sql.NullInt64
		var details string
		if err := rows.Scan(&e.ID, &at, &e.ActorID, &e.ActorEmail, &e.Action, &e.TargetType, &e.TargetID, &e.NetworkID, &e.Source, &details,
			&e.ActorName, &e.SubjectName); err != nil {
			return nil, err
		}
		e.At = fromMS(at)
		_ = json.Unmarshal([]byte(details), &e.Details)
		out = append(out, e)
	}
	return out, rows.Err()
}
