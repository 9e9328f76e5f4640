package replicas_test

import (
	"context"
	"database/sql"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"gatepass.dev/backend/backendtest"
	"gatepass.dev/backend/internal/store"
	"gatepass.dev/shared/api"
)

// BenchmarkApprovals measures approvals per second and their p99 latency
// over HTTP, four callers at once: on SQLite (one process), on PostgreSQL
// with one replica, and with two replicas on one database (the callers
// alternate between them). Each approval commits its compare-and-set,
// audit row and outbox row in one transaction and wakes the gateways, the
// scheduler, the streams and the mail worker (no SMTP server: the worker
// marks the emails undeliverable, a write of its own); with PostgreSQL it
// is also NOTIFYed to the other replicas. The b.N pending requests (one
// per user, on one network — or on eight, in turn: approvals of
// different networks conflict less) are stored before the timer starts.
// tx_retries/op counts the transactions PostgreSQL aborted for a
// serialization failure and the store ran again (all of them, timed or
// not, per approval).
func BenchmarkApprovals(b *testing.B) {
	b.Run("sqlite", func(b *testing.B) {
		if backendtest.Postgres() {
			b.Skip("GATEPASS_TEST_STORE=postgres")
		}
		bnApprovals(b, []*backendtest.Server{backendtest.NewServer(b, backendtest.WithoutSMTP())}, 1)
	})
	b.Run("postgres-1", func(b *testing.B) { bnApprovals(b, backendtest.NewReplicas(b, 1, backendtest.WithoutSMTP()), 1) })
	b.Run("postgres-2", func(b *testing.B) { bnApprovals(b, backendtest.NewReplicas(b, 2, backendtest.WithoutSMTP()), 1) })
	b.Run("postgres-2-8networks", func(b *testing.B) { bnApprovals(b, backendtest.NewReplicas(b, 2, backendtest.WithoutSMTP()), 8) })
}

// bnApprovals approves b.N requests spread over networks networks through
// the replicas rs in turn.
func bnApprovals(b *testing.B, rs []*backendtest.Server, networks int) {
	const callers = 4
	srv := rs[0]
	token := srv.Admin(b).Token()
	var ids []string
	for i := range networks {
		net := srv.NewNetwork(b, fmt.Sprintf("bench-approvals-%d", i))
		ids = append(ids, storePending(b, srv, net.ID, fmt.Sprintf("n%d", i), (b.N+networks-1)/networks)...)
	}
	// Mix the networks (ids end in random letters).
	slices.SortFunc(ids, func(x, y string) int { return strings.Compare(x[len(x)-6:], y[len(y)-6:]) })
	ids = ids[:b.N]
	hc := &http.Client{Transport: &http.Transport{MaxIdleConns: 64, MaxIdleConnsPerHost: 64, IdleConnTimeout: time.Minute}}
	took := make([]time.Duration, b.N)
	b.ResetTimer()
	var next atomic.Int64
	var wg sync.WaitGroup
	for range callers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := next.Add(1) - 1; i < int64(b.N); i = next.Add(1) - 1 {
				to := rs[int(i)%len(rs)]
				start := time.Now()
				r, err := backendtest.Send(hc, http.MethodPost, to.URL+"/api/v1/admin/requests/"+ids[i]+"/approve", token, "application/json", `{"duration_seconds":3600}`)
				took[i] = time.Since(start)
				if err == nil && r.Status != http.StatusOK {
					err = fmt.Errorf("approve: %d %s", r.Status, r.Body)
				}
				if err != nil {
					b.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "approvals/s")
	b.ReportMetric(float64(percentile(took, 0.99).Microseconds())/1000, "p99_ms")
	var retries int64
	for _, r := range rs {
		retries += r.DB.TxRetries()
	}
	b.ReportMetric(float64(retries)/float64(b.N), "tx_retries/op")
}

// BenchmarkCrossReplicaEvent measures the delay from a change asked of
// replica A (POST /api/v1/me/requests, then its cancel) to the event on
// the user's stream on replica B: the call and its commit, a NOTIFY, the
// LISTEN of B, its bus and the stream's recomputation. It reports the p50
// and p95 delays.
func BenchmarkCrossReplicaEvent(b *testing.B) {
	rs := backendtest.NewReplicas(b, 2, backendtest.WithoutSMTP())
	a, bb := rs[0], rs[1]
	net := a.NewNetwork(b, "bench-events")
	onA, _ := user(b, a, a.URL, "alice@example.com")
	onB := login(b, bb.URL, "alice@example.com", backendtest.UserPassword)
	w := newWatch(b, onB)
	w.until(b, "the snapshot", networkState(net.ID, api.StateRequest))
	var delays []time.Duration
	b.ResetTimer()
	for range b.N {
		a.Advance(3 * time.Minute) // under the limit of requests a user may make (6 in 15 minutes)
		start := time.Now()
		req, err := onA.Request(b.Context(), net.ID, "bench", 0)
		if err != nil {
			b.Fatal(err)
		}
		w.until(b, "pending on B", networkState(net.ID, api.StatePending))
		delays = append(delays, time.Since(start))
		start = time.Now()
		if _, err := onA.Cancel(b.Context(), req.ID); err != nil {
			b.Fatal(err)
		}
		w.until(b, "cancelled on B", networkState(net.ID, api.StateRequest))
		delays = append(delays, time.Since(start))
	}
	b.StopTimer()
	b.ReportMetric(float64(percentile(delays, 0.50).Microseconds())/1000, "p50_ms")
	b.ReportMetric(float64(percentile(delays, 0.95).Microseconds())/1000, "p95_ms")
}

// storePending stores n users, each with a pending request on the
// network, in one transaction, and returns the requests' ids.
func storePending(b *testing.B, srv *backendtest.Server, networkID, prefix string, n int) []string {
	b.Helper()
	ctx := context.Background()
	now := srv.Now()
	ids := make([]string, n)
	err := srv.DB.Tx(ctx, func(tx *sql.Tx) error {
		for i := range n {
			u := store.User{ID: store.NewID("usr"), Email: fmt.Sprintf("bench-%s-%d@example.com", prefix, i), Name: "bench", Role: api.RoleUser, CreatedAt: now, UpdatedAt: now}
			if err := store.CreateUser(ctx, tx, u); err != nil {
				return err
			}
			ids[i] = store.NewID("req")
			if err := store.InsertRequest(ctx, tx, store.Request{ID: ids[i], NetworkID: networkID, UserID: u.ID, Status: api.StatusPending,
				Reason: "benchmark", RequestedAt: now}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	return ids
}

func percentile(d []time.Duration, p float64) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := slices.Clone(d)
	slices.Sort(s)
	return s[min(len(s)-1, int(float64(len(s))*p))]
}
