package access

import (
	"context"
	"database/sql"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"gatepass.dev/backend/internal/store"
	"gatepass.dev/shared/api"
)

// TestNextDeadlineOfAPassedStart: a pending request whose start has
// passed is due at once — also when the clock moved past the start after
// the last sweep and before the scheduler asks for its next deadline (it
// must not sleep past it until the next resync).
func TestNextDeadlineOfAPassedStart(t *testing.T) {
	ctx := context.Background()
	db, err := store.Open(ctx, t.TempDir()+"/gatepass.db")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	clock := clockwork.NewFakeClockAt(time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC))
	s := NewService(Options{DB: db, Clock: clock})
	now := clock.Now()
	start := now.Add(10 * time.Minute)
	err = db.Tx(ctx, func(tx *sql.Tx) error {
		if err := store.CreateUser(ctx, tx, store.User{ID: "u", Email: "u@example.com", Name: "u", Role: api.RoleUser, CreatedAt: now, UpdatedAt: now}); err != nil {
			return err
		}
		if err := store.CreateNetwork(ctx, tx, store.Network{ID: "n", Name: "n", CIDR: "10.1.0.0/24", ListenPort: 1, AllUsers: true,
			DefaultDuration: time.Hour, MaxDuration: time.Hour, CreatedAt: now, UpdatedAt: now}); err != nil {
			return err
		}
		return store.InsertRequest(ctx, tx, store.Request{ID: "r", NetworkID: "n", UserID: "u", Status: api.StatusPending, Reason: "x",
			RequestedAt: now, StartsAt: start})
	})
	if err != nil {
		t.Fatal(err)
	}
	if next, err := s.NextDeadline(ctx); err != nil || !next.Equal(start) {
		t.Fatalf("before the start: %v %v, want %v", next, err, start)
	}
	clock.Advance(2 * time.Hour) // past the start, no sweep in between
	if next, err := s.NextDeadline(ctx); err != nil || next.IsZero() || next.After(clock.Now()) {
		t.Fatalf("after the start: next deadline %v (%v), want at or before now %v", next, err, clock.Now())
	}
}
