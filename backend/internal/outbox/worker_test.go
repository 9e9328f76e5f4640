package outbox_test

// The worker against a real SQLite database on a small tmpfs that the
// tests fill up (backendtest.Disk, root only) and the real SMTP catcher.

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"gatepass.dev/backend/backendtest"
	"gatepass.dev/backend/internal/fault"
	"gatepass.dev/backend/internal/mail"
	"gatepass.dev/backend/internal/mail/smtptest"
	"gatepass.dev/backend/internal/metrics"
	"gatepass.dev/backend/internal/outbox"
	"gatepass.dev/backend/internal/store"
	"gatepass.dev/shared/api"
)

type rig struct {
	t     *testing.T
	db    *store.DB
	disk  *backendtest.Disk
	smtp  *smtptest.Server
	clock *clockwork.FakeClock
}

func newRig(t *testing.T) *rig {
	t.Helper()
	disk := backendtest.NewDisk(t, "16m")
	db, err := store.Open(t.Context(), filepath.Join(disk.Dir, "gatepass.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return &rig{t: t, db: db, disk: disk, smtp: smtptest.Start(t), clock: clockwork.NewFakeClockAt(backendtest.Start)}
}

func (r *rig) config(context.Context) (mail.Config, error) {
	return mail.Config{Host: r.smtp.Host(), Port: r.smtp.Port(), From: "gatepass@example.com", TLS: api.SMTPTLSNone, Timeout: 5 * time.Second}, nil
}

func (r *rig) worker(sender outbox.Sender) *outbox.Worker {
	return outbox.NewWorker(r.db, r.clock, sender, r.config, metrics.New(nil), slog.New(slog.DiscardHandler))
}

// enqueue queues one message per recipient and returns their ids.
func (r *rig) enqueue(to ...string) []int64 {
	r.t.Helper()
	var ids []int64
	err := r.db.Tx(r.t.Context(), func(tx *sql.Tx) error {
		for _, addr := range to {
			id, err := store.EnqueueMail(r.t.Context(), tx, store.OutboxMessage{Kind: "test", To: addr, Subject: "Hello " + addr, Text: "hi", CreatedAt: r.clock.Now()})
			if err != nil {
				return err
			}
			ids = append(ids, id)
		}
		return nil
	})
	if err != nil {
		r.t.Fatal(err)
	}
	return ids
}

// received counts the delivered messages to each recipient.
func (r *rig) received() map[string]int {
	out := map[string]int{}
	for _, m := range r.smtp.Messages() {
		out[m.To[0]]++
	}
	return out
}

func (r *rig) status(id int64) store.OutboxMessage {
	r.t.Helper()
	m, err := store.MailByID(r.t.Context(), r.db, id)
	if err != nil {
		r.t.Fatal(err)
	}
	return m
}

// fillAfterSend is the real sender; after its first successful send the
// disk fills up, so that recording that send fails.
type fillAfterSend struct {
	outbox.Sender
	fill func()
	once sync.Once
}

func (f *fillAfterSend) Send(ctx context.Context, cfg mail.Config, m mail.Message) error {
	err := f.Sender.Send(ctx, cfg, m)
	if err == nil {
		f.once.Do(f.fill)
	}
	return err
}

// TestClaimFailsNothingSent: when the claim cannot be written, nothing is
// sent; once the disk has space, every message goes once.
func TestClaimFailsNothingSent(t *testing.T) {
	r := newRig(t)
	w := r.worker(mail.NewSender())
	ids := r.enqueue("a@example.com", "b@example.com", "c@example.com")
	r.disk.Fill(t)
	for range 3 {
		n, err := w.DeliverDue(t.Context())
		if !fault.Is(err, fault.Unavailable) || n != 0 {
			t.Fatalf("round on a full disk: sent %d, %v; want 0 and a storage failure", n, err)
		}
		r.clock.Advance(outbox.StoreMaxBackoff)
	}
	if got := r.smtp.Count(); got != 0 {
		t.Fatalf("%d messages sent while the claim could not be written", got)
	}

	r.disk.Free(t)
	if n, err := w.DeliverDue(t.Context()); err != nil || n != 3 {
		t.Fatalf("round after freeing the disk: sent %d, %v; want 3", n, err)
	}
	for addr, n := range r.received() {
		if n != 1 {
			t.Errorf("%s received %d messages, want 1", addr, n)
		}
	}
	for _, id := range ids {
		if m := r.status(id); m.Status != api.OutboxSent || m.Attempts != 1 {
			t.Errorf("message %d: %s after %d attempts, want sent after 1", id, m.Status, m.Attempts)
		}
	}
}

// TestRecordFailsNoResend: the disk fills up right after a message was
// sent, so its record fails. The worker stops the round, and however often
// it runs again — past the back-off and past the lease — it sends nothing
// while the outcome cannot be written. Once the disk has space, it records
// that message as sent and delivers the rest: every message exactly once.
func TestRecordFailsNoResend(t *testing.T) {
	r := newRig(t)
	w := r.worker(&fillAfterSend{Sender: mail.NewSender(), fill: func() { r.disk.Fill(t) }})
	ids := r.enqueue("a@example.com", "b@example.com", "c@example.com")
	n, err := w.DeliverDue(t.Context())
	if !fault.Is(err, fault.Unavailable) || n != 1 {
		t.Fatalf("round that fills the disk: sent %d, %v; want 1 and a storage failure", n, err)
	}
	for i := range 10 {
		r.clock.Advance(time.Minute) // past the back-off; at the end far past the lease
		if _, err := w.DeliverDue(t.Context()); !fault.Is(err, fault.Unavailable) {
			t.Fatalf("round %d on a full disk: %v, want a storage failure", i, err)
		}
	}
	if got := r.received(); len(got) != 1 || got["a@example.com"] != 1 {
		t.Fatalf("received %v while the disk was full, want only a@example.com once", got)
	}
	if m := r.status(ids[0]); m.Status != api.OutboxPending {
		t.Fatalf("message a is %s in the database, want still pending (its record failed)", m.Status)
	}

	r.disk.Free(t)
	if n, err := w.DeliverDue(t.Context()); err != nil || n != 2 {
		t.Fatalf("round after freeing the disk: sent %d, %v; want the other 2", n, err)
	}
	for _, addr := range []string{"a@example.com", "b@example.com", "c@example.com"} {
		if got := r.received()[addr]; got != 1 {
			t.Errorf("%s received %d messages, want exactly 1", addr, got)
		}
	}
	for _, id := range ids {
		if m := r.status(id); m.Status != api.OutboxSent || m.SentAt.IsZero() {
			t.Errorf("message %d: %+v, want sent", id, m)
		}
	}
	if n, err := w.DeliverDue(t.Context()); err != nil || n != 0 {
		t.Errorf("a further round sent %d, %v", n, err)
	}
}

// TestCrashAfterSendResendsOnlyThatMessage: the process dies after a send
// whose record failed (a new worker takes over, without the old one's
// memory). Within the lease nothing is sent again; after it, that one
// message goes a second time and the others once.
func TestCrashAfterSendResendsOnlyThatMessage(t *testing.T) {
	r := newRig(t)
	crashed := r.worker(&fillAfterSend{Sender: mail.NewSender(), fill: func() { r.disk.Fill(t) }})
	r.enqueue("a@example.com", "b@example.com", "c@example.com")
	if _, err := crashed.DeliverDue(t.Context()); !fault.Is(err, fault.Unavailable) {
		t.Fatalf("round that fills the disk: %v", err)
	}
	r.disk.Free(t)

	w := r.worker(mail.NewSender())
	if n, err := w.DeliverDue(t.Context()); err != nil || n != 0 {
		t.Fatalf("round within the lease: sent %d, %v; want nothing (all three are claimed)", n, err)
	}
	r.clock.Advance(20*5*time.Second + 15*time.Second) // the lease: a batch of sends at the timeout, plus the margin
	if n, err := w.DeliverDue(t.Context()); err != nil || n != 3 {
		t.Fatalf("round after the lease: sent %d, %v; want 3", n, err)
	}
	want := map[string]int{"a@example.com": 2, "b@example.com": 1, "c@example.com": 1}
	if got := r.received(); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("received %v, want %v (only the message in flight twice)", got, want)
	}
}

// TestProbeSendsBacklog: while the SMTP server is down, messages wait for
// their retry and the worker knows why; once a probe finds the server
// again, the whole backlog goes at once, long before the retry is due.
func TestProbeSendsBacklog(t *testing.T) {
	r := newRig(t)
	w := r.worker(mail.NewSender())
	r.smtp.Stop()
	ids := r.enqueue("a@example.com", "b@example.com", "c@example.com")
	if n, err := w.DeliverDue(t.Context()); err != nil || n != 0 {
		t.Fatalf("round with SMTP down: sent %d, %v", n, err)
	}
	if p, failing := w.Problem(); !failing || !strings.Contains(p.Reason, "connection refused") || !p.Since.Equal(r.clock.Now()) {
		t.Fatalf("problem with SMTP down: %+v %v", p, failing)
	}
	r.clock.Advance(outbox.ProbeInterval)
	if n, err := w.DeliverDue(t.Context()); err != nil || n != 0 {
		t.Fatalf("probe with SMTP still down: sent %d, %v", n, err)
	}
	if _, failing := w.Problem(); !failing {
		t.Fatal("no problem after a failed probe")
	}

	r.smtp.Restart()
	r.clock.Advance(outbox.ProbeInterval)
	if n, err := w.DeliverDue(t.Context()); err != nil || n != 3 {
		t.Fatalf("round after SMTP came back: sent %d, %v; want the backlog of 3", n, err)
	}
	if _, failing := w.Problem(); failing {
		t.Error("still a problem after the backlog went")
	}
	for _, id := range ids {
		if m := r.status(id); m.Status != api.OutboxSent || m.Attempts != 2 {
			t.Errorf("message %d: %s after %d attempts, want sent after 2", id, m.Status, m.Attempts)
		}
	}
}

// TestNoProbeForRefusedMessages: a server that answers but refuses the
// message (451) is not probed: the message keeps its back-off.
func TestNoProbeForRefusedMessages(t *testing.T) {
	r := newRig(t)
	w := r.worker(mail.NewSender())
	r.smtp.FailNext(1, 451)
	ids := r.enqueue("a@example.com")
	if n, err := w.DeliverDue(t.Context()); err != nil || n != 0 {
		t.Fatalf("round with a 451: sent %d, %v", n, err)
	}
	if _, failing := w.Problem(); !failing {
		t.Error("no problem after a 451")
	}
	for range 3 {
		r.clock.Advance(outbox.ProbeInterval)
		if n, err := w.DeliverDue(t.Context()); err != nil || n != 0 {
			t.Fatalf("round within the back-off: sent %d, %v; want nothing", n, err)
		}
	}
	r.clock.Advance(outbox.FirstRetry)
	if n, err := w.DeliverDue(t.Context()); err != nil || n != 1 {
		t.Fatalf("round at the retry: sent %d, %v", n, err)
	}
	if m := r.status(ids[0]); m.Attempts != 2 {
		t.Errorf("%d attempts, want 2", m.Attempts)
	}
}
