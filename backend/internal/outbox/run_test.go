package outbox_test

import (
	"context"
	"log/slog"
	"path/filepath"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/jonboulle/clockwork"

	"gatepass.dev/backend/backendtest"
	"gatepass.dev/backend/internal/mail"
	"gatepass.dev/backend/internal/mail/smtptest"
	"gatepass.dev/backend/internal/metrics"
	"gatepass.dev/backend/internal/outbox"
	"gatepass.dev/backend/internal/store"
	"gatepass.dev/shared/api"
)

// TestRunBacksOffOnFailingDatabase: Run on a full disk does not spin.
// After a failed round it waits 1 s, 2 s, 4 s … up to StoreMaxBackoff
// before the next (counted by the database's failed writes), and mail
// that wakes it meanwhile does not cut the wait short. Once the disk has
// space, the next round delivers. Time is synctest's: each wait is
// checked to the millisecond.
func TestRunBacksOffOnFailingDatabase(t *testing.T) {
	disk := backendtest.NewDisk(t, "16m")
	smtp := smtptest.Start(t)
	synctest.Test(t, func(t *testing.T) {
		db, err := store.Open(t.Context(), filepath.Join(disk.Dir, "gatepass.db"))
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		var failed atomic.Int64
		db.OnWriteFailure = func(string, error) { failed.Add(1) }
		cfg := func(context.Context) (mail.Config, error) {
			return mail.Config{Host: smtp.Host(), Port: smtp.Port(), From: "gatepass@example.com", TLS: api.SMTPTLSNone}, nil
		}
		w := outbox.NewWorker(db, clockwork.NewRealClock(), mail.NewSender(), cfg, metrics.New(nil), slog.New(slog.DiscardHandler))
		if _, err := store.EnqueueMail(t.Context(), db, store.OutboxMessage{Kind: "test", To: "a@example.com", Subject: "Hello", Text: "hi", CreatedAt: time.Now()}); err != nil {
			t.Fatal(err)
		}
		disk.Fill(t)
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan struct{})
		go func() { defer close(done); w.Run(ctx) }()

		synctest.Wait()
		if n := failed.Load(); n != 1 {
			t.Fatalf("%d failed writes after the first round, want 1", n)
		}
		want := int64(1)
		for _, backoff := range []time.Duration{1, 2, 4, 8, 16, 30, 30} {
			backoff *= time.Second
			for range 3 {
				w.Wake() // new mail: ignored while backing off
			}
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
		time.Sleep(outbox.StoreMaxBackoff)
		synctest.Wait()
		cancel()
		<-done
		if n := failed.Load(); n != want {
			t.Errorf("%d failed writes after the disk was freed, want still %d", n, want)
		}
		if smtp.Count() != 1 {
			t.Errorf("%d messages delivered after the disk was freed, want 1", smtp.Count())
		}
	})
}
