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
	s, db, clock, u, a := lapsedGrant(t)
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

// TestBreakingTheGlassAtTheEndOfAGrant: break-glass files its request on
// its own path; a grant whose end has come and that no sweep has expired
// does not refuse it with "you have a grant already" either.
func TestBreakingTheGlassAtTheEndOfAGrant(t *testing.T) {
	ctx := context.Background()
	s, db, clock, u, a := lapsedGrant(t)
	if _, err := s.Do(ctx, "g", Event{Kind: EventApprove, Actor: a.Actor(""), Duration: time.Hour}); err != nil {
		t.Fatal(err)
	}
	clock.Advance(time.Hour) // the grant's end, and no sweep
	r, err := s.BreakGlass(ctx, u.Actor(""), "n", api.BreakGlassRequest{Reason: "the database is down"})
	if err != nil {
		t.Fatalf("breaking the glass at the end of the grant: %v", err)
	}
	if r.Status != api.StatusApproved {
		t.Errorf("the break-glass request is %s", r.Status)
	}
	if g, err := store.RequestByID(ctx, db, "g"); err != nil || g.Status != api.StatusExpired {
		t.Fatalf("the lapsed grant: %s (%v), want expired", g.Status, err)
	}
}

// lapsedGrant is a service without a scheduler on a new database: user u
// (in the group on-call, which may break the glass on network n for up to
// an hour), admin a, and u's pending request g on n.
func lapsedGrant(t *testing.T) (*Service, *store.DB, *clockwork.FakeClock, store.User, store.User) {
	t.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, t.TempDir()+"/gatepass.db")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
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
		if err := store.CreateGroup(ctx, tx, store.Group{ID: "oc", Name: "on-call", MemberIDs: []string{"u"}, CreatedAt: now, UpdatedAt: now}); err != nil {
			return err
		}
		if err := store.CreateNetwork(ctx, tx, store.Network{ID: "n", Name: "n", CIDR: "10.1.0.0/24", ListenPort: 1, AllUsers: true, JITEnabled: true,
			DefaultDuration: time.Hour, MaxDuration: 8 * time.Hour, CreatedAt: now, UpdatedAt: now,
			BreakGlass: store.BreakGlass{Enabled: true, GroupIDs: []string{"oc"}, MaxDuration: time.Hour}}); err != nil {
			return err
		}
		return store.InsertRequest(ctx, tx, store.Request{ID: "g", NetworkID: "n", UserID: "u", Status: api.StatusPending, Reason: "x", RequestedAt: now})
	})
	if err != nil {
		t.Fatal(err)
	}
	return s, db, clock, u, a
}
