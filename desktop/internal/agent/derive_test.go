package agent

import (
	"testing"
	"time"

	"gatepass.dev/shared/api"
)

func TestDerive(t *testing.T) {
	now := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	later, earlier := now.Add(8*time.Hour), now.Add(-time.Second)
	at := func(t time.Time) *time.Time { return &t }
	req := func(s api.RequestStatus, exp *time.Time) *api.Request {
		return &api.Request{ID: "req_1", Status: s, ExpiresAt: exp}
	}
	sched := func(start, end time.Time) *api.Request {
		return &api.Request{ID: "req_2", Status: api.StatusApproved, StartsAt: &start, ExpiresAt: &end}
	}
	tests := []struct {
		name   string
		req    *api.Request
		jit    bool
		server api.NetworkState
		exp    *time.Time
		want   api.NetworkState
	}{
		{"no request", nil, true, api.StateRequest, nil, api.StateRequest},
		{"pending", req(api.StatusPending, nil), true, api.StatePending, nil, api.StatePending},
		{"active before expiry", req(api.StatusApproved, at(later)), true, api.StateActive, at(later), api.StateActive},
		{"active one ns before expiry", req(api.StatusApproved, at(now.Add(1))), true, api.StateActive, at(now.Add(1)), api.StateActive},
		{"active exactly at expiry fails closed", req(api.StatusApproved, at(now)), true, api.StateActive, at(now), api.StateRequest},
		{"stale active after expiry fails closed", req(api.StatusApproved, at(earlier)), true, api.StateActive, at(earlier), api.StateRequest},
		{"active without expires_at fails closed", req(api.StatusApproved, nil), true, api.StateActive, nil, api.StateRequest},
		{"active, expiry only on the request", req(api.StatusApproved, at(later)), true, api.StateActive, nil, api.StateActive},
		{"server active but request revoked", req(api.StatusRevoked, at(later)), true, api.StateActive, at(later), api.StateRequest},
		{"expired grant on a non-JIT network is standing", req(api.StatusApproved, at(earlier)), false, api.StateActive, at(earlier), api.StateStanding},
		{"standing (JIT off)", nil, false, api.StateStanding, nil, api.StateStanding},
		{"standing (admin on a JIT network)", nil, true, api.StateStanding, nil, api.StateStanding},
		{"denied", req(api.StatusDenied, nil), true, api.StateRequest, nil, api.StateRequest},
		{"cancelled", req(api.StatusCancelled, nil), true, api.StateRequest, nil, api.StateRequest},
		{"expired", req(api.StatusExpired, at(earlier)), true, api.StateRequest, nil, api.StateRequest},
		{"no server state: approved and valid", req(api.StatusApproved, at(later)), true, "", nil, api.StateActive},
		{"no server state: approved but expired", req(api.StatusApproved, at(earlier)), true, "", nil, api.StateRequest},
		{"no server state: pending", req(api.StatusPending, nil), true, "", nil, api.StatePending},
		{"no server state: JIT off", nil, false, "", nil, api.StateStanding},
		{"no server state: nothing", nil, true, "", nil, api.StateRequest},

		// Scheduled access: scheduled until starts_at, active from it to the
		// second, over at expires_at — on the agent's clock, whatever the
		// backend's last word was.
		{"scheduled before the start", sched(now.Add(time.Second), later), true, api.StateScheduled, nil, api.StateScheduled},
		{"scheduled one ns before the start", sched(now.Add(1), later), true, api.StateScheduled, nil, api.StateScheduled},
		{"scheduled exactly at the start is active", sched(now, later), true, api.StateScheduled, nil, api.StateActive},
		{"scheduled past the start is active", sched(earlier, later), true, api.StateScheduled, nil, api.StateActive},
		{"scheduled past the end fails closed", sched(now.Add(-2*time.Hour), earlier), true, api.StateScheduled, nil, api.StateRequest},
		{"scheduled but no longer approved", &api.Request{Status: api.StatusRevoked, StartsAt: at(later), ExpiresAt: at(later.Add(time.Hour))}, true, api.StateScheduled, nil, api.StateRequest},
		{"no server state: approved for later", sched(later, later.Add(time.Hour)), true, "", nil, api.StateScheduled},
		{"no server state: approved, started", sched(earlier, later), true, "", nil, api.StateActive},
		{"no server state: approved for later, JIT off", sched(later, later.Add(time.Hour)), false, "", nil, api.StateStanding},
		{"a pending request for later stays pending", &api.Request{Status: api.StatusPending, StartsAt: at(later)}, true, api.StatePending, nil, api.StatePending},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Derive(tt.req, tt.jit, tt.server, tt.exp, now); got != tt.want {
				t.Errorf("Derive = %q, want %q", got, tt.want)
			}
		})
	}
}
