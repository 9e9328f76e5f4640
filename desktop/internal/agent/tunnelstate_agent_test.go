package agent_test

import (
	"strings"
	"testing"
	"time"

	"gatepass.dev/backend/backendtest"
	"gatepass.dev/desktop/internal/localapi"
	"gatepass.dev/shared/api"
	"gatepass.dev/shared/client"
)

func tunnelStateIs(name string, s localapi.TunnelState) func(localapi.Status) bool {
	return func(st localapi.Status) bool { return netOf(st, name).TunnelState == s }
}

// A tunnel is "connected" only once the gateway answered: the LocalAPI
// watcher sees connecting, then handshaking (the tunnel up, no handshake
// yet) or straight connected, and connected only with a handshake in the
// counters; connect returns once connected.
func TestTunnelConnectedAfterFirstHandshake(t *testing.T) {
	h := newHarness(t, hopt{})
	ctx := t.Context()
	off := false
	if _, err := h.lc.SetPrefs(ctx, localapi.PrefsInput{ConnectOnApproval: &off}); err != nil {
		t.Fatal(err)
	}
	h.requestAndApprove(time.Hour)
	st := waitStatus(t, h.a, "active", stateIs(netName, api.StateActive))
	if n := netOf(st, netName); n.TunnelState != localapi.TunnelOff || n.Connected {
		t.Fatalf("before connecting: %+v", n)
	}
	seen := make(chan localapi.Status, 256)
	updates, stop := h.a.Subscribe()
	defer stop()
	go func() {
		for st := range updates {
			seen <- st
		}
	}()
	st, err := h.lc.Connect(ctx, netName)
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	n := netOf(st, netName)
	if n.TunnelState != localapi.TunnelConnected || !n.Connected || n.Tunnel == nil || n.Tunnel.LastHandshake == nil {
		t.Fatalf("connect answered %+v (tunnel %+v)", n, n.Tunnel)
	}
	var states []localapi.TunnelState
	// Every status the watcher got, up to the connected one (the relay
	// may still be forwarding it when connect returns).
	deadline := time.NewTimer(10 * time.Second)
	defer deadline.Stop()
	for len(states) == 0 || states[len(states)-1] != localapi.TunnelConnected {
		var st localapi.Status
		select {
		case st = <-seen:
		case <-deadline.C:
			t.Fatalf("the watcher never saw connected: %v", states)
		}
		s := netOf(st, netName)
		if len(states) == 0 || states[len(states)-1] != s.TunnelState {
			states = append(states, s.TunnelState)
		}
		if s.TunnelState == localapi.TunnelConnected && (s.Tunnel == nil || s.Tunnel.LastHandshake == nil) {
			t.Errorf("connected without a handshake: %+v", s.Tunnel)
		}
		if s.TunnelState == localapi.TunnelHandshaking && !s.Connected {
			t.Errorf("handshaking but not up: %+v", s)
		}
	}
	// The watcher may skip states (a slow reader gets the newest), never
	// reorder them: what it saw is in the diagram's order, ending connected.
	order := []localapi.TunnelState{localapi.TunnelOff, localapi.TunnelConnecting, localapi.TunnelHandshaking, localapi.TunnelConnected}
	i := 0
	for _, s := range states {
		for i < len(order) && order[i] != s {
			i++
		}
		if i == len(order) {
			t.Fatalf("states %v, want them in the order %v", states, order)
		}
	}
	if states[len(states)-1] != localapi.TunnelConnected {
		t.Errorf("states %v end elsewhere than connected", states)
	}
	h.mustGet()
	// Disconnect: off.
	st, err = h.lc.Disconnect(ctx, netName)
	if err != nil || netOf(st, netName).TunnelState != localapi.TunnelOff {
		t.Fatalf("disconnect: %+v %v", netOf(st, netName), err)
	}
}

// A gateway that never answers leaves the tunnel handshaking ("Connecting…"
// in the window), never connected; connect says so when it gives up.
func TestTunnelHandshakingWhileTheGatewayIsSilent(t *testing.T) {
	h := newHarness(t, hopt{connectTimeout: 2 * time.Second})
	ctx := t.Context()
	dead := "127.0.0.1:9" // UDP discard: nothing answers there
	if _, err := h.admin.UpdateNetwork(ctx, h.net.ID, api.NetworkInput{Endpoint: &dead}); err != nil {
		t.Fatal(err)
	}
	off := false
	if _, err := h.lc.SetPrefs(ctx, localapi.PrefsInput{ConnectOnApproval: &off}); err != nil {
		t.Fatal(err)
	}
	h.requestAndApprove(time.Hour)
	waitStatus(t, h.a, "active", stateIs(netName, api.StateActive))
	_, err := h.lc.Connect(ctx, netName)
	if client.StatusOf(err) != 504 || !strings.Contains(err.Error(), "gateway has not answered") {
		t.Fatalf("connect to a silent gateway: %v", err)
	}
	n := netOf(h.a.Status(), netName)
	if n.TunnelState != localapi.TunnelHandshaking || !n.Connected || !n.WantConnected {
		t.Fatalf("silent gateway: %+v", n)
	}
	if n.Tunnel == nil || n.Tunnel.LastHandshake != nil {
		t.Errorf("tunnel counters %+v", n.Tunnel)
	}
	// The grant ends: handshaking goes to off like any state.
	h.clock.Advance(time.Hour)
	h.waitTunnel(netName, false)
	waitStatus(t, h.a, "off after expiry", tunnelStateIs(netName, localapi.TunnelOff))
	backendtest.WaitFor(t, "request state", func() bool { return netOf(h.a.Status(), netName).State == api.StateRequest })
}
