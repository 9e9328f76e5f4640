package web

import (
	"fmt"
	"net/http"
	"time"

	"gatepass.dev/backend/internal/store"
)

// events is the admin pages' live-update stream (SSE): a "change" event
// whenever anything changed (a request, an expiry, a network, a user), on
// which the page fetches the fragment it shows again; a "ping" every Ping.
// The events carry no data but the server time. The stream ends when the
// session does.
func (s *Server) events(w http.ResponseWriter, r *http.Request, v *visit) {
	rc := http.NewResponseController(w)
	sub := s.Bus.SubscribeAll()
	defer sub.Close()
	if s.Metrics != nil {
		s.Metrics.SSEStreams.Inc()
		defer s.Metrics.SSEStreams.Dec()
	}
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	_ = rc.SetWriteDeadline(time.Time{})

	seq := 0
	send := func(event string) error {
		seq++
		if _, err := fmt.Fprintf(w, "id: %d\nevent: %s\ndata: {\"server_time\":%q}\n\n", seq, event, s.now().Format(time.RFC3339Nano)); err != nil {
			return err
		}
		return rc.Flush()
	}
	valid := func() bool {
		_, u, err := store.SessionUser(r.Context(), s.DB, v.Session.Hash, s.now())
		return err == nil && u.ID == v.Actor.ID && v.isAdmin() && u.Role == v.Actor.Role
	}
	if send("hello") != nil {
		return
	}
	ping := s.Clock.NewTicker(s.Ping)
	defer ping.Stop()
	for {
		select {
		case <-r.Context().Done():
			return
		case <-ping.Chan():
			if !valid() || send("ping") != nil {
				return
			}
		case <-sub.C:
			if !valid() || send("change") != nil {
				return
			}
		}
	}
}
