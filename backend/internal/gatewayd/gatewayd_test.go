package gatewayd_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.zx2c4.com/wireguard/conn"
	"golang.zx2c4.com/wireguard/device"
	"golang.zx2c4.com/wireguard/tun/netstack"

	"gatepass.dev/backend/backendtest"
	"gatepass.dev/backend/internal/gateway"
	"gatepass.dev/backend/internal/gatewayd"
	"gatepass.dev/shared/api"
	"gatepass.dev/shared/client"
	"gatepass.dev/shared/wgkey"
)

// site is a remote gateway run in-process (the program of
// gatepass-gateway, over HTTP to a real server on loopback), with a
// service behind it.
type site struct {
	srv     *backendtest.Server
	admin   *client.Client
	network api.Network
	dir     string
	port    int
	url     string // the service, as peers reach it
	svcAddr string // the service's loopback address

	mu        sync.Mutex
	applied   []api.GatewayState
	onApplied func(api.GatewayState) // set before up
	done      chan error
	cancel    context.CancelFunc
}

func freeUDPPort(t testing.TB) int {
	t.Helper()
	c, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	return c.LocalAddr().(*net.UDPAddr).Port
}

// newSite starts a server with a network "site" whose range is cidr ("":
// the harness's default /24).
func newSite(t testing.TB, cidr string, opts ...backendtest.Option) *site {
	t.Helper()
	service := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "hello from the site") }))
	t.Cleanup(service.Close)
	srv := backendtest.NewServer(t, opts...)
	s := &site{srv: srv, admin: srv.Admin(t), dir: t.TempDir(), port: freeUDPPort(t)}
	routes := []string{backendtest.ServiceRoute}
	s.network = srv.NewNetwork(t, "site", func(in *api.NetworkInput) {
		in.Routes = &routes
		if cidr != "" {
			in.CIDR = &cidr
		}
	})
	_, port, _ := net.SplitHostPort(service.Listener.Addr().String())
	s.url = "http://" + net.JoinHostPort(backendtest.ServiceAddr, port) + "/"
	s.svcAddr = service.Listener.Addr().String()
	return s
}

// add adds a remote gateway to the network (endpoint on loopback).
func (s *site) add(t testing.TB) api.NewGatewayResponse {
	t.Helper()
	ep := net.JoinHostPort("127.0.0.1", strconv.Itoa(s.port))
	out, err := s.admin.AddGateway(t.Context(), s.network.ID, api.GatewayInput{Endpoint: &ep})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// up runs the gateway until stop or the end of the test.
func (s *site) up(t testing.TB, token string, lease time.Duration) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	s.cancel, s.done = cancel, make(chan error, 1)
	dial := backendtest.MapTo(s.svcAddr)
	cfg := gatewayd.Config{Server: s.srv.URL, EnrollToken: token, StateDir: s.dir, Mode: gatewayd.ModeNetstack, Lease: lease,
		Version: "test", Log: slog.New(slog.DiscardHandler), ReportEvery: 100 * time.Millisecond, Backend: gateway.Netstack{Log: slog.New(slog.DiscardHandler), Dial: dial},
		Applied: func(st api.GatewayState) {
			s.mu.Lock()
			s.applied = append(s.applied, st)
			s.mu.Unlock()
			if s.onApplied != nil {
				s.onApplied(st)
			}
		}}
	go func() { s.done <- gatewayd.Up(ctx, cfg) }()
	t.Cleanup(func() { s.stop(t) })
}

func (s *site) stop(t testing.TB) error {
	if s.cancel == nil {
		return nil
	}
	s.cancel()
	s.cancel = nil
	select {
	case err := <-s.done:
		return err
	case <-time.After(10 * time.Second):
		t.Fatal("the gateway did not stop")
		return nil
	}
}

// lastApplied is the last State the gateway applied.
func (s *site) lastApplied() (api.GatewayState, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.applied) == 0 {
		return api.GatewayState{}, false
	}
	return s.applied[len(s.applied)-1], true
}

func (s *site) hasPeer(key string) bool {
	st, ok := s.lastApplied()
	if !ok {
		return false
	}
	for _, p := range st.Peers {
		if p.PublicKey == key {
			return true
		}
	}
	return false
}

// wgClient is a user's device: wireguard-go on a netstack.
type wgClient struct {
	dev  *device.Device
	tnet *netstack.Net
}

