package traymenu

import (
	"testing"
	"time"

	"gatepass.dev/desktop/internal/localapi"
	"gatepass.dev/shared/api"
)

var now = time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)

func at(d time.Duration) *time.Time { t := now.Add(d); return &t }

func demo() *localapi.Status {
	return &localapi.Status{
		SignedIn: true, BackendReachable: true, User: &api.User{Email: "contractor@example.com"},
		Networks: []localapi.Network{
			{Name: "office-network", State: api.StateRequest},
			{Name: "staging-internal", State: api.StatePending},
			{Name: "zero-path", State: api.StateActive, ExpiresAt: at(30*24*time.Hour - time.Second), Connected: true, TunnelState: localapi.TunnelConnected, WantConnected: true},
			{Name: "lab", State: api.StateActive, ExpiresAt: at(8*time.Hour - time.Second)},
			{Name: "wiki", State: api.StateStanding},
		},
	}
}

func TestBuild(t *testing.T) {
	m := Build(demo(), "", now)
	if !m.TunnelUp || m.Header != "Gatepass — contractor@example.com" || !m.CanRequest || m.Tooltip != "Gatepass: 1 network connected" {
		t.Errorf("menu %+v", m)
	}
	want := []Item{
		{Network: "office-network", Title: "○ office-network — Request access…", Enabled: true, Action: Request},
		{Network: "staging-internal", Title: "○ staging-internal — Access request pending", Enabled: false},
		{Network: "zero-path", Title: "● zero-path — Connected · 29d 23h left", Enabled: true, Action: Disconnect, Tooltip: "Disconnect from zero-path"},
		{Network: "lab", Title: "○ lab — 7h 59m left", Enabled: true, Action: Connect, Tooltip: "Connect to lab"},
		{Network: "wiki", Title: "○ wiki — Not connected", Enabled: true, Action: Connect, Tooltip: "Connect to wiki"},
	}
	if len(m.Networks) != len(want) {
		t.Fatalf("%d items", len(m.Networks))
	}
	for i, w := range want {
		if m.Networks[i] != w {
			t.Errorf("item %d = %+v\nwant     %+v", i, m.Networks[i], w)
		}
	}
	// The labels change next when "7h 59m" becomes "7h 58m".
	if m.Refresh != 59*time.Second+time.Millisecond {
		t.Errorf("Refresh = %v", m.Refresh)
	}
	// Minutes alone below an hour (never "12m 30s"), seconds in the last minute.
	st := demo()
	st.Networks[3].ExpiresAt = at(12*time.Minute + 30*time.Second)
	if m := Build(st, "", now); m.Networks[3].Title != "○ lab — 12m left" || m.Refresh != 30*time.Second+time.Millisecond {
		t.Errorf("12m 30s left: %q, refresh %v", m.Networks[3].Title, m.Refresh)
	}
	st.Networks[3].ExpiresAt = at(40 * time.Second)
	if m := Build(st, "", now); m.Networks[3].Title != "○ lab — 40s left" || m.Refresh != time.Millisecond {
		t.Errorf("40s left: %q, refresh %v", m.Networks[3].Title, m.Refresh)
	}
}

