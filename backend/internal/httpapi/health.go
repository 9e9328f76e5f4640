package httpapi

import (
	"net/http"

	"gatepass.dev/shared/api"
)

// health answers GET /healthz: 200 {"status":"ok","store":"sqlite"} while
// the database accepts writes, else 503 "degraded" (reads may still be
// served). Writes are checked by store.WriteProbe: a real write, at most
// one a second.
func (s *Server) health(w http.ResponseWriter, r *http.Request) {
	h := api.Health{Status: "ok", Store: "sqlite", ServerTime: s.now()}
	err := s.DB.PingContext(r.Context())
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
