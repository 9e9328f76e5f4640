package replicas_test

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"gatepass.dev/backend/backendtest"
	"gatepass.dev/backend/internal/store/pgtest"
	"gatepass.dev/shared/api"
)

// TestHealthzWhileTheDatabaseIsDown: /healthz names the store, answers
// 503 while the PostgreSQL server is down — what a load balancer takes a
// replica out of rotation for — and 200 again once it is back, without a
// restart.
func TestHealthzWhileTheDatabaseIsDown(t *testing.T) {
	c := pgtest.NewCluster(t)
	srv := backendtest.NewServer(t, backendtest.WithDatabase(c.NewDatabase(t)))
	health := func() (int, api.Health) {
		r, err := backendtest.Send(nil, http.MethodGet, srv.URL+"/healthz", "", "", "")
		if err != nil {
			t.Fatal(err)
		}
		var h api.Health
		if err := json.Unmarshal([]byte(r.Body), &h); err != nil {
			t.Fatalf("/healthz: %d %s: %v", r.Status, r.Body, err)
		}
		return r.Status, h
	}
	if st, h := health(); st != http.StatusOK || h.Status != "ok" || h.Store != "postgres" {
		t.Fatalf("/healthz while up: %d %+v", st, h)
	}
	if err := c.Stop(); err != nil {
		t.Fatal(err)
	}
	if st, h := health(); st != http.StatusServiceUnavailable || h.Status != "degraded" || h.Store != "postgres" {
		t.Fatalf("/healthz while the database is down: %d %+v", st, h)
	}
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	backendtest.WaitFor(t, "/healthz 200 once the database is back", func() bool {
		srv.Advance(time.Second) // the write probe's result is kept a second
		st, _ := health()
		return st == http.StatusOK
	})
}