func TestBuildStates(t *testing.T) {
	if m := Build(nil, "connection refused", now); m.Header != "Gatepass agent not running" || m.TunnelUp || len(m.Networks) != 0 {
		t.Errorf("no agent: %+v", m)
	}
	if m := Build(&localapi.Status{}, "", now); m.Header != "Not signed in" || m.CanRequest {
		t.Errorf("signed out: %+v", m)
	}
	st := demo()
	st.BackendReachable = false
	st.Networks[2].TunnelState = localapi.TunnelHandshaking // up, the gateway not heard from yet
	m := Build(st, "", now)
	if m.Header != "Gatepass — contractor@example.com (server unreachable)" || m.TunnelUp {
		t.Errorf("unreachable: %+v", m)
	}
	if got := m.Networks[2].Title; got != "○ zero-path — Connecting… · 29d 23h left" {
		t.Errorf("connecting: %q", got)
	}
	st.Networks[4].Connected, st.Networks[4].WantConnected, st.Networks[4].TunnelState = true, true, localapi.TunnelConnected
	if got := Build(st, "", now).Networks[4]; got.Title != "● wiki — Connected" || got.Action != Disconnect {
		t.Errorf("standing connected: %+v", got)
	}
	// Nothing to request: "Request access…" disabled.
	st.Networks = st.Networks[1:]
	if Build(st, "", now).CanRequest {
		t.Error("CanRequest with nothing to request")
	}
	// Two tunnels up.
	st.Networks[1].Connected, st.Networks[1].TunnelState = true, localapi.TunnelConnected
	if got := Build(st, "", now).Tooltip; got != "Gatepass: 2 networks connected" {
		t.Errorf("tooltip %q", got)
	}
}

// The policies in the menu: "1 of 2 approvals" (who in the tooltip), a
// scheduled start counting down, a pending extension, and "Extend
// access…" for the grants that may grow.
func TestBuildPolicies(t *testing.T) {
	st := demo()
	st.Networks = append(st.Networks,
		localapi.Network{Name: "production-db", State: api.StatePending, RequiredApprovals: 2,
			Request: &api.Request{Status: api.StatusPending, RequiredApprovals: 2, Approvals: []api.Approval{{By: "dana@example.com"}}}},
		localapi.Network{Name: "night-window", State: api.StateScheduled, StartsAt: at(2*time.Hour + 10*time.Minute + 30*time.Second)},
	)
	st.Networks[3].MaxExtensionSeconds = 3600 // lab may grow
	m := Build(st, "", now)
	prod, sched := m.Networks[5], m.Networks[6]
	if prod.Title != "○ production-db — Access request pending · 1 of 2 approvals" || prod.Enabled ||
		prod.Tooltip != "Approved by dana@example.com; waiting for 1 more" {
		t.Errorf("1 of 2: %+v", prod)
	}
	if sched.Title != "○ night-window — Access starts in 2h 10m" || sched.Enabled || sched.Action != None {
		t.Errorf("scheduled: %+v", sched)
	}
	// "2h 10m" reads differently in 30 s (the 7h 59m grant in 59 s).
	if m.Refresh != 30*time.Second+time.Millisecond {
		t.Errorf("Refresh = %v", m.Refresh)
	}
	if !m.CanExtend || m.ExtendNetwork != "lab" {
		t.Errorf("extend: %v %q", m.CanExtend, m.ExtendNetwork)
	}
	// Two grants may grow: the window asks which.
	st.Networks[2].MaxExtensionSeconds = 3600
	if m := Build(st, "", now); !m.CanExtend || m.ExtendNetwork != "" {
		t.Errorf("two to extend: %v %q", m.CanExtend, m.ExtendNetwork)
	}
	// A pending extension shows, and that grant is not offered again.
	st.Networks[2].Extension = &api.Request{Kind: api.KindExtension, Status: api.StatusPending, DurationSeconds: 7200}
	m = Build(st, "", now)
	if got := m.Networks[2].Title; got != "● zero-path — Connected · 29d 23h left · extension pending" {
		t.Errorf("pending extension: %q", got)
	}
	if !m.CanExtend || m.ExtendNetwork != "lab" {
		t.Errorf("extend with one pending: %v %q", m.CanExtend, m.ExtendNetwork)
	}
	// No room left anywhere: disabled.
	st.Networks[3].MaxExtensionSeconds = 0
	if m := Build(st, "", now); m.CanExtend {
		t.Error("CanExtend with no grant that may grow")
	}
	// The start comes: the same grant turns active.
	st.Networks[6] = localapi.Network{Name: "night-window", State: api.StateActive, ExpiresAt: at(time.Hour)}
	if got := Build(st, "", now).Networks[6].Title; got != "○ night-window — 1h 0m left" {
		t.Errorf("started: %q", got)
	}
}
