package gateway_test

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
	"golang.zx2c4.com/wireguard/conn"
	"golang.zx2c4.com/wireguard/device"
	"golang.zx2c4.com/wireguard/tun/netstack"

	"gatepass.dev/backend/internal/gateway"
	"gatepass.dev/shared/api"
	"gatepass.dev/shared/wgkey"
)

var t0 = time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)

// recording is the real netstack backend with every UAPI "set" written
// down, to see what a reconcile touched.
type recording struct {
	gateway.Netstack
	mu    sync.Mutex
	sets  []string
	opens int
}

func (b *recording) Open(spec gateway.Spec, status http.Handler) (gateway.Device, error) {
	d, err := b.Netstack.Open(spec, status)
	if err != nil {
		return nil, err
	}
	b.mu.Lock()
	b.opens++
	b.mu.Unlock()
	return &recordingDevice{Device: d, b: b}, nil
}

func (b *recording) take() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	s := strings.Join(b.sets, "")
	b.sets = nil
	return s
}

type recordingDevice struct {
	gateway.Device
	b *recording
}

func (d *recordingDevice) IpcSet(s string) error {
	d.b.mu.Lock()
	d.b.sets = append(d.b.sets, s)
	d.b.mu.Unlock()
	return d.Device.IpcSet(s)
}

type peerKey struct {
	priv wgkey.Key
}

func newKey(t testing.TB) peerKey {
	k, err := wgkey.NewPrivate()
	if err != nil {
		t.Fatal(err)
	}
	return peerKey{k}
}

func (k peerKey) pub() string { return k.priv.Public().String() }
func (k peerKey) hex() string { return k.priv.Public().Hex() }

func peer(k peerKey, addr string, expires *time.Time) api.GatewayPeer {
	return api.GatewayPeer{PublicKey: k.pub(), AllowedIPs: []string{addr}, ExpiresAt: expires, UserEmail: "u@example.com", DeviceName: "laptop"}
}

func at(t time.Time) *time.Time { return &t }

func state(rev uint64, serverTime time.Time, lease int, peers ...api.GatewayPeer) api.GatewayState {
	return api.GatewayState{Revision: rev, ServerTime: serverTime, LeaseSeconds: lease,
		Network: api.GatewayNetwork{ID: "net_1", Name: "office", CIDR: "10.77.0.0/24", Address: "10.77.0.1"}, Peers: peers}
}

type harness struct {
	t     *testing.T
	clock *clockwork.FakeClock
	back  *recording
	rt    *gateway.Runtime
}

func newHarness(t *testing.T, opt gateway.Options) *harness {
	t.Helper()
	h := &harness{t: t, clock: clockwork.NewFakeClockAt(t0), back: &recording{}}
	if opt.Clock == nil {
		opt.Clock = h.clock
	} else {
		h.clock = opt.Clock.(*clockwork.FakeClock)
	}
	opt.Backend = h.back
	opt.Log = slog.New(slog.DiscardHandler)
	if opt.PrivateKey == (wgkey.Key{}) {
		opt.PrivateKey = newKey(t).priv
	}
	h.rt = gateway.NewRuntime(opt)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); h.rt.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		<-done
		h.rt.Close()
	})
	return h
}

func (h *harness) apply(st api.GatewayState) {
	h.t.Helper()
	if err := h.rt.Apply(st); err != nil {
		h.t.Fatal(err)
	}
}

// waitFor polls cond until it holds, failing after 10 s.
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

func onDevice(rt *gateway.Runtime, k peerKey) bool {
	_, ok := rt.DevicePeers()[k.pub()]
	return ok
}

