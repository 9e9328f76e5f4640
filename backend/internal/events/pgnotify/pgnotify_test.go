package pgnotify_test

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"gatepass.dev/backend/backendtest"
	"gatepass.dev/backend/internal/events"
	"gatepass.dev/backend/internal/events/pgnotify"
	"gatepass.dev/backend/internal/store"
	"gatepass.dev/backend/internal/store/pgtest"
)

// replica is a bus with its transport on a database shared with others,
// and what its listener heard.
type replica struct {
	db  *store.DB
	bus *events.Bus
	tr  *pgnotify.Transport

	mu    sync.Mutex
	heard []events.Change
}

func newReplica(t *testing.T, url string) *replica {
	t.Helper()
	db, err := store.OpenPostgres(t.Context(), url)
	if err != nil {
		t.Fatal(err)
	}
	r := &replica{db: db, bus: events.NewBus()}
	r.bus.OnChange(func(c events.Change) {
		r.mu.Lock()
		r.heard = append(r.heard, c)
		r.mu.Unlock()
	})
	ctx, cancel := context.WithCancel(context.Background())
	r.tr = pgnotify.New(db.DB, db.PgxConfig(), r.bus, slog.New(slog.DiscardHandler))
	wait, err := r.tr.Start(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cancel(); wait(); db.Close() })
	return r
}

func (r *replica) changes() []events.Change {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]events.Change(nil), r.heard...)
}

// TestChangesReachTheOtherReplicas: a change published on one replica
// reaches the listeners and the streams of the others once, and its own
// listeners once (not again through the database).
func TestChangesReachTheOtherReplicas(t *testing.T) {
	url := pgtest.URL(t)
	a, b, c := newReplica(t, url), newReplica(t, url), newReplica(t, url)
	sub := b.bus.SubscribeUser("usr_alice")
	defer sub.Close()
	want := events.Change{UserIDs: []string{"usr_alice"}, NetworkID: "net_1", Gateway: true, Mail: true}
	a.bus.Publish(want)
	select {
	case <-sub.C:
	case <-time.After(backendtest.Timeout):
		t.Fatal("alice's stream on the other replica was not signalled")
	}
	backendtest.WaitFor(t, "the change on the third replica", func() bool { return len(c.changes()) == 1 })
	for name, r := range map[string]*replica{"b": b, "c": c} {
		got := r.changes()
		if len(got) != 1 || fmt.Sprint(got[0]) != fmt.Sprint(want) {
			t.Errorf("replica %s heard %+v, want %+v once", name, got, want)
		}
	}
	// Its own replica heard it at once, and only once: what comes back
	// from the database is ignored. Another change, published after, is
	// the fence: once b heard it, a's own notification has come and gone.
	b.bus.Publish(events.Change{NetworkID: "net_2"})
	backendtest.WaitFor(t, "b's change on a", func() bool { return len(a.changes()) == 2 })
	if got := a.changes(); fmt.Sprint(got[0]) != fmt.Sprint(want) || got[1].NetworkID != "net_2" {
		t.Errorf("replica a heard %+v", got)
	}
	if sent, received := a.tr.Counts(); sent != 1 || received != 1 {
		t.Errorf("a sent %d, received %d; want 1 and 1", sent, received)
	}
}

// TestLargeChangeBecomesEveryone: a change naming more users than a
// notification holds reaches the other replicas as "every user".
func TestLargeChangeBecomesEveryone(t *testing.T) {
	var users []string
	for i := range 1000 {
		users = append(users, fmt.Sprintf("usr_%016d", i))
	}
	big := events.Change{UserIDs: users, Gateway: true, Timed: true}
	p, err := pgnotify.Payload("origin", big)
	if err != nil || len(p) > 8000 || strings.Contains(p, "usr_") || !strings.Contains(p, `"e":true`) {
		t.Fatalf("payload of %d bytes: %.200s (%v)", len(p), p, err)
	}
	url := pgtest.URL(t)
	a, b := newReplica(t, url), newReplica(t, url)
	sub := b.bus.SubscribeUser(users[999])
	defer sub.Close()
	a.bus.Publish(big)
	select {
	case <-sub.C:
	case <-time.After(backendtest.Timeout):
		t.Fatal("the last user's stream on the other replica was not signalled")
	}
	if got := b.changes(); len(got) != 1 || !got[0].Everyone || !got[0].Gateway || !got[0].Timed {
		t.Errorf("b heard %+v", got)
	}
}

// TestListenerReconnectsAndResyncs: when a replica's listening connection
// is cut, it connects again by itself and makes everything look again
// (what was sent meanwhile is lost); changes flow again afterwards.
func TestListenerReconnectsAndResyncs(t *testing.T) {
	url := pgtest.URL(t)
	a, b := newReplica(t, url), newReplica(t, url)
	// Cut every listening connection (the test's session is not one).
	if _, err := a.db.ExecContext(t.Context(), `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
		WHERE datname = current_database() AND query LIKE 'LISTEN%' AND pid <> pg_backend_pid()`); err != nil {
		t.Fatal(err)
	}
	backendtest.WaitFor(t, "the resync after the reconnection", func() bool {
		for _, c := range b.changes() {
			if fmt.Sprint(c) == fmt.Sprint(events.Resync) {
				return true
			}
		}
		return false
	})
	a.bus.Publish(events.Change{NetworkID: "net_after"})
	backendtest.WaitFor(t, "a change after the reconnection", func() bool {
		got := b.changes()
		return len(got) > 0 && got[len(got)-1].NetworkID == "net_after"
	})
}
