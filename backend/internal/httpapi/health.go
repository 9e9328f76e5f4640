package httpapi

import (
	"context"
	"net/http"
	"time"

	"gatepass.dev/shared/api"
)

// health answers GET /healthz: 200 {"status":"ok","store":"sqlite"} (or
// "postgres") while the database accepts writes, else 503 "degraded"
// (reads may still be served) — also while it cannot be reached. Writes
// are checked by store.WriteProbe: a real write, at most one a second.
func (s *Server) health(w http.ResponseWriter, r *http.Request) {
	h := api.Health{Status: "ok", Store: string(s.DB.Dialect()), ServerTime: s.now()}
	// A bound on waiting for the database, in real time like every I/O
	// timeout: a server that does not answer is down.
	ctx, cancel := context.WithTimeout(r.Context(), healthWait)
	defer cancel()
	err := s.DB.PingContext(ctx)
	if err == nil {
		err = s.probe.Check(r.Context())
	}
	if err != nil {
		h.Status = "degraded"
		writeJSON(w, http.StatusServiceUnavailable, h)
		return
	}
	writeJSON(w, http.StatusOK, h)
}

// healthWait bounds the health check's ping of the database.
const healthWait = 2 * time.Second