func newWGClient(t testing.TB, key wgkey.Key, cfg api.TunnelConfig) *wgClient {
	t.Helper()
	addr := netip.MustParsePrefix(cfg.Address).Addr()
	tdev, tnet, err := netstack.CreateNetTUN([]netip.Addr{addr}, nil, 1420)
	if err != nil {
		t.Fatal(err)
	}
	dev := device.NewDevice(tdev, conn.NewDefaultBind(), device.NewLogger(device.LogLevelSilent, ""))
	gk, err := wgkey.Parse(cfg.GatewayPublicKey)
	if err != nil {
		t.Fatal(err)
	}
	uapi := fmt.Sprintf("private_key=%s\npublic_key=%s\nendpoint=%s\npersistent_keepalive_interval=%d\n", key.Hex(), gk.Hex(), cfg.Endpoint, cfg.PersistentKeepalive)
	for _, a := range cfg.AllowedIPs {
		uapi += "allowed_ip=" + a + "\n"
	}
	if err := dev.IpcSet(uapi); err != nil {
		t.Fatal(err)
	}
	if err := dev.Up(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(dev.Close)
	return &wgClient{dev: dev, tnet: tnet}
}

func (c *wgClient) get(url string, timeout time.Duration) (string, error) {
	hc := &http.Client{Timeout: timeout, Transport: &http.Transport{DialContext: c.tnet.DialContext, DisableKeepAlives: true}}
	resp, err := hc.Get(url)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return string(b), err
}

// grant makes a user with a device, and an approved grant of d.
func (s *site) grant(t testing.TB, email string, d time.Duration) (*client.Client, wgkey.Key, api.Device, string) {
	t.Helper()
	u, _ := s.srv.NewUser(t, email, api.RoleUser)
	key, _ := wgkey.NewPrivate()
	dev, err := u.RegisterDevice(t.Context(), "laptop", key.Public().String())
	if err != nil {
		t.Fatal(err)
	}
	req, err := u.Request(t.Context(), s.network.ID, "work at the site", 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.admin.Approve(t.Context(), req.ID, d); err != nil {
		t.Fatal(err)
	}
	return u, key, dev, req.ID
}

// TestRemoteGatewayEndToEnd: an admin adds a gateway; it enrolls with the
// token (once: the token is refused the second time), takes over the
// network (tunnel configs carry its key and endpoint), admits a granted
// device (traffic to the service behind it flows), reports the peer's
// handshake and bytes to the admin, and drops the peer at revocation.
func TestRemoteGatewayEndToEnd(t *testing.T) {
	s := newSite(t, "", backendtest.WithRealClock())
	added := s.add(t)
	if added.Gateway.Kind != api.GatewayRemote || added.Gateway.Enrolled || !strings.HasPrefix(added.Command, "gatepass-gateway up --server "+s.srv.URL+" --enroll-token "+added.EnrollToken) {
		t.Fatalf("added %+v", added)
	}
	s.up(t, added.EnrollToken, 0)
	backendtest.WaitFor(t, "the gateway to apply its first state", func() bool { _, ok := s.lastApplied(); return ok })

	// The token worked once.
	_, err := s.srv.Client().EnrollGateway(t.Context(), api.GatewayEnrollRequest{EnrollToken: added.EnrollToken, PublicKey: mustKey(t)})
	if client.StatusOf(err) != http.StatusConflict || !strings.Contains(err.Error(), "used already") {
		t.Fatalf("second enrollment with the token: %v, want 409 used already", err)
	}

	u, key, dev, reqID := s.grant(t, "alice@example.com", time.Hour)
	backendtest.WaitFor(t, "the grant's peer on the remote gateway", func() bool { return s.hasPeer(key.Public().String()) })
	cfg, err := u.Tunnel(t.Context(), s.network.ID, dev.ID)
	if err != nil {
		t.Fatal(err)
	}
	gws, err := s.admin.Gateways(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	var remote api.Gateway
	for _, g := range gws {
		if g.NetworkID == s.network.ID {
			remote = g
		}
	}
	if remote.ID != added.Gateway.ID || !remote.Active || remote.Status != api.GatewayOnline || len(gws) != 1 {
		t.Fatalf("gateways after the enrollment: %+v (the embedded one replaced, the remote one active and online)", gws)
	}
	if cfg.GatewayPublicKey != remote.PublicKey || cfg.Endpoint != "127.0.0.1:"+strconv.Itoa(s.port) {
		t.Fatalf("tunnel config %+v: want the remote gateway's key %s and endpoint", cfg, remote.PublicKey)
	}
	c := newWGClient(t, key, cfg)
	body, err := c.get(s.url, 5*time.Second)
	if err != nil || body != "hello from the site" {
		t.Fatalf("GET through the remote gateway: %q %v", body, err)
	}
	status, err := c.get("http://"+cfg.GatewayAddress+"/", 5*time.Second)
	if err != nil || !strings.Contains(status, "alice@example.com") || !strings.Contains(status, "site") {
		t.Fatalf("status page: %q %v", status, err)
	}
	backendtest.WaitFor(t, "the report of the peer's handshake", func() bool {
		peers, err := s.admin.Peers(t.Context(), s.network.ID)
		return err == nil && len(peers) == 1 && peers[0].LastHandshake != nil && peers[0].RxBytes > 0 && peers[0].UserEmail == "alice@example.com"
	})

	if _, err := s.admin.Revoke(t.Context(), reqID, "done"); err != nil {
		t.Fatal(err)
	}
	backendtest.WaitFor(t, "the revoked grant's peer to leave the remote gateway", func() bool { return !s.hasPeer(key.Public().String()) })
	if _, err := c.get(s.url, 500*time.Millisecond); err == nil {
		t.Fatal("the tunnel works after the revocation")
	}
}

// A revoked gateway hears it on its stream, drops every peer at once, ends
// with ErrRevoked and forgets its enrollment; its credential is refused
// from then on.
func TestRevokedGatewayStops(t *testing.T) {
	s := newSite(t, "", backendtest.WithRealClock())
	added := s.add(t)
	s.up(t, added.EnrollToken, 0)
	backendtest.WaitFor(t, "the first state", func() bool { _, ok := s.lastApplied(); return ok })
	cred := readCredential(t, s.dir)
	if err := s.admin.RevokeGateway(t.Context(), added.Gateway.ID); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-s.done:
		s.cancel = nil
		if !errors.Is(err, gatewayd.ErrRevoked) || !strings.Contains(err.Error(), "revoked") {
			t.Fatalf("Up ended with %v, want ErrRevoked", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the gateway did not stop when revoked")
	}
	for _, f := range []string{"credential.json", "private.key", "endpoints.json"} {
		if _, err := os.Stat(filepath.Join(s.dir, f)); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s is still there after the revocation: %v", f, err)
		}
	}
	gc := client.New(s.srv.URL, client.WithToken(cred))
	err := gc.WatchGateway(t.Context(), 0, func(api.GatewayEvent) error { return nil })
	if client.StatusOf(err) != http.StatusUnauthorized {
		t.Fatalf("watch with the revoked credential: %v, want 401", err)
	}
	if _, err := gc.GatewayReport(t.Context(), api.GatewayReport{}); client.StatusOf(err) != http.StatusUnauthorized {
		t.Fatalf("report with the revoked credential: %v, want 401", err)
	}
	// The network has no gateway now: tunnel configs say so.
	u, _ := s.srv.NewUser(t, "bob@example.com", api.RoleAdmin)
	k, _ := wgkey.NewPrivate()
	dev, err := u.RegisterDevice(t.Context(), "laptop", k.Public().String())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := u.Tunnel(t.Context(), s.network.ID, dev.ID); client.StatusOf(err) != http.StatusServiceUnavailable || !strings.Contains(err.Error(), "no gateway") {
		t.Fatalf("tunnel config of a network without a gateway: %v, want 503", err)
	}
}

// Without a word from the server for the lease the gateway drops its JIT
// peers, and gets them back when the server is back.
func TestGatewayLeaseAcrossAServerOutage(t *testing.T) {
	s := newSite(t, "", backendtest.WithRealClock())
	added := s.add(t)
	s.up(t, added.EnrollToken, 2*time.Second)
	backendtest.WaitFor(t, "the first state", func() bool { _, ok := s.lastApplied(); return ok })
	u, key, dev, _ := s.grant(t, "carol@example.com", time.Hour)
	backendtest.WaitFor(t, "the peer on the gateway", func() bool { return s.hasPeer(key.Public().String()) })
	cfg, err := u.Tunnel(t.Context(), s.network.ID, dev.ID)
	if err != nil {
		t.Fatal(err)
	}
	c := newWGClient(t, key, cfg)
	if _, err := c.get(s.url, 5*time.Second); err != nil {
		t.Fatal(err)
	}
	s.srv.Stop()
	stopped := time.Now()
	backendtest.WaitFor(t, "the JIT peer to be dropped after the lease", func() bool {
		_, err := c.get(s.url, 300*time.Millisecond)
		return err != nil
	})
	t.Logf("traffic stopped %v after the server did (lease 2 s)", time.Since(stopped).Round(time.Millisecond))
	s.srv.Restart(t)
	backendtest.WaitFor(t, "traffic to flow again once the server is back", func() bool {
		_, err := c.get(s.url, 300*time.Millisecond)
		return err == nil
	})
}

func mustKey(t testing.TB) string {
	k, err := wgkey.NewPrivate()
	if err != nil {
		t.Fatal(err)
	}
	return k.Public().String()
}

func readCredential(t testing.TB, dir string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "credential.json"))
	if err != nil {
		t.Fatal(err)
	}
	_, rest, _ := strings.Cut(string(b), `"credential": "`)
	cred, _, _ := strings.Cut(rest, `"`)
	return cred
}
