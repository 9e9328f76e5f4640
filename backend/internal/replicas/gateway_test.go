package replicas_test

import (
	"context"
	"log/slog"
	"net"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"gatepass.dev/backend/backendtest"
	"gatepass.dev/backend/internal/gatewayd"
	"gatepass.dev/shared/api"
	"gatepass.dev/shared/client"
	"gatepass.dev/shared/wgkey"
)

// site is a remote gateway (gatepass-gateway's program, in-process) of a
// network, following the server at url.
type site struct {
	mu      sync.Mutex
	applied []api.GatewayState
}

// startGateway adds a remote gateway to network n through admin and runs
// it against url (a replica, or the balancer) until the test ends.
func startGateway(t *testing.T, admin *client.Client, n api.Network, url string) *site {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := pc.LocalAddr().(*net.UDPAddr).Port
	pc.Close()
	ep := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	added, err := admin.AddGateway(t.Context(), n.ID, api.GatewayInput{Endpoint: &ep})
	if err != nil {
		t.Fatal(err)
	}
	s := &site{}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	cfg := gatewayd.Config{Server: url, EnrollToken: added.EnrollToken, StateDir: t.TempDir(), Mode: gatewayd.ModeNetstack,
		Version: "test", Log: slog.New(slog.DiscardHandler), ReportEvery: time.Second,
		Applied: func(st api.GatewayState) {
			s.mu.Lock()
			s.applied = append(s.applied, st)
			s.mu.Unlock()
		}}
	go func() { done <- gatewayd.Up(ctx, cfg) }()
	t.Cleanup(func() { cancel(); <-done })
	return s
}

// has reports whether the gateway's latest state admits the key.
func (s *site) has(key string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.applied) == 0 {
		return false
	}
	return slices.ContainsFunc(s.applied[len(s.applied)-1].Peers, func(p api.GatewayPeer) bool { return p.PublicKey == key })
}

func (s *site) states() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.applied)
}

// device registers a device of the user's client and returns its key.
func device(t *testing.T, c *client.Client) string {
	t.Helper()
	k, err := wgkey.NewPrivate()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.RegisterDevice(t.Context(), "laptop", k.Public().String()); err != nil {
		t.Fatal(err)
	}
	return k.Public().String()
}

// TestGatewayOnAnotherReplicaGetsThePeer: a remote gateway follows replica
// B; an approval on replica A puts the user's device on it, and the
// revocation on A takes it off — through the notifications alone (the
// clock is fake: no periodic resync runs).
func TestGatewayOnAnotherReplicaGetsThePeer(t *testing.T) {
	rs := backendtest.NewReplicas(t, 2)
	a, b := rs[0], rs[1]
	n := a.NewNetwork(t, "site")
	gw := startGateway(t, b.Admin(t), n, b.URL)
	backendtest.WaitFor(t, "the gateway's first state", func() bool { return gw.states() > 0 })
	alice, _ := user(t, a, a.URL, "alice@example.com")
	key := device(t, alice)
	req, err := alice.Request(t.Context(), n.ID, "to the site", 0)
	if err != nil {
		t.Fatal(err)
	}
	admin := a.Admin(t)
	if _, err := admin.Approve(t.Context(), req.ID, time.Hour); err != nil {
		t.Fatal(err)
	}
	backendtest.WaitFor(t, "alice's device on the gateway that follows B", func() bool { return gw.has(key) })
	if _, err := admin.Revoke(t.Context(), req.ID, "done"); err != nil {
		t.Fatal(err)
	}
	backendtest.WaitFor(t, "alice's device off the gateway", func() bool { return !gw.has(key) })
}

// TestGatewayReconnectsToAnotherReplica: a remote gateway reaches the
// servers through a load balancer; the replica it follows dies; it
// reconnects through the balancer to the other, with back-off and without
// anyone's help, and converges: an approval made there reaches it.
func TestGatewayReconnectsToAnotherReplica(t *testing.T) {
	rs := backendtest.NewReplicas(t, 2)
	a, b := rs[0], rs[1]
	bal := backendtest.NewBalancer(t, a.Addr) // B joins once the gateway follows A
	n := a.NewNetwork(t, "site")
	gw := startGateway(t, a.Admin(t), n, bal.URL)
	backendtest.WaitFor(t, "the gateway's first state", func() bool { return gw.states() > 0 })
	bal.Add(b.Addr)
	adminB := b.Admin(t)
	alice, _ := user(t, b, b.URL, "alice@example.com")
	key := device(t, alice)
	req, err := alice.Request(t.Context(), n.ID, "after the failover", 0)
	if err != nil {
		t.Fatal(err)
	}

	a.Stop() // the replica the gateway follows dies
	if _, err := adminB.Approve(t.Context(), req.ID, time.Hour); err != nil {
		t.Fatal(err)
	}
	backendtest.WaitFor(t, "the gateway, reconnected to B, with alice's device", func() bool { return gw.has(key) })
	if bal.Connections(b.Addr) == 0 {
		t.Error("nothing is connected to B through the balancer")
	}
}
