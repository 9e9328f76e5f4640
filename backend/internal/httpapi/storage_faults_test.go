package httpapi_test

// A full disk under a real server: its database on a small tmpfs that the
// test fills up and frees (backendtest.Disk, root only), the real SMTP
// catcher, HTTP on loopback.

import (
	"encoding/json"
	"net/http"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"gatepass.dev/backend/backendtest"
	"gatepass.dev/backend/internal/config"
	"gatepass.dev/backend/internal/outbox"
	"gatepass.dev/backend/internal/store"
	"gatepass.dev/shared/api"
)

// sfFill fills the disk of srv's database. The WAL is checkpointed and
// truncated first: a commit that fits in the WAL's space already allocated
// succeeds on a full disk, and this test wants every commit to need space.
func sfFill(t *testing.T, srv *backendtest.Server, disk *backendtest.Disk) {
	t.Helper()
	if _, err := srv.DB.ExecContext(t.Context(), `PRAGMA wal_checkpoint(TRUNCATE)`); err != nil {
		t.Fatal(err)
	}
	disk.Fill(t)
}

// sfHealth reads /healthz.
func sfHealth(t *testing.T, srv *backendtest.Server) (int, api.Health) {
	t.Helper()
	r := backendtest.Do(t, "GET", srv.URL+"/healthz", "", "", "")
	var h api.Health
	if err := json.Unmarshal(r.Body, &h); err != nil {
		t.Fatalf("healthz body %q: %v", r.Body, err)
	}
	return r.Status, h
}

// TestStorageFullAnswers503: while the disk is full, every write answers
// 503 with Retry-After and a message that says the server cannot save, and
// nothing of it is stored; reads are served; /healthz says degraded and the
// metric counts the failed writes. With space again, all is back.
func TestStorageFullAnswers503(t *testing.T) {
	backendtest.SkipOnPostgres(t, "a full disk under the SQLite file (PostgreSQL's outage: TestPostgresUnreachable)")
	disk := backendtest.NewDisk(t, "32m")
	srv := backendtest.NewServer(t, backendtest.WithDataDir(disk.Dir), backendtest.WithConfig(func(c *config.Config) { c.MetricsToken = metricsToken }))
	admin := srv.Admin(t)
	alice, _ := srv.NewUser(t, "alice@example.com", api.RoleUser)
	net := srv.NewNetwork(t, "disk-net")
	pending, err := alice.Request(t.Context(), srv.NewNetwork(t, "other-net").ID, "before the disk filled up", 0)
	if err != nil {
		t.Fatal(err)
	}
	if st, h := sfHealth(t, srv); st != 200 || h.Status != "ok" || h.Store != "sqlite" {
		t.Fatalf("healthz before: %d %+v", st, h)
	}

	sfFill(t, srv, disk)
	for _, c := range []struct {
		method     string
		path, body string
		admin      bool
	}{
		{"POST", "/api/v1/networks/" + net.ID + "/requests", `{"reason":"while the disk is full"}`, false},
		{"POST", "/api/v1/admin/requests/" + pending.ID + "/approve", `{"duration_seconds":3600}`, true},
		{"POST", "/api/v1/admin/settings/test-email", `{"to":"ops@example.com"}`, true},
		{"POST", "/api/v1/admin/users", `{"email":"bob@example.com","name":"Bob","role":"user","password":"` + backendtest.UserPassword + `"}`, true},
	} {
		caller := alice
		if c.admin {
			caller = admin
		}
		r := backendtest.Do(t, c.method, srv.URL+c.path, caller.Token(), "application/json", c.body)
		var body api.ErrorBody
		_ = json.Unmarshal(r.Body, &body)
		if r.Status != http.StatusServiceUnavailable || r.Header.Get("Retry-After") != "10" ||
			body.Error.Code != api.CodeUnavailable || body.Error.Message != store.StorageMessage {
			t.Errorf("%s %s on a full disk: %d Retry-After %q %s; want 503, Retry-After 10, %q",
				c.method, c.path, r.Status, r.Header.Get("Retry-After"), r.Body, store.StorageMessage)
		}
	}

	// Reads go on.
	if _, err := alice.MyNetworks(t.Context()); err != nil {
		t.Errorf("GET /api/v1/me/networks on a full disk: %v", err)
	}
	if r, err := admin.AdminRequest(t.Context(), pending.ID); err != nil || r.Status != api.StatusPending {
		t.Errorf("the request whose approval failed: %+v %v, want still pending", r, err)
	}
	if rows := backendtest.Audit(t, admin, url.Values{"action": {"request.create"}}); len(rows) != 1 {
		t.Errorf("%d request.create audit rows, want only the one from before", len(rows))
	}
	srv.Advance(time.Second) // past the probe's cache
	if st, h := sfHealth(t, srv); st != http.StatusServiceUnavailable || h.Status != "degraded" || h.Store != "sqlite" {
		t.Errorf("healthz on a full disk: %d %+v, want 503 degraded", st, h)
	}
	text := string(scrapeMetrics(t, srv).Body)
	if n := metricValue(t, text, `gatepass_store_write_failures_total{reason="full"}`); n < 4 {
		t.Errorf("gatepass_store_write_failures_total{reason=\"full\"} = %v, want at least 4", n)
	}

	disk.Free(t)
	srv.Advance(time.Second)
	if st, h := sfHealth(t, srv); st != 200 || h.Status != "ok" {
		t.Errorf("healthz after freeing the disk: %d %+v", st, h)
	}
	if _, err := alice.Request(t.Context(), net.ID, "after the disk was freed", 0); err != nil {
		t.Errorf("request after freeing the disk: %v", err)
	}
}

