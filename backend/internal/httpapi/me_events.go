package httpapi

import (
	"encoding/json"
	"net/http"
	"reflect"
	"strconv"

	"gatepass.dev/backend/internal/access"
	"gatepass.dev/backend/internal/actor"
	"gatepass.dev/backend/internal/store"
	"gatepass.dev/shared/api"
	"gatepass.dev/shared/sse"
)

// myEvents is the SSE stream of the caller's networks: a full snapshot
// first, then an event for every network that changed (or disappeared), and
// a ping with the server time every Ping interval. The stream ends when the
// client goes away, or at once when its token stops being valid or its
// user's role changes.
func (s *Server) myEvents(w http.ResponseWriter, r *http.Request, p actor.Actor) {
	sub := s.Bus.SubscribeUser(p.ID)
	defer sub.Close()
	s.Metrics.SSEStreams.Inc()
	defer s.Metrics.SSEStreams.Dec()

	stream, err := sse.Start(w)
	if err != nil {
		return
	}
	seq := 0
	send := func(ev api.Event) error {
		seq++
		b, err := json.Marshal(ev)
		if err != nil {
			return err
		}
		return stream.Event(sse.Event{ID: strconv.Itoa(seq), Type: string(ev.Type), Data: string(b)})
	}

	if err := s.Access.SeenDevice(r.Context(), p.DeviceID); err != nil {
		s.Logger.Warn("api: record a device as seen", "device", p.DeviceID, "err", err)
	}
	now := s.now()
	nets, err := access.UserNetworks(r.Context(), s.DB, p.ID, p.Role, now)
	if err != nil {
		return
	}
	if send(api.Event{Type: api.EventSnapshot, Networks: nets, ServerTime: now}) != nil {
		return
	}
	last := index(nets)
	ping := s.Clock.NewTicker(s.Ping)
	defer ping.Stop()
	// valid re-reads the token: the stream ends as soon as it is revoked
	// (logout, a removed device), expired, or its user disabled or given
	// another role — every such change signals this user's subscribers.
	valid := func() (store.User, bool) {
		u, _, err := store.TokenUser(r.Context(), s.DB, store.TokenAPI, p.TokenHash, s.now())
		return u, err == nil && u.Role == p.Role
	}
	for {
		select {
		case <-r.Context().Done():
			return
		case <-ping.Chan():
			if _, ok := valid(); !ok {
				return
			}
			if send(api.Event{Type: api.EventPing, ServerTime: s.now()}) != nil {
				return
			}
		case <-sub.C:
			u, ok := valid()
			if !ok {
				return
			}
			now := s.now()
			nets, err := access.UserNetworks(r.Context(), s.DB, u.ID, u.Role, now)
			if err != nil {
				return
			}
			cur := index(nets)
			for _, n := range nets {
				if old, ok := last[n.ID]; ok && reflect.DeepEqual(old, n) {
					continue
				}
				if send(api.Event{Type: api.EventNetwork, Network: &n, ServerTime: now}) != nil {
					return
				}
			}
			for id := range last {
				if _, ok := cur[id]; !ok {
					if send(api.Event{Type: api.EventNetworkRemoved, NetworkID: id, ServerTime: now}) != nil {
						return
					}
				}
			}
			last = cur
		}
	}
}

func index(nets []api.MyNetwork) map[string]api.MyNetwork {
	m := make(map[string]api.MyNetwork, len(nets))
	for _, n := range nets {
		m[n.ID] = n
	}
	return m
}
