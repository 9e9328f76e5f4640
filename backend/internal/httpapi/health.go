package httpapi

import (
	"net/http"

	"gatepass.dev/shared/api"
)

func (s *Server) health(w http.ResponseWriter, r *http.Request) {
	if err := s.DB.PingContext(r.Context()); err != nil {
		writeJSON(w, http.StatusServiceUnavailable, api.Health{Status: "database unavailable", ServerTime: s.now()})
		return
	}
	writeJSON(w, http.StatusOK, api.Health{Status: "ok", ServerTime: s.now()})
}