// The state is applied as a diff: an unchanged peer is never in a UAPI set
// (no remove-and-re-add, no replace_peers), a changed one is updated in
// place, a gone one removed, a new one added.
func TestRuntimeAppliesOnlyTheDiff(t *testing.T) {
	h := newHarness(t, gateway.Options{})
	a, b, c, d := newKey(t), newKey(t), newKey(t), newKey(t)
	exp := t0.Add(time.Hour)
	h.apply(state(1, t0, 60, peer(a, "10.77.0.2/32", &exp), peer(b, "10.77.0.3/32", &exp), peer(c, "10.77.0.4/32", nil)))
	first := h.back.take()
	for _, k := range []peerKey{a, b, c} {
		if !strings.Contains(first, "public_key="+k.hex()) || !onDevice(h.rt, k) {
			t.Fatalf("peer %s not added:\n%s", k.pub(), first)
		}
	}
	if strings.Contains(first, "replace_peers") {
		t.Fatalf("replace_peers used:\n%s", first)
	}

	later := t0.Add(2 * time.Hour)
	h.apply(state(2, t0, 60, peer(a, "10.77.0.2/32", &later), peer(b, "10.77.0.9/32", &exp), peer(d, "10.77.0.5/32", nil)))
	second := h.back.take()
	if strings.Contains(second, a.hex()) {
		t.Errorf("the unchanged peer (only its expiry moved) was touched:\n%s", second)
	}
	if !strings.Contains(second, "public_key="+b.hex()+"\nreplace_allowed_ips=true\nallowed_ip=10.77.0.9/32\n") {
		t.Errorf("the changed peer was not updated in place:\n%s", second)
	}
	if !strings.Contains(second, "public_key="+c.hex()+"\nremove=true\n") || onDevice(h.rt, c) {
		t.Errorf("the gone peer was not removed:\n%s", second)
	}
	if !strings.Contains(second, "public_key="+d.hex()) || !onDevice(h.rt, d) {
		t.Errorf("the new peer was not added:\n%s", second)
	}
	if strings.Contains(second, "remove=true") && strings.Count(second, "remove=true") != 1 {
		t.Errorf("more than one removal:\n%s", second)
	}
	if got := h.rt.DevicePeers()[b.pub()].AllowedIPs; len(got) != 1 || got[0] != "10.77.0.9/32" {
		t.Errorf("the changed peer's allowed IPs on the device: %v", got)
	}

	// The same state again touches nothing; a peer added by someone else
	// is left alone.
	foreign := newKey(t)
	if err := h.rt.IpcSetForTest(fmt.Sprintf("public_key=%s\nallowed_ip=10.77.0.200/32\n", foreign.hex())); err != nil {
		t.Fatal(err)
	}
	h.back.take()
	h.apply(state(3, t0, 60, peer(a, "10.77.0.2/32", &later), peer(b, "10.77.0.9/32", &exp), peer(d, "10.77.0.5/32", nil)))
	if s := h.back.take(); s != "" {
		t.Errorf("an unchanged state touched the device:\n%s", s)
	}
	if !onDevice(h.rt, foreign) {
		t.Error("a peer the runtime did not add was removed")
	}
	if h.back.opens != 1 {
		t.Errorf("the device was opened %d times, want 1", h.back.opens)
	}
}

// Each peer goes at its expires_at by the runtime's own timer; a peer
// already expired when the state arrives is never added.
func TestRuntimeExpiresPeersOnItsOwnTimer(t *testing.T) {
	h := newHarness(t, gateway.Options{NoLease: true})
	a, b, c := newKey(t), newKey(t), newKey(t)
	h.apply(state(1, t0, 0, peer(a, "10.77.0.2/32", at(t0.Add(time.Hour))), peer(b, "10.77.0.3/32", at(t0.Add(2*time.Hour))),
		peer(c, "10.77.0.4/32", at(t0))))
	if onDevice(h.rt, c) {
		t.Fatal("a peer expired on arrival was added")
	}
	h.clock.Advance(time.Hour - time.Second)
	time.Sleep(20 * time.Millisecond) // give a wrong early timer the chance to fire
	if !onDevice(h.rt, a) {
		t.Fatal("the peer went before its expires_at")
	}
	h.clock.Advance(time.Second)
	waitFor(t, "the first peer to go at its expires_at", func() bool { return !onDevice(h.rt, a) })
	if !onDevice(h.rt, b) {
		t.Fatal("the second peer went with the first")
	}
	h.clock.Advance(time.Hour)
	waitFor(t, "the second peer to go", func() bool { return !onDevice(h.rt, b) })
}

// expires_at is on the server's clock: a gateway whose clock is 10 minutes
// behind the server's removes a peer that expires_at the server's t+1h at
// its own t+1h, not when its own clock reads the expires_at (10 minutes
// late). A delayed message (a lower sample) does not move the estimate.
func TestRuntimeCorrectsTheServerClockOffset(t *testing.T) {
	h := newHarness(t, gateway.Options{NoLease: true})
	skew := 10 * time.Minute
	server := t0.Add(skew) // the server's clock at local t0
	a := newKey(t)
	h.apply(state(1, server, 0, peer(a, "10.77.0.2/32", at(server.Add(time.Hour)))))
	if got := h.rt.Offset(); got != skew {
		t.Fatalf("offset %v, want %v", got, skew)
	}
	h.rt.Heard(server.Add(-3 * time.Second)) // a ping delayed 3 s on its way
	if got := h.rt.Offset(); got != skew {
		t.Fatalf("a delayed sample moved the offset to %v", got)
	}
	h.clock.Advance(time.Hour - time.Second)
	time.Sleep(20 * time.Millisecond)
	if !onDevice(h.rt, a) {
		t.Fatal("the peer went before its expires_at (server clock)")
	}
	h.clock.Advance(time.Second)
	waitFor(t, "the peer to go at its expires_at on the server's clock", func() bool { return !onDevice(h.rt, a) })
}

