package access

import (
	"context"
	"database/sql"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"gatepass.dev/backend/internal/events"
	"gatepass.dev/backend/internal/metrics"
	"gatepass.dev/backend/internal/store"
	"gatepass.dev/shared/api"
)

// TestAskingAgainAtTheEndOfAGrant: a grant whose end has come but which no
// sweep has expired yet (here: there is no scheduler at all) does not
// refuse a new request with "you already have an active grant": the new
// request's transaction expires it — status, audit row, expiry email —
// and files the new one.
func TestAskingAgainAtTheEndOfAGrant(t *testing.T) {
	ctx := context.Background()
	db, err := store.Open(ctx, t.TempDir()+"/gatepass.db")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	clock := clockwork.NewFakeClockAt(time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC))
	s := NewService(Options{DB: db, Clock: clock, Bus: events.NewBus(), Metrics: metrics.New(func() float64 { return 0 })})
	now := clock.Now()
	u := store.User{ID: "u", Email: "u@example.com", Name: "u", Role: api.RoleUser, CreatedAt: now, UpdatedAt: now}
	a := store.User{ID: "a", Email: "a@example.com", Name: "a", Role: api.RoleAdmin, CreatedAt: now, UpdatedAt: now}
	err = db.Tx(ctx, func(tx *sql.Tx) error {
		for _, x := range []store.User{u, a} {
			if err := store.CreateUser(ctx, tx, x); err != nil {
				return err
			}
		}
		if err := store.CreateNetwork(ctx, tx, store.Network{ID: "n", Name: "n", CIDR: "10.1.0.0/24", ListenPort: 1, AllUsers: true, JITEnabled: true,
			DefaultDuration: time.Hour, MaxDuration: 8 * time.Hour, CreatedAt: now, UpdatedAt: now}); err != nil {
			return err
		}
		return store.InsertRequest(ctx, tx, store.Request{ID: "g", NetworkID: "n", UserID: "u", Status: api.StatusPending, Reason: "x", RequestedAt: now})
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Do(ctx, "g", Event{Kind: EventApprove, Actor: a.Actor(""), Duration: time.Hour}); err != nil {
		t.Fatal(err)
	}
	clock.Advance(time.Hour) // the grant's end, and no sweep
	r, err := s.Create(ctx, u.Actor(""), "n", api.NewRequest{Reason: "more of the same"})
	if err != nil {
		t.Fatalf("asking again at the end of the grant: %v", err)
	}
	if r.Status != api.StatusPending {
		t.Errorf("the new request is %s", r.Status)
	}
	g, err := store.RequestByID(ctx, db, "g")
	if err != nil || g.Status != api.StatusExpired || !g.EndedAt.Equal(clock.Now()) {
		t.Fatalf("the lapsed grant: %s ended %v (%v), want expired now", g.Status, g.EndedAt, err)
	}
	rows, err := store.ListAudit(ctx, db, store.AuditFilter{Action: "request.expire"})
	if err != nil || len(rows) != 1 || rows[0].TargetID != "g" {
		t.Errorf("audit of the expiry: %+v (%v)", rows, err)
	}
	var mails int
	if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM outbox WHERE kind = ?`, MailExpired).Scan(&mails); err != nil || mails != 1 {
		t.Errorf("%d expiry emails (%v), want 1", mails, err)
	}

	// A grant with time left still refuses a second one.
	clock.Advance(time.Minute)
	if _, err := s.Do(ctx, r.ID, Event{Kind: EventApprove, Actor: a.Actor(""), Duration: time.Hour}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Create(ctx, u.Actor(""), "n", api.NewRequest{Reason: "again"}); err == nil {
		t.Error("a second request beside a grant with time left was accepted")
	}
}
