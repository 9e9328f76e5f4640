package web

import (
	"fmt"
	"net/http"
	"strconv"
	"time"

	"gatepass.dev/backend/internal/store"
	"gatepass.dev/shared/sse"
)

// events is the admin pages' live-update stream (SSE): a "change" event
// whenever anything changed (a request, an expiry, a network, a user), on
// which the page fetches the fragment it shows again; a "ping" every Ping.
// The events carry no data but the server time. The stream ends when the
// session does.
func (s *Server) events(w http.ResponseWriter, r *http.Request, v *visit) {
	sub := s.Bus.SubscribeAll()
	defer sub.Close()
	if s.Metrics != nil {
		s.Metrics.SSEStreams.Inc()
		defer s.Metrics.SSEStreams.Dec()
	}
	stream, err := sse.Start(w)
	if err != nil {
		return
	}
	seq := 0
	send := func(event string) error {
		seq++
		data := fmt.Sprintf(`{"server_time":%q}`, s.now().Format(time.RFC3339Nano))
		return stream.Event(sse.Event{ID: strconv.Itoa(seq), Type: event, Data: data})
	}
	// The stream ends with the session, and when its visitor is no longer
	// an admin or an approver.
	valid := func() bool {
		_, u, err := store.SessionUser(r.Context(), s.DB, v.Session.Hash, s.now())
		if err != nil || u.ID != v.Actor.ID || u.Role != v.Actor.Role {
			return false
		}
		return s.loadApprovals(r.Context(), v) == nil && v.isReviewer()
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