// With no word from the server for the lease, every JIT peer goes (fail
// closed) and standing peers stay; a fresh state restores them, and so
// does a ping of the same stream.
func TestRuntimeLeaseFailsClosedAndRestores(t *testing.T) {
	h := newHarness(t, gateway.Options{})
	jit, standing := newKey(t), newKey(t)
	st := state(1, t0, 60, peer(jit, "10.77.0.2/32", at(t0.Add(time.Hour))), peer(standing, "10.77.0.3/32", nil))
	h.apply(st)
	h.clock.Advance(30 * time.Second)
	h.rt.Heard(h.clock.Now()) // a ping renews the lease
	h.clock.Advance(59 * time.Second)
	time.Sleep(20 * time.Millisecond)
	if !onDevice(h.rt, jit) {
		t.Fatal("the JIT peer went before the lease ran out")
	}
	h.clock.Advance(time.Second)
	waitFor(t, "the JIT peer to go when the lease runs out", func() bool { return !onDevice(h.rt, jit) })
	if !onDevice(h.rt, standing) {
		t.Fatal("the standing peer went with the lease")
	}
	if !h.rt.Status().FailedClosed {
		t.Fatal("status does not say failed closed")
	}
	st.Revision, st.ServerTime = 2, h.clock.Now()
	h.apply(st)
	if !onDevice(h.rt, jit) || h.rt.Status().FailedClosed {
		t.Fatal("a fresh state did not restore the JIT peer")
	}

	h.clock.Advance(61 * time.Second)
	waitFor(t, "the JIT peer to go again", func() bool { return !onDevice(h.rt, jit) })
	h.rt.Heard(h.clock.Now())
	if !onDevice(h.rt, jit) {
		t.Fatal("a ping after the lease did not restore the JIT peer")
	}
}

// A gateway flag may shorten the lease the server gives, never lengthen it.
func TestRuntimeLeaseFlagShortens(t *testing.T) {
	h := newHarness(t, gateway.Options{Lease: 5 * time.Second})
	jit := newKey(t)
	h.apply(state(1, t0, 60, peer(jit, "10.77.0.2/32", at(t0.Add(time.Hour)))))
	h.clock.Advance(5 * time.Second)
	waitFor(t, "the JIT peer to go after the shorter lease", func() bool { return !onDevice(h.rt, jit) })

	long := newHarness(t, gateway.Options{Lease: time.Hour})
	h2 := long
	jit2 := newKey(t)
	h2.apply(state(1, t0, 60, peer(jit2, "10.77.0.2/32", at(t0.Add(2*time.Hour)))))
	h2.clock.Advance(60 * time.Second)
	waitFor(t, "the server's shorter lease to hold", func() bool { return !onDevice(h2.rt, jit2) })
}

// A peer whose allowed IPs leave the network's range, or whose key is not
// one, is refused; the others are applied.
func TestRuntimeRefusesPeersOutsideTheRange(t *testing.T) {
	h := newHarness(t, gateway.Options{NoLease: true})
	good, wide, outside := newKey(t), newKey(t), newKey(t)
	h.apply(state(1, t0, 0, peer(good, "10.77.0.2/32", nil), peer(wide, "0.0.0.0/0", nil), peer(outside, "192.0.2.7/32", nil),
		api.GatewayPeer{PublicKey: "not-a-key", AllowedIPs: []string{"10.77.0.9/32"}}))
	peers := h.rt.DevicePeers()
	if _, ok := peers[good.pub()]; !ok || len(peers) != 1 {
		t.Fatalf("device peers %v: want only the good one", peers)
	}
}

// DropAll (a revoked gateway) removes every peer, standing ones too, and
// nothing is applied afterwards.
func TestRuntimeDropAll(t *testing.T) {
	h := newHarness(t, gateway.Options{})
	jit, standing := newKey(t), newKey(t)
	st := state(1, t0, 60, peer(jit, "10.77.0.2/32", at(t0.Add(time.Hour))), peer(standing, "10.77.0.3/32", nil))
	h.apply(st)
	h.rt.DropAll("revoked")
	if len(h.rt.DevicePeers()) != 0 {
		t.Fatalf("peers left after DropAll: %v", h.rt.DevicePeers())
	}
	if err := h.rt.Apply(st); err == nil || len(h.rt.DevicePeers()) != 0 {
		t.Fatalf("a state after DropAll was applied: %v", err)
	}
}

// A change of the network's listen port, range or routes reopens the
// device with every wanted peer on it again.
func TestRuntimeReopensOnNetworkChange(t *testing.T) {
	h := newHarness(t, gateway.Options{NoLease: true})
	a := newKey(t)
	st := state(1, t0, 0, peer(a, "10.77.0.2/32", nil))
	h.apply(st)
	st.Network.Routes = []string{"192.0.2.0/24"}
	h.apply(st)
	if h.back.opens != 2 || !onDevice(h.rt, a) {
		t.Fatalf("opens %d, peer on device %v: want the device reopened with the peer", h.back.opens, onDevice(h.rt, a))
	}
}

