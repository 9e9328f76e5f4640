package httpapi

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"

	"gatepass.dev/backend/internal/fault"
	"gatepass.dev/backend/internal/gatewayhub"
	"gatepass.dev/backend/internal/store"
	"gatepass.dev/shared/api"
	"gatepass.dev/shared/sse"
)

// The protocol of gatepass-gateway (see package gatewayhub): enroll once
// with a token, then watch and report with the credential as a bearer
// token.

// gatewayCredential returns the bearer token of r.
func gatewayCredential(r *http.Request) string {
	scheme, token, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return ""
	}
	return strings.TrimSpace(token)
}

// gateway wraps a handler that needs a gateway's credential.
func (s *Server) gateway(h func(w http.ResponseWriter, r *http.Request, g store.Gateway, credential string)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		cred := gatewayCredential(r)
		g, err := s.Gateway.Authenticate(r.Context(), cred)
		if err != nil {
			w.Header().Set("WWW-Authenticate", `Bearer realm="gatepass-gateway"`)
			s.writeError(w, r, err)
			return
		}
		h(w, r, g, cred)
	}
}

// gatewayEnroll turns an enroll token into a gateway's credential: 201.
func (s *Server) gatewayEnroll(w http.ResponseWriter, r *http.Request) {
	var in api.GatewayEnrollRequest
	if err := decode(w, r, &in, false); err != nil {
		s.writeError(w, r, err)
		return
	}
	out, err := s.Gateway.Enroll(r.Context(), sourceAddr(r), in)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, out)
}

// gatewayReport keeps a gateway's status report.
func (s *Server) gatewayReport(w http.ResponseWriter, r *http.Request, g store.Gateway, _ string) {
	var in api.GatewayReport
	if err := decode(w, r, &in, false); err != nil {
		s.writeError(w, r, err)
		return
	}
	if err := s.Gateway.Report(r.Context(), g, in); err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, api.GatewayReportResponse{ServerTime: s.now()})
}

// gatewayWatch is a gateway's SSE stream: the full state first and after
// every change, a ping with the server time every quarter of the lease,
// and "revoked" (then the end) when the gateway is revoked — at once on
// this replica, at the next ping on another (each ping re-checks the
// credential). ?lease_seconds=N asks for a lease shorter than the
// server's.
func (s *Server) gatewayWatch(w http.ResponseWriter, r *http.Request, g store.Gateway, cred string) {
	var asked time.Duration
	if v := r.URL.Query().Get("lease_seconds"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			s.writeError(w, r, fault.Field("lease_seconds", "must be a positive number of seconds"))
			return
		}
		asked = time.Duration(n) * time.Second
	}
	lease := s.Gateway.StreamLease(asked)
	sub, err := s.Gateway.Subscribe(r.Context(), g)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	defer sub.Close()
	if err := s.Gateway.Touch(r.Context(), g); err != nil {
		s.Logger.Warn("api: record a gateway's contact", "gateway", g.ID, "err", err)
	}
	s.Metrics.SSEStreams.Inc()
	defer s.Metrics.SSEStreams.Dec()

	stream, err := sse.Start(w)
	if err != nil {
		return
	}
	seq := 0
	send := func(ev api.GatewayEvent) error {
		seq++
		b, err := json.Marshal(ev)
		if err != nil {
			return err
		}
		return stream.Event(sse.Event{ID: strconv.Itoa(seq), Type: string(ev.Type), Data: string(b)})
	}
	revoked := func(msg string) {
		_ = send(api.GatewayEvent{Type: api.GatewayEventRevoked, Message: msg, ServerTime: s.now()})
	}
	ping := s.Clock.NewTicker(gatewayhub.PingEvery(lease))
	defer ping.Stop()
	for {
		select {
		case <-r.Context().Done():
			return
		case <-ping.Chan():
			if _, err := s.Gateway.Authenticate(r.Context(), cred); fault.Is(err, fault.Unauthenticated) {
				revoked("the gateway was revoked by an admin")
				return
			}
			if send(api.GatewayEvent{Type: api.GatewayEventPing, ServerTime: s.now()}) != nil {
				return
			}
		case <-sub.C:
			st, ended, msg := sub.Next()
			if ended {
				if msg != "" {
					revoked(msg)
				}
				return
			}
			if st == nil {
				continue
			}
			st.LeaseSeconds = int(lease / time.Second)
			st.ServerTime = s.now()
			if send(api.GatewayEvent{Type: api.GatewayEventState, State: st, ServerTime: st.ServerTime}) != nil {
				return
			}
		}
	}
}
