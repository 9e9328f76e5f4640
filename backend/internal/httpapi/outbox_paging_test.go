package httpapi_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"net/url"
	"testing"

	"gatepass.dev/backend/backendtest"
	"gatepass.dev/backend/internal/store"
	"gatepass.dev/shared/api"
)

// TestAdminOutboxPaging: the outbox list pages through more than 1,000
// emails by cursor, newest first, with no email twice and none left out;
// the last page has no next_cursor; a bad limit or cursor is a 400 naming
// the field.
func TestAdminOutboxPaging(t *testing.T) {
	srv := backendtest.NewServer(t, backendtest.WithoutSMTP())
	admin := srv.Admin(t)
	const total = 1205
	err := srv.DB.Tx(context.Background(), func(tx *sql.Tx) error {
		for i := range total {
			if _, err := store.EnqueueMail(context.Background(), tx, store.OutboxMessage{Kind: "test", To: fmt.Sprintf("u%d@example.com", i),
				Subject: "Hello", Text: "hi", CreatedAt: srv.Now()}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	all, _, err := store.ListMail(t.Context(), srv.DB, store.OutboxFilter{Limit: 10000})
	if err != nil {
		t.Fatal(err)
	}

	for _, limit := range []string{"", "1000", "7"} {
		seen := map[int64]bool{}
		var got []int64
		q := url.Values{}
		if limit != "" {
			q.Set("limit", limit)
		}
		for pages := 0; ; pages++ {
			if pages > total {
				t.Fatalf("limit %q: no end of the pages", limit)
			}
			page, err := admin.OutboxPage(t.Context(), q)
			if err != nil {
				t.Fatalf("limit %q, page %d: %v", limit, pages, err)
			}
			for _, m := range page.Messages {
				if seen[m.ID] {
					t.Fatalf("limit %q: email %d on two pages", limit, m.ID)
				}
				seen[m.ID] = true
				got = append(got, m.ID)
			}
			if page.NextCursor == "" {
				break
			}
			q.Set("cursor", page.NextCursor)
		}
		if len(got) != len(all) {
			t.Fatalf("limit %q: %d emails over all pages, want %d", limit, len(got), len(all))
		}
		for i, m := range all {
			if got[i] != m.ID {
				t.Fatalf("limit %q: email %d at position %d, want %d (newest first)", limit, got[i], i, m.ID)
			}
		}
	}

	for _, c := range []struct{ query, field string }{
		{"limit=0", "limit"}, {"limit=1001", "limit"}, {"limit=x", "limit"},
		{"cursor=abc", "cursor"}, {"cursor=-5", "cursor"}, {"status=lost", "status"},
	} {
		r := backendtest.Do(t, "GET", srv.URL+"/api/v1/admin/outbox?"+c.query, admin.Token(), "", "")
		var body api.ErrorBody
		if err := json.Unmarshal(r.Body, &body); err != nil || r.Status != 400 || body.Error.Field != c.field {
			t.Errorf("?%s: %d %s, want 400 naming %s", c.query, r.Status, r.Body, c.field)
		}
	}
}
