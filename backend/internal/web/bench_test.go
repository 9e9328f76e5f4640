package web_test

import (
	"context"
	"database/sql"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"gatepass.dev/backend/backendtest"
	"gatepass.dev/backend/internal/store"
	"gatepass.dev/shared/api"
)

// benchRequests is the size of the request table of BenchmarkRequestsPage.
const benchRequests = 10000

// seedRequests inserts n requests in one transaction through the store:
// 1,000 users on 5 networks, every user-network pair with one closed
// request (denied, expired, revoked or cancelled) and one more that is
// pending, approved or closed. It returns the number of pending requests.
func seedRequests(tb testing.TB, srv *backendtest.Server, n int) int {
	tb.Helper()
	ctx := context.Background()
	now := srv.Now()
	admin, err := store.UserByEmail(ctx, srv.DB, backendtest.AdminEmail)
	if err != nil {
		tb.Fatal(err)
	}
	nets, err := store.ListNetworkSummaries(ctx, srv.DB)
	if err != nil {
		tb.Fatal(err)
	}
	for i := len(nets); i < 5; i++ {
		net := srv.NewNetwork(tb, fmt.Sprintf("bench-%d", i))
		nets = append(nets, store.Network{ID: net.ID})
	}
	nets = nets[:5]
	const users = 1000
	words := []string{"deploy", "debug", "migrate", "audit", "patch", "restore", "rotate keys on", "load-test", "inspect", "upgrade"}
	targets := []string{"the billing service", "the staging database", "the bastion", "the VPN gateway", "the CI runners", "the data warehouse"}
	pending := 0
	err = srv.DB.Tx(ctx, func(tx *sql.Tx) error {
		ids := make([]string, users)
		for i := range ids {
			ids[i] = store.NewID("usr")
			u := store.User{ID: ids[i], Email: fmt.Sprintf("user%04d@example.com", i), Name: fmt.Sprintf("User %04d", i), Role: api.RoleUser, CreatedAt: now, UpdatedAt: now}
			if err := store.CreateUser(ctx, tx, u); err != nil {
				return err
			}
		}
		closed := []api.RequestStatus{api.StatusDenied, api.StatusExpired, api.StatusRevoked, api.StatusCancelled}
		for i := range n {
			user, net := ids[(i/2)%users], nets[(i/2/users)%len(nets)]
			at := now.Add(-time.Duration(n-i) * time.Minute)
			r := store.Request{ID: store.NewID("req"), NetworkID: net.ID, UserID: user, RequestedAt: at,
				Reason: fmt.Sprintf("%s %s — ticket OPS-%d", words[i%len(words)], targets[i%len(targets)], 1000+i)}
			switch {
			case i%2 == 0: // the pair's history
				r.Status = closed[i%len(closed)]
			case i%6 == 1:
				r.Status = api.StatusPending
				pending++
			case i%6 == 3:
				r.Status = api.StatusApproved
			default:
				r.Status = closed[(i/2)%len(closed)]
			}
			wanted := r.Status
			r.Status = api.StatusPending
			if err := store.InsertRequest(ctx, tx, r); err != nil {
				return err
			}
			if wanted == api.StatusPending {
				continue
			}
			r.Status = wanted
			r.DecidedAt, r.DecidedBy = at.Add(time.Minute), admin.ID
			if wanted == api.StatusApproved {
				r.Granted, r.ExpiresAt = 8*time.Hour, now.Add(8*time.Hour)
			} else if wanted != api.StatusDenied {
				r.EndedAt = at.Add(time.Hour)
			}
			if err := store.UpdateRequestCAS(ctx, tx, r, api.StatusPending); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
	return pending
}

// BenchmarkRequestsPage measures the server time of the requests page with
// 10,000 requests in the database: the first page of a tab, and a search.
// It reports the 50th and 95th percentile of the time to render (target:
// p95 under 50 ms).
func BenchmarkRequestsPage(b *testing.B) {
	srv := backendtest.NewServer(b)
	pending := seedRequests(b, srv, benchRequests)
	c := newWebClient(b, srv)
	c.signIn(backendtest.AdminEmail, backendtest.AdminPassword)
	cookie := c.cookie("gatepass_session")
	for _, bc := range []struct{ name, path, want string }{
		{"pending-first-page", "/admin/requests", `data-count="pending">` + strconv.Itoa(pending) + `<`},
		{"approved-first-page", "/admin/requests?status=approved", `data-status="approved"`},
		{"ended-first-page", "/admin/requests?status=ended", `data-status="`},
		{"search-reason", "/admin/requests?status=ended&q=ops-4242", "OPS-4242"},
		{"search-common", "/admin/requests?status=pending&q=staging+database", "the staging database"},
		{"search-user", "/admin/requests?status=approved&q=user0042%40", "user0042@example.com"},
		{"live-fragment", "/admin/requests?status=pending&partial=1", `id="requests-live"`},
	} {
		get := func(b *testing.B) time.Duration {
			req := httptest.NewRequest(http.MethodGet, bc.path, nil)
			req.AddCookie(cookie)
			rec := httptest.NewRecorder()
			start := time.Now()
			srv.Handler.ServeHTTP(rec, req)
			d := time.Since(start)
			if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), bc.want) {
				b.Fatalf("%s: %d, lacks %q", bc.path, rec.Code, bc.want)
			}
			return d
		}
		b.Run(bc.name, func(b *testing.B) {
			for range 3 { // warm the connections and SQLite's page cache
				get(b)
			}
			times := make([]time.Duration, 0, b.N)
			for b.Loop() {
				times = append(times, get(b))
			}
			slices.Sort(times)
			pct := func(p float64) float64 {
				return float64(times[min(len(times)-1, int(p*float64(len(times))))].Microseconds()) / 1000
			}
			b.ReportMetric(pct(0.50), "p50-ms")
			b.ReportMetric(pct(0.95), "p95-ms")
		})
	}
}
