package outbox_test

// Workers of several replicas on one PostgreSQL database (package pgtest)
// and the real SMTP catcher.

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"gatepass.dev/backend/backendtest"
	"gatepass.dev/backend/internal/mail"
	"gatepass.dev/backend/internal/mail/smtptest"
	"gatepass.dev/backend/internal/metrics"
	"gatepass.dev/backend/internal/outbox"
	"gatepass.dev/backend/internal/store"
	"gatepass.dev/backend/internal/store/pgtest"
	"gatepass.dev/shared/api"
)

type replicas struct {
	t     *testing.T
	dbs   []*store.DB
	smtp  *smtptest.Server
	clock *clockwork.FakeClock
}

func newReplicas(t *testing.T, n int) *replicas {
	t.Helper()
	url := pgtest.URL(t)
	r := &replicas{t: t, smtp: smtptest.Start(t), clock: clockwork.NewFakeClockAt(backendtest.Start)}
	for range n {
		db, err := store.OpenPostgres(t.Context(), url)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		r.dbs = append(r.dbs, db)
	}
	return r
}

func (r *replicas) worker(i int) *outbox.Worker {
	cfg := func(context.Context) (mail.Config, error) {
		return mail.Config{Host: r.smtp.Host(), Port: r.smtp.Port(), From: "gatepass@example.com", TLS: api.SMTPTLSNone, Timeout: 5 * time.Second}, nil
	}
	return outbox.NewWorker(r.dbs[i], r.clock, mail.NewSender(), cfg, metrics.New(nil), slog.New(slog.DiscardHandler))
}

func (r *replicas) enqueue(n int) {
	r.t.Helper()
	for i := range n {
		to := fmt.Sprintf("user%03d@example.com", i)
		if _, err := store.EnqueueMail(r.t.Context(), r.dbs[0], store.OutboxMessage{Kind: "test", To: to, Subject: "Hello " + to, Text: "hi", CreatedAt: r.clock.Now()}); err != nil {
			r.t.Fatal(err)
		}
	}
}

// TestReplicasSendEachMailOnce: the workers of three replicas deliver a
// queue at the same time: every message arrives exactly once and is
// recorded sent (each claim takes a row no other replica has).
func TestReplicasSendEachMailOnce(t *testing.T) {
	r := newReplicas(t, 3)
	const n = 60
	r.enqueue(n)
	var wg sync.WaitGroup
	sent := make([]int, len(r.dbs))
	for i := range r.dbs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var err error
			if sent[i], err = r.worker(i).DeliverDue(t.Context()); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	got := map[string]int{}
	for _, m := range r.smtp.Messages() {
		got[m.To[0]]++
	}
	for i := range n {
		if to := fmt.Sprintf("user%03d@example.com", i); got[to] != 1 {
			t.Errorf("%s received %d messages, want 1", to, got[to])
		}
	}
	if len(got) != n || sent[0]+sent[1]+sent[2] != n {
		t.Errorf("received for %d recipients, sent %v, want %d in all", len(got), sent, n)
	}
	if c, err := store.CountMail(t.Context(), r.dbs[1], api.OutboxSent); err != nil || c != n {
		t.Errorf("%d recorded sent (%v), want %d", c, err, n)
	}
	t.Logf("sent by each replica: %v", sent)
}

// stuck is a replica that dies while it sends: its sender never returns
// (until the test ends).
type stuck struct {
	entered chan struct{}
	release chan struct{}
	once    sync.Once
}

func (s *stuck) Send(ctx context.Context, _ mail.Config, _ mail.Message) error {
	s.once.Do(func() { close(s.entered) })
	<-s.release
	return context.Canceled
}

// TestDeadReplicaHoldsOnlyItsMessage: a replica's worker claims a message
// and dies while sending it. Another replica delivers every other message
// at once, and that one when its lease (the send timeout plus the margin)
// has passed: each exactly once.
func TestDeadReplicaHoldsOnlyItsMessage(t *testing.T) {
	r := newReplicas(t, 2)
	r.enqueue(5)
	dead := &stuck{entered: make(chan struct{}), release: make(chan struct{})}
	cfg := func(context.Context) (mail.Config, error) {
		return mail.Config{Host: r.smtp.Host(), Port: r.smtp.Port(), From: "gatepass@example.com", TLS: api.SMTPTLSNone, Timeout: 5 * time.Second}, nil
	}
	dying := outbox.NewWorker(r.dbs[0], r.clock, dead, cfg, metrics.New(nil), slog.New(slog.DiscardHandler))
	done := make(chan struct{})
	go func() { defer close(done); _, _ = dying.DeliverDue(context.Background()) }()
	t.Cleanup(func() { close(dead.release); <-done })
	<-dead.entered

	w := r.worker(1)
	if n, err := w.DeliverDue(t.Context()); err != nil || n != 4 {
		t.Fatalf("the live replica sent %d (%v), want the 4 the dead one was not sending", n, err)
	}
	r.clock.Advance(19 * time.Second)
	if n, err := w.DeliverDue(t.Context()); err != nil || n != 0 {
		t.Fatalf("within the lease: sent %d (%v)", n, err)
	}
	r.clock.Advance(time.Second)
	if n, err := w.DeliverDue(t.Context()); err != nil || n != 1 {
		t.Fatalf("after the lease: sent %d (%v), want the dead replica's message", n, err)
	}
	got := map[string]int{}
	for _, m := range r.smtp.Messages() {
		got[m.To[0]]++
	}
	if len(got) != 5 {
		t.Errorf("received %v, want 5 recipients once each", got)
	}
	for to, n := range got {
		if n != 1 {
			t.Errorf("%s received %d messages", to, n)
		}
	}
}
