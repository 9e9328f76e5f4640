package store

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"testing"
	"time"

	"gatepass.dev/backend/internal/store/pgtest"
	"gatepass.dev/shared/api"
)

// TestApprovalReadsOnlyItsRequest: on PostgreSQL, what an approval reads
// of the requests table in its SERIALIZABLE transaction — the requester's
// membership (UserMemberFacts) and the compare-and-set (SaveRequestCAS) —
// is its own request's row through the primary key: no predicate lock on
// other requests, on their pages or on the status indexes, or two
// approvals of two different requests on two replicas abort each other
// for a read-write conflict. The table is young (no statistics), as in a
// new installation.
func TestApprovalReadsOnlyItsRequest(t *testing.T) {
	ctx := context.Background()
	db, err := OpenPostgres(ctx, pgtest.URL(t))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	now := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	var ids []string
	err = db.Tx(ctx, func(tx *sql.Tx) error {
		ids = nil
		if err := CreateUser(ctx, tx, User{ID: "admin", Email: "admin@example.com", Name: "a", Role: api.RoleAdmin, CreatedAt: now, UpdatedAt: now}); err != nil {
			return err
		}
		if err := CreateNetwork(ctx, tx, Network{ID: "n", Name: "n", CIDR: "10.1.0.0/24", ListenPort: 1, AllUsers: true,
			DefaultDuration: time.Hour, MaxDuration: time.Hour, CreatedAt: now, UpdatedAt: now}); err != nil {
			return err
		}
		for i := range 200 {
			u := fmt.Sprintf("u%03d", i)
			if err := CreateUser(ctx, tx, User{ID: u, Email: u + "@example.com", Name: u, Role: api.RoleUser, CreatedAt: now, UpdatedAt: now}); err != nil {
				return err
			}
			r := Request{ID: "r" + u, NetworkID: "n", UserID: u, Status: api.StatusPending, Reason: "x", RequestedAt: now}
			if i%2 == 1 { // half of them granted already
				r.Status, r.DecidedAt, r.DecidedBy, r.Granted, r.ExpiresAt = api.StatusApproved, now, "admin", time.Hour, now.Add(time.Hour)
			}
			if err := InsertRequest(ctx, tx, r); err != nil {
				return err
			}
			ids = append(ids, r.ID)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	tx, err := db.BeginTx(ctx, &sql.TxOptions{Isolation: sql.LevelSerializable})
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	prev, err := RequestByID(ctx, tx, ids[100])
	if err != nil {
		t.Fatal(err)
	}
	before := requestLocks(t, tx)
	if got := locksOn(t, tx, "request_approvals"); len(got) > 0 {
		t.Errorf("predicate locks on request_approvals after reading a request never saved: %v, want none", got)
	}
	f, err := UserMemberFacts(ctx, tx, prev.UserID, prev.NetworkID)
	if err != nil || !f.Member || f.UserDisabled || f.GrantID != "" {
		t.Fatalf("member facts: %+v, %v", f, err)
	}
	next := prev
	next.Status, next.DecidedAt, next.DecidedBy, next.Granted, next.ExpiresAt = api.StatusApproved, now, "admin", time.Hour, now.Add(time.Hour)
	next.Approvals = []Approval{{UserID: "admin", At: now, Duration: time.Hour}}
	if err := SaveRequestCAS(ctx, tx, next, prev); err != nil {
		t.Fatal(err)
	}
	// (The tuple lock of the request itself goes when it is written.)
	if got := requestLocks(t, tx); slices.ContainsFunc(got, func(l string) bool { return !slices.Contains(before, l) }) {
		t.Errorf("predicate locks on requests after reading one request: %v\nafter the membership check and the compare-and-set: %v\nwant no more", before, got)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	// Saved, the request has a revision and its approvals are read again.
	if r, err := RequestByID(ctx, db, prev.ID); err != nil || r.Rev != 1 || len(r.Approvals) != 1 || r.Approvals[0].Email != "admin@example.com" {
		t.Fatalf("saved request: rev %d, approvals %+v, %v; want rev 1 and the admin's approval", r.Rev, r.Approvals, err)
	}
}

// requestLocks lists this session's predicate (SIREAD) locks on the
// requests table and its indexes.
func requestLocks(t *testing.T, tx *sql.Tx) []string { return locksOn(t, tx, "requests") }

// locksOn lists this session's predicate (SIREAD) locks on table and its
// indexes (named table_…).
func locksOn(t *testing.T, tx *sql.Tx, table string) []string {
	t.Helper()
	rows, err := tx.QueryContext(context.Background(), `SELECT locktype || ' ' || relation::regclass::text FROM pg_locks
		WHERE mode = 'SIReadLock' AND pid = pg_backend_pid() AND (relation::regclass::text = ? OR relation::regclass::text LIKE ? || '\_%')
		ORDER BY 1`, table, table)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		out = append(out, s)
	}
	return out
}

// TestMarkUndeliverableTakesNoPredicateLocks: on PostgreSQL, marking the
// due messages undeliverable (no mail server configured) takes no
// predicate lock on the outbox, which every approval writes: a
// serializable transaction held open beside it keeps the predicate locks
// of the transactions that commit meanwhile, and finds none of it.
func TestMarkUndeliverableTakesNoPredicateLocks(t *testing.T) {
	ctx := context.Background()
	db, err := OpenPostgres(ctx, pgtest.URL(t))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	now := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	for i := range 20 {
		if _, err := EnqueueMail(ctx, db, OutboxMessage{Kind: "approved", To: fmt.Sprintf("u%d@example.com", i), Subject: "s", Text: "t", HTML: "h",
			CreatedAt: now, NextAttemptAt: now}); err != nil {
			t.Fatal(err)
		}
	}
	held, err := db.BeginTx(ctx, &sql.TxOptions{Isolation: sql.LevelSerializable})
	if err != nil {
		t.Fatal(err)
	}
	defer held.Rollback()
	var pid int
	if err := held.QueryRowContext(ctx, `SELECT pg_backend_pid()`).Scan(&pid); err != nil {
		t.Fatal(err)
	}
	n, err := MarkMailUndeliverable(ctx, db, now, "no mail server")
	if err != nil || n != 20 {
		t.Fatalf("marked %d, %v; want 20", n, err)
	}
	var locks []string
	rows, err := db.QueryContext(ctx, `SELECT locktype || ' ' || relation::regclass::text FROM pg_locks
		WHERE mode = 'SIReadLock' AND pid IS DISTINCT FROM ? AND relation::regclass::text LIKE 'outbox%' ORDER BY 1`, pid)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var l string
		if err := rows.Scan(&l); err != nil {
			t.Fatal(err)
		}
		locks = append(locks, l)
	}
	if len(locks) > 0 {
		t.Errorf("predicate locks on the outbox left by marking the due messages undeliverable: %v, want none", locks)
	}
}
