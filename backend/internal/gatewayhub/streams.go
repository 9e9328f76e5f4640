package gatewayhub

import (
	"context"
	"sync"
	"time"

	"gatepass.dev/backend/internal/fault"
	"gatepass.dev/backend/internal/gateway"
	"gatepass.dev/backend/internal/store"
	"gatepass.dev/shared/api"
)

// Stream is a remote gateway's subscription to its network's State: C
// receives a signal when there is a newer State to send or the stream must
// end (Next says which). Signals coalesce: a slow stream skips
// intermediate States, never the latest.
type Stream struct {
	C <-chan struct{}
	c chan struct{}

	h         *Hub
	networkID string
	gatewayID string

	mu    sync.Mutex
	state *api.GatewayState
	ended bool
	msg   string
}

func (s *Stream) push(st api.GatewayState) {
	s.mu.Lock()
	s.state = &st
	s.mu.Unlock()
	s.signal()
}

// end ends the stream; msg ("" when the server stops) is the reason the
// gateway is told.
func (s *Stream) end(msg string) {
	s.mu.Lock()
	s.ended, s.msg = true, msg
	s.mu.Unlock()
	s.signal()
}

func (s *Stream) signal() {
	select {
	case s.c <- struct{}{}:
	default:
	}
}

// Next returns the State to send (nil: none new), or ended with the
// reason.
func (s *Stream) Next() (st *api.GatewayState, ended bool, msg string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st, s.state = s.state, nil
	return st, s.ended, s.msg
}

// Close ends the subscription.
func (s *Stream) Close() {
	s.h.mu.Lock()
	defer s.h.mu.Unlock()
	if nh := s.h.nets[s.networkID]; nh != nil {
		delete(nh.subs, s)
	}
}

// Subscribe opens g's stream; the current State is ready on it at once.
// g must be the active gateway of its network (an enrolled remote gateway
// that is not revoked).
func (h *Hub) Subscribe(ctx context.Context, g store.Gateway) (*Stream, error) {
	for attempt := 0; ; attempt++ {
		h.mu.Lock()
		if h.closed {
			h.mu.Unlock()
			return nil, fault.New(fault.Unavailable, "the server is shutting down")
		}
		nh := h.nets[g.NetworkID]
		if nh != nil && nh.gw.ID == g.ID && nh.state.Revision != 0 {
			c := make(chan struct{}, 1)
			s := &Stream{C: c, c: c, h: h, networkID: g.NetworkID, gatewayID: g.ID}
			nh.subs[s] = struct{}{}
			st := nh.state
			s.state = &st
			s.signal()
			h.mu.Unlock()
			return s, nil
		}
		h.mu.Unlock()
		if attempt > 0 {
			return nil, fault.New(fault.Unavailable, "the gateway's network is not ready yet: try again")
		}
		// Enrolled a moment ago (or on another replica): read it now.
		if err := h.SyncNetwork(ctx, g.NetworkID); err != nil {
			return nil, err
		}
	}
}

// Touch records a gateway's contact (its stream opened).
func (h *Hub) Touch(ctx context.Context, g store.Gateway) error {
	return store.TouchGateway(ctx, h.opt.DB, g.ID, h.opt.Clock.Now())
}

// PingEvery is the interval of a stream's pings for a lease: a quarter of
// it.
func PingEvery(lease time.Duration) time.Duration { return lease / 4 }

// StreamLease is the lease of one stream: the server's, or the shorter one
// the gateway asked for (at least gateway.MinLease).
func (h *Hub) StreamLease(asked time.Duration) time.Duration {
	l := h.opt.Lease
	if asked > 0 && asked < l {
		l = max(asked, gateway.MinLease)
	}
	return l
}
