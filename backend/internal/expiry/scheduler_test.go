package expiry_test

import (
	"context"
	"database/sql"
	"log/slog"
	"path/filepath"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/jonboulle/clockwork"

	"gatepass.dev/backend/backendtest"
	"gatepass.dev/backend/internal/access"
	"gatepass.dev/backend/internal/events"
	"gatepass.dev/backend/internal/expiry"
	"gatepass.dev/backend/internal/metrics"
	"gatepass.dev/backend/internal/store"
	"gatepass.dev/shared/api"
)

// TestRunBacksOffOnFailingDatabase: with a request overdue to time out and
// a full disk, Run does not retry at once (the deadline stays overdue) but
// after 1 s, 2 s, 4 s … up to MaxBackoff; once the disk has space the
// request times out. The database is real SQLite on a small tmpfs; time is
// synctest's.
func TestRunBacksOffOnFailingDatabase(t *testing.T) {
	disk := backendtest.NewDisk(t, "16m")
	synctest.Test(t, func(t *testing.T) {
		ctx := t.Context()
		db, err := store.Open(ctx, filepath.Join(disk.Dir, "gatepass.db"))
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		var failed atomic.Int64
		db.OnWriteFailure = func(string, error) { failed.Add(1) }
		now := time.Now()
		req := store.Request{ID: store.NewID("req"), NetworkID: store.NewID("net"), UserID: store.NewID("usr"), Status: api.StatusPending,
			Reason: "waits too long", RequestedAt: now.Add(-2 * time.Hour)}
		err = db.Tx(ctx, func(tx *sql.Tx) error {
			if err := store.CreateUser(ctx, tx, store.User{ID: req.UserID, Email: "alice@example.com", Name: "Alice", Role: api.RoleUser, CreatedAt: now, UpdatedAt: now}); err != nil {
				return err
			}
			if err := store.CreateNetwork(ctx, tx, store.Network{ID: req.NetworkID, Name: "net", CIDR: "10.99.0.0/24", ListenPort: 51999,
				JITEnabled: true, DefaultDuration: time.Hour, MaxDuration: time.Hour, AllUsers: true, CreatedAt: now, UpdatedAt: now}); err != nil {
				return err
			}
			return store.InsertRequest(ctx, tx, req)
		})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.ExecContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`); err != nil {
			t.Fatal(err)
		}
		bus := events.NewBus()
		svc := access.NewService(access.Options{DB: db, Bus: bus, Clock: clockwork.NewRealClock(), Metrics: metrics.New(nil), Logger: slog.New(slog.DiscardHandler),
			PublicURL: func() string { return "http://gatepass.example" }, PendingTTL: time.Hour})
		s := expiry.New(svc, bus, db, clockwork.NewRealClock(), slog.New(slog.DiscardHandler))
		disk.Fill(t)
		runCtx, cancel := context.WithCancel(ctx)
		done := make(chan struct{})
		go func() { defer close(done); s.Run(runCtx) }()

		synctest.Wait()
		want := int64(1)
		if n := failed.Load(); n != want {
			t.Fatalf("%d failed writes after the first sweep, want 1", n)
		}
		for _, backoff := range []time.Duration{1, 2, 4, 8, 16, 30, 30} {
			backoff *= time.Second
			time.Sleep(backoff - time.Millisecond)
			synctest.Wait()
			if n := failed.Load(); n != want {
				t.Fatalf("%d failed writes %s into a back-off of %s, want still %d", n, backoff-time.Millisecond, backoff, want)
			}
			time.Sleep(time.Millisecond)
			synctest.Wait()
			want++
			if n := failed.Load(); n != want {
				t.Fatalf("%d failed writes at the end of a back-off of %s, want %d", n, backoff, want)
			}
		}

		disk.Free(t)
		time.Sleep(expiry.MaxBackoff)
		synctest.Wait()
		cancel()
		<-done
		got, err := store.RequestByID(ctx, db, req.ID)
		if err != nil || got.Status != api.StatusExpired {
			t.Errorf("request after the disk was freed: %s %v, want expired", got.Status, err)
		}
	})
}
