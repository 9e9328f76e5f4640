package agent_test

import (
	"context"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"gatepass.dev/backend/backendtest"
	"gatepass.dev/desktop/internal/localapi"
	"gatepass.dev/desktop/internal/tunnel"
	"gatepass.dev/shared/api"
)

// TestWatchFailsOverToAnotherReplica: the agent reaches the server
// replicas (PostgreSQL) through a load balancer; the replica its watch
// follows dies; the agent waits its back-off, reconnects through the
// balancer to another replica with the same session, and converges
// without anyone's help: a request approved there shows as active.
func TestWatchFailsOverToAnotherReplica(t *testing.T) {
	rs := backendtest.NewReplicas(t, 2)
	a, b := rs[0], rs[1]
	bal := backendtest.NewBalancer(t, b.Addr) // A joins once the agent follows B
	_, u := a.NewUser(t, userEmail, api.RoleUser)
	a.NewNetwork(t, netName)
	ns, err := tunnel.NewNetstack(tunnel.NetstackOptions{Logf: t.Logf})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ns.Close() })
	h := &harness{t: t, srv: a, dir: t.TempDir(), admin: a.Admin(t), userID: u.ID, connectTimeout: 10 * time.Second}
	h.clock = clockwork.NewFakeClockAt(a.Now())
	h.a = h.newAgent(ns)
	h.lc = serveLocalAPI(t, h.a)
	if _, err := h.lc.Login(t.Context(), bal.URL, userEmail, backendtest.UserPassword); err != nil {
		t.Fatalf("login through the balancer: %v", err)
	}
	waitStatus(t, h.a, "listed", stateIs(netName, api.StateRequest))
	backendtest.WaitFor(t, "the agent's watch on B", func() bool { return bal.Connections(b.Addr) > 0 })

	// The replica the agent follows dies while the balancer has no other:
	// the agent's reconnection fails and it waits its back-off.
	b.Stop()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	if err := h.clock.BlockUntilContext(ctx, 1); err != nil {
		t.Fatalf("the agent never waited to reconnect: %v", err)
	}
	bal.Add(a.Addr)
	h.clock.Advance(30 * time.Second)
	st, err := h.lc.Request(t.Context(), netName, "after the failover", time.Hour)
	if err != nil {
		t.Fatalf("request after the failover: %v", err)
	}
	req := netOf(st, netName).Request
	if req == nil {
		t.Fatalf("no request after the failover: %+v", netOf(st, netName))
	}
	if _, err := h.admin.Approve(t.Context(), req.ID, time.Hour); err != nil {
		t.Fatal(err)
	}
	waitStatus(t, h.a, "active, heard from A", stateIs(netName, api.StateActive))
	waitStatus(t, h.a, "reachable", func(st localapi.Status) bool { return st.BackendReachable })
	if bal.Connections(a.Addr) == 0 {
		t.Error("nothing is connected to A through the balancer")
	}
}