// After a restart a peer's saved endpoint is "kicked": the gateway starts
// the handshake itself, at once, so the session is back before the client
// would retry.
func TestRuntimeKicksSavedEndpointsAfterARestart(t *testing.T) {
	gwKey, cliKey := newKey(t), newKey(t)
	// The client: a wireguard-go device that knows the gateway but not
	// where it is, and never sends a keepalive: only the gateway can start
	// the handshake.
	tdev, _, err := netstack.CreateNetTUN([]netip.Addr{netip.MustParseAddr("10.77.0.2")}, nil, 1420)
	if err != nil {
		t.Fatal(err)
	}
	cli := device.NewDevice(tdev, conn.NewDefaultBind(), device.NewLogger(device.LogLevelSilent, ""))
	t.Cleanup(cli.Close)
	if err := cli.IpcSet(fmt.Sprintf("private_key=%s\nlisten_port=0\npublic_key=%s\nallowed_ip=10.77.0.0/24\n", cliKey.priv.Hex(), gwKey.hex())); err != nil {
		t.Fatal(err)
	}
	if err := cli.Up(); err != nil {
		t.Fatal(err)
	}
	port := listenPort(t, cli)
	eps := &gateway.FileEndpoints{Path: filepath.Join(t.TempDir(), "endpoints.json")}
	if err := eps.Save(map[string]string{cliKey.pub(): net.JoinHostPort("127.0.0.1", port)}); err != nil {
		t.Fatal(err)
	}
	h := newHarness(t, gateway.Options{NoLease: true, PrivateKey: gwKey.priv, Endpoints: &gateway.FileEndpoints{Path: eps.Path}})
	h.apply(state(1, t0, 0, peer(cliKey, "10.77.0.2/32", nil)))
	waitFor(t, "the gateway's handshake with the client", func() bool {
		s, _ := cli.IpcGet()
		return strings.Contains(s, "last_handshake_time_sec=") && !strings.Contains(s, "last_handshake_time_sec=0\n")
	})
}

func listenPort(t *testing.T, d *device.Device) string {
	t.Helper()
	s, err := d.IpcGet()
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(s, "\n") {
		if v, ok := strings.CutPrefix(line, "listen_port="); ok {
			return v
		}
	}
	t.Fatal("no listen port")
	return ""
}

// A peer removed (a revoked or expired grant) and granted again is kicked
// at once with the endpoint it had: its client keeps its old session and
// would otherwise wait 15 s for its own handshake retry.
func TestRuntimeKicksAReturningPeer(t *testing.T) {
	h := newHarness(t, gateway.Options{NoLease: true})
	cliKey := newKey(t)
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	gwPort := fmt.Sprint(pc.LocalAddr().(*net.UDPAddr).Port)
	pc.Close()
	withPort := func(st api.GatewayState) api.GatewayState {
		st.Network.ListenPort, _ = strconv.Atoi(gwPort)
		return st
	}
	h.apply(withPort(state(1, t0, 0, peer(cliKey, "10.77.0.2/32", nil))))
	// The client reaches out first: the gateway learns its endpoint.
	tdev, _, err := netstack.CreateNetTUN([]netip.Addr{netip.MustParseAddr("10.77.0.2")}, nil, 1420)
	if err != nil {
		t.Fatal(err)
	}
	cli := device.NewDevice(tdev, conn.NewDefaultBind(), device.NewLogger(device.LogLevelSilent, ""))
	t.Cleanup(cli.Close)
	if err := cli.IpcSet(fmt.Sprintf("private_key=%s\nlisten_port=0\npublic_key=%s\nendpoint=127.0.0.1:%s\nallowed_ip=10.77.0.0/24\npersistent_keepalive_interval=1\n",
		cliKey.priv.Hex(), h.rt.PublicKey().Hex(), gwPort)); err != nil {
		t.Fatal(err)
	}
	if err := cli.Up(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the client's handshake", func() bool { return h.rt.DevicePeers()[cliKey.pub()].Endpoint != "" })
	cliPort := listenPort(t, cli)
	h.apply(withPort(state(2, t0, 0)))
	h.back.take()
	h.apply(withPort(state(3, t0, 0, peer(cliKey, "10.77.0.2/32", nil))))
	if s := h.back.take(); !strings.Contains(s, "endpoint=127.0.0.1:"+cliPort+"\npersistent_keepalive_interval=5\n") {
		t.Fatalf("the returning peer was not kicked at its endpoint:\n%s", s)
	}
}
