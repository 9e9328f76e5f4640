package store

import (
	"context"
	"strings"
	"testing"
	"time"
)

// TestHotQueriesUseIndexes: the queries of the expiry sweep and the
// scheduler read only the rows they need, through an index and in its
// order — a thousand grants expiring together must not scan and sort every
// approved grant on every batch.
func TestHotQueriesUseIndexes(t *testing.T) {
	ctx := context.Background()
	db, err := Open(ctx, t.TempDir()+"/plan.db")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	now := time.Now().UnixMilli()
	cases := map[string]struct {
		query string
		args  []any
		index string
	}{
		"due grants":         {requestSelect + ` WHERE r.status = 'approved' AND r.expires_at <= ? ORDER BY r.expires_at LIMIT ?`, []any{now, 250}, "requests_status_expiry"},
		"due pending":        {requestSelect + ` WHERE r.status = 'pending' AND r.requested_at <= ? ORDER BY r.requested_at LIMIT ?`, []any{now, 250}, "requests_status_order"},
		"next grant expiry":  {`SELECT MIN(expires_at) FROM requests WHERE status = 'approved'`, nil, "requests_status_expiry"},
		"oldest pending":     {`SELECT MIN(requested_at) FROM requests WHERE status = 'pending'`, nil, "requests_status_order"},
		"requests of a user": {`SELECT COUNT(*), MIN(requested_at) FROM requests WHERE user_id = ? AND requested_at > ?`, []any{"u", now}, "requests_user"},
	}
	for name, c := range cases {
		rows, err := db.QueryContext(ctx, "EXPLAIN QUERY PLAN "+c.query, c.args...)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		var plan []string
		for rows.Next() {
			var id, parent, unused int
			var detail string
			if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
				t.Fatal(err)
			}
			plan = append(plan, detail)
		}
		rows.Close()
		text := strings.Join(plan, "\n")
		if !strings.Contains(plan[0], "INDEX "+c.index) || strings.Contains(text, "TEMP B-TREE") {
			t.Errorf("%s: plan\n%s\nwant the index %s and no sort", name, text, c.index)
		}
	}
}
