// Package pgnotify carries the changes of the event bus between
// gatepass-server replicas on one PostgreSQL database, by LISTEN/NOTIFY
// (events.Transport).
//
// Every change published on a replica's bus is sent as a notification on
// the channel "gatepass_changes": JSON of the change and the replica's
// random origin id. Each replica LISTENs on a connection of its own and
// delivers what other replicas sent to its bus (events.Bus.Deliver: its
// listeners — the gateways, the scheduler, the outbox — and its streams),
// and ignores its own. Notifications are sent after the change committed,
// in the order they were published, by one goroutine, so a publisher never
// waits on the network; one that fails (the database is down) is dropped
// with a log line: every replica's listening connection breaks too, and
// a replica whose connection comes back delivers events.Resync, which makes
// everything look again.
//
// Limits: a notification's payload holds at most 8000 bytes, so a change
// naming more users than fit becomes "every user" (Everyone). PostgreSQL
// delivers a notification to the listeners connected when it commits;
// a replica that is not listening at that moment misses it (see Resync).
// The delay from a commit on one replica to the streams of another is a
// NOTIFY and a wake-up: milliseconds (BenchmarkCrossReplicaEvent).
package pgnotify

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"

	"gatepass.dev/backend/internal/events"
	"gatepass.dev/shared/backoff"
)

// Channel is the notification channel of the changes.
const Channel = "gatepass_changes"

const (
	// maxPayload keeps a notification under PostgreSQL's 8000 bytes.
	maxPayload = 7900
	// maxQueue bounds the changes waiting to be sent; past it they are
	// replaced by one Resync.
	maxQueue = 1024
	// sendWait bounds one NOTIFY.
	sendWait = 5 * time.Second
)

// reconnect is the back-off of the listening connection.
var reconnect = backoff.Policy{Min: 100 * time.Millisecond, Max: 5 * time.Second}

// Transport is the LISTEN/NOTIFY transport of one replica's bus.
type Transport struct {
	db     *sql.DB
	cfg    *pgx.ConnConfig
	bus    *events.Bus
	log    *slog.Logger
	origin string

	mu      sync.Mutex
	pending []events.Change
	wake    chan struct{}

	sent, received atomic.Int64
}

type message struct {
	Origin string        `json:"o"`
	Change events.Change `json:"c"`
}

// New returns the transport of bus: it sends through db (the store's
// pool) and listens on connections of its own made from cfg. Call Start.
func New(db *sql.DB, cfg *pgx.ConnConfig, bus *events.Bus, log *slog.Logger) *Transport {
	var id [8]byte
	_, _ = rand.Read(id[:])
	return &Transport{db: db, cfg: cfg, bus: bus, log: log, origin: hex.EncodeToString(id[:]), wake: make(chan struct{}, 1)}
}

// Start listens — it returns once the first LISTEN is in place, so that no
// change committed after Start is missed — and then, until ctx ends,
// delivers what the other replicas send, reconnecting with back-off, and
// sends what this replica publishes. It makes itself bus's transport.
func (t *Transport) Start(ctx context.Context) (wait func(), err error) {
	conn, err := t.connect(ctx)
	if err != nil {
		return nil, err
	}
	t.bus.SetTransport(t)
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		t.sendLoop(ctx)
	}()
	go func() {
		defer wg.Done()
		first := conn
		loop := backoff.Loop{Policy: reconnect, Jitter: true, OnBreak: func(err error, wait time.Duration) {
			t.log.Warn("events: the connection listening to the other replicas broke", "err", err, "retry_in", wait)
		}}
		_ = loop.Run(ctx, func(ctx context.Context, healthy func()) error {
			c := first
			first = nil
			if c == nil {
				var err error
				if c, err = t.connect(ctx); err != nil {
					return err
				}
				// Listening again: what was sent meanwhile is lost.
				t.bus.Deliver(events.Resync)
			}
			defer c.Close(context.Background())
			healthy()
			return t.receive(ctx, c)
		})
	}()
	return wg.Wait, nil
}

// connect opens a connection and LISTENs on it.
func (t *Transport) connect(ctx context.Context) (*pgx.Conn, error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	c, err := pgx.ConnectConfig(ctx, t.cfg.Copy())
	if err != nil {
		return nil, err
	}
	if _, err := c.Exec(ctx, "LISTEN "+Channel); err != nil {
		c.Close(context.Background())
		return nil, err
	}
	return c, nil
}

// receive delivers the notifications of other replicas until the
// connection breaks or ctx ends.
func (t *Transport) receive(ctx context.Context, c *pgx.Conn) error {
	for {
		n, err := c.WaitForNotification(ctx)
		if err != nil {
			return err
		}
		var m message
		if err := json.Unmarshal([]byte(n.Payload), &m); err != nil {
			t.log.Warn("events: an unreadable notification", "err", err)
			continue
		}
		if m.Origin == t.origin {
			continue
		}
		t.received.Add(1)
		t.bus.Deliver(m.Change)
	}
}

// Send implements events.Transport: it queues c for the sender.
func (t *Transport) Send(c events.Change) {
	t.mu.Lock()
	if len(t.pending) >= maxQueue {
		t.pending = append(t.pending[:0], events.Resync)
	} else {
		t.pending = append(t.pending, c)
	}
	t.mu.Unlock()
	select {
	case t.wake <- struct{}{}:
	default:
	}
}

func (t *Transport) sendLoop(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.wake:
		}
		t.mu.Lock()
		batch := t.pending
		t.pending = nil
		t.mu.Unlock()
		for _, c := range batch {
			if err := t.notify(ctx, c); err != nil && ctx.Err() == nil {
				t.log.Warn("events: could not tell the other replicas of a change", "err", err)
			}
		}
	}
}

func (t *Transport) notify(ctx context.Context, c events.Change) error {
	payload, err := Payload(t.origin, c)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, sendWait)
	defer cancel()
	if _, err := t.db.ExecContext(ctx, `SELECT pg_notify('`+Channel+`', $1)`, payload); err != nil {
		return err
	}
	t.sent.Add(1)
	return nil
}

// Payload is the notification of change c from origin: its JSON, with
// the users left out (and every user's view changed instead) when they
// would not fit.
func Payload(origin string, c events.Change) (string, error) {
	b, err := json.Marshal(message{Origin: origin, Change: c})
	if err != nil {
		return "", err
	}
	if len(b) > maxPayload {
		c.UserIDs, c.Everyone = nil, true
		if b, err = json.Marshal(message{Origin: origin, Change: c}); err != nil {
			return "", err
		}
	}
	return string(b), nil
}

// Counts returns how many changes this replica sent and received.
func (t *Transport) Counts() (sent, received int64) { return t.sent.Load(), t.received.Load() }
