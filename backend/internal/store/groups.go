package store

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"gatepass.dev/backend/internal/fault"
	"gatepass.dev/shared/api"
)

// Group is a named set of users: a network's members, approvers and
// break-glass users, and a rule's subjects, may be groups.
type Group struct {
	ID        string
	Name      string
	MemberIDs []string
	CreatedAt time.Time
	UpdatedAt time.Time
}

// API returns the wire form.
func (g Group) API() api.Group {
	return api.Group{ID: g.ID, Name: g.Name, MemberIDs: nonNil(g.MemberIDs), CreatedAt: g.CreatedAt, UpdatedAt: g.UpdatedAt}
}

func groupConflict(err error) error {
	if isUniqueOn(err, "groups", "name") {
		return fault.Detail(ErrConflict, "a group with this name exists")
	}
	return err
}

// CreateGroup inserts g with its members.
func CreateGroup(ctx context.Context, q Querier, g Group) error {
	_, err := q.ExecContext(ctx, `INSERT INTO groups (id, name, created_at, updated_at) VALUES (?, ?, ?, ?)`, g.ID, g.Name, ms(g.CreatedAt), ms(g.UpdatedAt))
	if err != nil {
		return groupConflict(err)
	}
	return setGroupMembers(ctx, q, g)
}

// UpdateGroup saves g's name and members.
func UpdateGroup(ctx context.Context, q Querier, g Group) error {
	res, err := q.ExecContext(ctx, `UPDATE groups SET name = ?, updated_at = ? WHERE id = ?`, g.Name, ms(g.UpdatedAt), g.ID)
	if err != nil {
		return groupConflict(err)
	}
	if err := mustAffect(res); err != nil {
		return err
	}
	return setGroupMembers(ctx, q, g)
}

func setGroupMembers(ctx context.Context, q Querier, g Group) error {
	return replaceList(ctx, q, `DELETE FROM group_members WHERE group_id = ?`, []any{g.ID},
		`INSERT INTO group_members (group_id, user_id) VALUES (?, ?) ON CONFLICT DO NOTHING`, g.ID, g.MemberIDs, "user")
}

// DeleteGroup removes a group; it leaves every network and rule that
// named it.
func DeleteGroup(ctx context.Context, q Querier, id string) error {
	res, err := q.ExecContext(ctx, `DELETE FROM groups WHERE id = ?`, id)
	if err != nil {
		return err
	}
	return mustAffect(res)
}

// GroupByID loads a group with its members.
func GroupByID(ctx context.Context, q Querier, id string) (Group, error) {
	var g Group
	var created, updated int64
	err := q.QueryRowContext(ctx, `SELECT id, name, created_at, updated_at FROM groups WHERE id = ?`, id).Scan(&g.ID, &g.Name, &created, &updated)
	if errors.Is(err, sql.ErrNoRows) {
		return g, ErrNotFound
	}
	if err != nil {
		return g, err
	}
	g.CreatedAt, g.UpdatedAt = time.UnixMilli(created).UTC(), time.UnixMilli(updated).UTC()
	g.MemberIDs, err = stringList(ctx, q, `SELECT user_id FROM group_members WHERE group_id = ? ORDER BY user_id`, id)
	return g, err
}

// ListGroups returns every group by name, with members.
func ListGroups(ctx context.Context, q Querier) ([]Group, error) {
	ids, err := stringList(ctx, q, `SELECT id FROM groups ORDER BY name`)
	if err != nil {
		return nil, err
	}
	out := make([]Group, 0, len(ids))
	for _, id := range ids {
		g, err := GroupByID(ctx, q, id)
		if err != nil {
			return nil, err
		}
		out = append(out, g)
	}
	return out, nil
}

// GroupIDsOfUser returns the groups a user is in.
func GroupIDsOfUser(ctx context.Context, q Querier, userID string) ([]string, error) {
	return stringList(ctx, q, `SELECT group_id FROM group_members WHERE user_id = ? ORDER BY group_id`, userID)
}

// GroupNames maps group ids to names.
func GroupNames(ctx context.Context, q Querier) (map[string]string, error) {
	rows, err := q.QueryContext(ctx, `SELECT id, name FROM groups`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var id, name string
		if err := rows.Scan(&id, &name); err != nil {
			return nil, err
		}
		out[id] = name
	}
	return out, rows.Err()
}
