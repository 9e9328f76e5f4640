package store

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"gatepass.dev/backend/internal/fault"
	"gatepass.dev/shared/api"
)

// Rule is one of a network's ordered policy rules. Schedule is the JSON
// of an api.Schedule ("" for none); access parses and evaluates it.
type Rule struct {
	ID            string
	NetworkID     string
	Position      int // 1 = evaluated first
	Name          string
	Action        api.RuleAction
	UserIDs       []string
	GroupIDs      []string
	MaxDuration   time.Duration // 0: the network's maximum
	Schedule      string
	ReasonPattern string
	CreatedAt     time.Time
	UpdatedAt     time.Time
}

const ruleCols = `id, network_id, position, name, action, max_duration_seconds, schedule, reason_pattern, created_at, updated_at`

func scanRule(row interface{ Scan(...any) error }) (Rule, error) {
	var r Rule
	var max, created, updated int64
	err := row.Scan(&r.ID, &r.NetworkID, &r.Position, &r.Name, &r.Action, &max, &r.Schedule, &r.ReasonPattern, &created, &updated)
	if errors.Is(err, sql.ErrNoRows) {
		return r, ErrNotFound
	}
	r.MaxDuration = time.Duration(max) * time.Second
	r.CreatedAt, r.UpdatedAt = time.UnixMilli(created).UTC(), time.UnixMilli(updated).UTC()
	return r, err
}

func ruleConflict(err error) error {
	if isUniqueOn(err, "rules", "network_id", "name") {
		return fault.Detail(ErrConflict, "this network has a rule with this name")
	}
	return err
}

// SaveRule inserts or updates a rule with its subjects (its position as
// given: see PlaceRule).
func SaveRule(ctx context.Context, q Querier, r Rule) error {
	_, err := q.ExecContext(ctx, `INSERT INTO rules (`+ruleCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET position = excluded.position, name = excluded.name, action = excluded.action,
		max_duration_seconds = excluded.max_duration_seconds, schedule = excluded.schedule, reason_pattern = excluded.reason_pattern,
		updated_at = excluded.updated_at`,
		r.ID, r.NetworkID, r.Position, r.Name, r.Action, int64(r.MaxDuration/time.Second), r.Schedule, r.ReasonPattern, ms(r.CreatedAt), ms(r.UpdatedAt))
	if err != nil {
		return ruleConflict(err)
	}
	if err := replaceList(ctx, q, `DELETE FROM rule_subjects WHERE rule_id = ?`, []any{r.ID},
		`INSERT INTO rule_subjects (rule_id, user_id) VALUES (?, ?)`, r.ID, r.UserIDs, "user"); err != nil {
		return err
	}
	for _, g := range r.GroupIDs {
		if _, err := q.ExecContext(ctx, `INSERT INTO rule_subjects (rule_id, group_id) VALUES (?, ?)`, r.ID, g); err != nil {
			if isForeignKey(err) {
				return fault.Detail(ErrNotFound, "no group %q", g)
			}
			return err
		}
	}
	return nil
}

// PlaceRule renumbers a network's rules 1…n with rule id at position pos
// (clamped; 0 or past the end: last) and the others in their order.
func PlaceRule(ctx context.Context, q Querier, networkID, id string, pos int) error {
	ids, err := stringList(ctx, q, `SELECT id FROM rules WHERE network_id = ? AND id <> ? ORDER BY position, created_at, id`, networkID, id)
	if err != nil {
		return err
	}
	if id != "" {
		if pos < 1 || pos > len(ids)+1 {
			pos = len(ids) + 1
		}
		ids = append(ids[:pos-1], append([]string{id}, ids[pos-1:]...)...)
	}
	for i, rid := range ids {
		if _, err := q.ExecContext(ctx, `UPDATE rules SET position = ? WHERE id = ?`, i+1, rid); err != nil {
			return err
		}
	}
	return nil
}

// DeleteRule removes a rule.
func DeleteRule(ctx context.Context, q Querier, id string) error {
	res, err := q.ExecContext(ctx, `DELETE FROM rules WHERE id = ?`, id)
	if err != nil {
		return err
	}
	return mustAffect(res)
}

// RuleByID loads a rule with its subjects.
func RuleByID(ctx context.Context, q Querier, id string) (Rule, error) {
	r, err := scanRule(q.QueryRowContext(ctx, `SELECT `+ruleCols+` FROM rules WHERE id = ?`, id))
	if err != nil {
		return r, err
	}
	return r, loadSubjects(ctx, q, &r)
}

// RulesOfNetwork returns a network's rules in evaluation order.
func RulesOfNetwork(ctx context.Context, q Querier, networkID string) ([]Rule, error) {
	rows, err := q.QueryContext(ctx, `SELECT `+ruleCols+` FROM rules WHERE network_id = ? ORDER BY position, created_at, id`, networkID)
	if err != nil {
		return nil, err
	}
	var out []Rule
	for rows.Next() {
		r, err := scanRule(rows)
		if err != nil {
			rows.Close()
			return nil, err
		}
		out = append(out, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for i := range out {
		if err := loadSubjects(ctx, q, &out[i]); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func loadSubjects(ctx context.Context, q Querier, r *Rule) error {
	var err error
	if r.UserIDs, err = stringList(ctx, q, `SELECT user_id FROM rule_subjects WHERE rule_id = ? AND user_id IS NOT NULL ORDER BY user_id`, r.ID); err != nil {
		return err
	}
	r.GroupIDs, err = stringList(ctx, q, `SELECT group_id FROM rule_subjects WHERE rule_id = ? AND group_id IS NOT NULL ORDER BY group_id`, r.ID)
	return err
}