// TestStorageFullMailAtMostOnce: mail goes out while the disk fills up
// under load. A backlog of admin emails (SMTP was down) is being sent when
// the disk fills; requests keep coming (each answered 201 or 503) and the
// worker keeps trying for a while; then the disk is freed. Every email
// arrives at most once throughout, and in the end every request that was
// stored has had its email delivered exactly once, and no other.
func TestStorageFullMailAtMostOnce(t *testing.T) {
	backendtest.SkipOnPostgres(t, "a full disk under the SQLite file")
	disk := backendtest.NewDisk(t, "32m")
	srv := backendtest.NewServer(t, backendtest.WithDataDir(disk.Dir))
	srv.Admin(t)
	net := srv.NewNetwork(t, "load-net")
	const backlog, during, after = 60, 40, 10
	users := storeUsers(t, srv, "load", backlog+during+after)
	tokens := storeTokens(t, srv, users)
	hc := keepAliveClient(8)
	status := make([]int, len(users))
	request := func(i int) {
		r, err := backendtest.Send(hc, "POST", srv.URL+"/api/v1/networks/"+net.ID+"/requests", tokens[i], "application/json", `{"reason":"load"}`)
		if err != nil {
			t.Errorf("request of user %d: %v", i, err)
		}
		status[i] = r.Status
	}

	// A backlog waits for SMTP, then goes out at once; the disk fills up
	// as the first of it arrives.
	srv.SMTP.Stop()
	for i := range backlog {
		request(i)
	}
	srv.SMTP.Restart()
	// The worker may still be in its last failed round when the clock
	// moves, and then wait a probe interval from there: move it until mail
	// flows.
	backendtest.WaitFor(t, "the backlog to start going out", func() bool {
		srv.Advance(outbox.ProbeInterval)
		return srv.SMTP.Count() > 0
	})
	sfFill(t, srv, disk)

	// Load while the disk is full; the worker retries past its back-off.
	var next atomic.Int64
	next.Store(backlog)
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := int(next.Add(1) - 1); i < backlog+during; i = int(next.Add(1) - 1) {
				request(i)
			}
		}()
	}
	for range 5 {
		srv.Advance(outbox.StoreMaxBackoff)
	}
	wg.Wait()
	sentWhileFull := srv.SMTP.Count()

	disk.Free(t)
	for i := backlog + during; i < len(users); i++ {
		request(i)
	}
	stored := map[string]bool{}
	for i, st := range status {
		switch {
		case st == http.StatusCreated:
			stored[users[i].Email] = true
		case st == http.StatusServiceUnavailable && i >= backlog && i < backlog+during:
		default:
			t.Errorf("request of user %d answered %d", i, st)
		}
	}
	if len(stored) == backlog+during+after {
		t.Fatal("no request failed while the disk was full: the test did not fill the disk")
	}
	backendtest.WaitFor(t, "every stored request's email", func() bool {
		srv.Advance(outbox.StoreMaxBackoff) // past any back-off of the worker
		return srv.SMTP.Count() >= len(stored)
	})
	backendtest.WaitOutboxDrained(t, srv.Admin(t))

	got := map[string]int{}
	for _, m := range srv.SMTP.Messages() {
		got[m.To[0]+" "+m.Subject]++
	}
	for key, n := range got {
		if n != 1 {
			t.Errorf("%q arrived %d times", key, n)
		}
	}
	for _, u := range users {
		key := backendtest.AdminEmail + " Access request: " + u.Email + " → load-net"
		if want := map[bool]int{true: 1}[stored[u.Email]]; got[key] != want {
			t.Errorf("%s: %d emails, want %d", u.Email, got[key], want)
		}
	}
	t.Logf("%d requests stored, %d refused while the disk was full; %d emails had arrived by the time the disk was freed, %d in all",
		len(stored), len(users)-len(stored), sentWhileFull, srv.SMTP.Count())
	if len(got) != len(stored) {
		t.Errorf("%d distinct emails, want %d", len(got), len(stored))
	}
}
