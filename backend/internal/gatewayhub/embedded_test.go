package gatewayhub_test

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"

	"golang.zx2c4.com/wireguard/conn"
	"golang.zx2c4.com/wireguard/device"
	"golang.zx2c4.com/wireguard/tun/netstack"

	"gatepass.dev/backend/backendtest"
	"gatepass.dev/shared/api"
	"gatepass.dev/shared/client"
	"gatepass.dev/shared/wgkey"
)

// wgClient is a user's device: a wireguard-go device on a netstack, as the
// agent runs it.
type wgClient struct {
	key  wgkey.Key
	dev  *device.Device
	tnet *netstack.Net
}

func newWGClient(t testing.TB, key wgkey.Key, cfg api.TunnelConfig) *wgClient {
	t.Helper()
	addr := netip.MustParsePrefix(cfg.Address).Addr()
	tdev, tnet, err := netstack.CreateNetTUN([]netip.Addr{addr}, []netip.Addr{netip.MustParseAddr(cfg.DNS[0])}, 1420)
	if err != nil {
		t.Fatal(err)
	}
	dev := device.NewDevice(tdev, conn.NewDefaultBind(), device.NewLogger(device.LogLevelSilent, ""))
	gk, err := wgkey.Parse(cfg.GatewayPublicKey)
	if err != nil {
		t.Fatal(err)
	}
	_, port, _ := net.SplitHostPort(cfg.Endpoint)
	uapi := fmt.Sprintf("private_key=%s\npublic_key=%s\nendpoint=127.0.0.1:%s\npersistent_keepalive_interval=%d\n", key.Hex(), gk.Hex(), port, cfg.PersistentKeepalive)
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
	return &wgClient{key: key, dev: dev, tnet: tnet}
}

// get fetches url through the tunnel on a fresh connection.
func (c *wgClient) get(url string, timeout time.Duration) (string, error) {
	hc := &http.Client{Timeout: timeout, Transport: &http.Transport{DialContext: c.tnet.DialContext, DisableKeepAlives: true}}
	r, err := backendtest.Send(hc, "GET", url, "", "", "")
	return string(r.Body), err
}

func TestGatewayEnforcesGrant(t *testing.T) {
	service := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "hello from the staging network") }))
	t.Cleanup(service.Close)
	srv := backendtest.NewServer(t, backendtest.WithGatewayDial(backendtest.MapTo(service.Listener.Addr().String())))
	admin := srv.Admin(t)
	alice, _ := srv.NewUser(t, "alice@example.com", api.RoleUser)
	_, port, _ := net.SplitHostPort(service.Listener.Addr().String())
	serviceURL := "http://" + net.JoinHostPort(backendtest.ServiceAddr, port) + "/"
	routes := []string{backendtest.ServiceRoute}
	n := srv.NewNetwork(t, "staging-internal", func(in *api.NetworkInput) { in.Routes = &routes })

	key, err := wgkey.NewPrivate()
	if err != nil {
		t.Fatal(err)
	}
	dev, err := alice.RegisterDevice(t.Context(), "laptop", key.Public().String())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := alice.Tunnel(t.Context(), n.ID, dev.ID); client.StatusOf(err) != 403 {
		t.Fatalf("tunnel config without a grant: %v, want 403", err)
	}
	req, err := alice.Request(t.Context(), n.ID, "deploy", 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := admin.Approve(t.Context(), req.ID, time.Hour); err != nil {
		t.Fatal(err)
	}
	// The peer is on the gateway by the time the approval is answered.
	if _, ok := srv.Gateway.DevicePeers(n.ID)[key.Public().String()]; !ok {
		t.Fatal("the grant's peer is not on the gateway after the approval")
	}
	cfg, err := alice.Tunnel(t.Context(), n.ID, dev.ID)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Address != "10.100.0.2/32" || cfg.GatewayAddress != "10.100.0.1" || cfg.ExpiresAt == nil || cfg.State != api.StateActive {
		t.Fatalf("tunnel config %+v", cfg)
	}
	c := newWGClient(t, key, cfg)
	body, err := c.get(serviceURL, 5*time.Second)
	if err != nil || body != "hello from the staging network" {
		t.Fatalf("GET through the tunnel: %q %v", body, err)
	}
	status, err := c.get("http://10.100.0.1/", 5*time.Second)
	if err != nil || !strings.Contains(status, "alice@example.com") || !strings.Contains(status, "staging-internal") {
		t.Fatalf("status page: %q %v", status, err)
	}
	peers, err := admin.Peers(t.Context(), n.ID)
	if err != nil || len(peers) != 1 || peers[0].LastHandshake == nil || peers[0].RxBytes == 0 || peers[0].UserEmail != "alice@example.com" {
		t.Fatalf("admin peers: %+v %v", peers, err)
	}

	// At expiry the gateway drops the peer and traffic stops.
	srv.Advance(time.Hour)
	backendtest.WaitFor(t, "the peer to leave the gateway", func() bool {
		_, ok := srv.Gateway.DevicePeers(n.ID)[key.Public().String()]
		return !ok
	})
	if _, err := c.get(serviceURL, 500*time.Millisecond); err == nil {
		t.Fatal("GET through the tunnel still works after expiry")
	}
	if _, err := alice.Tunnel(t.Context(), n.ID, dev.ID); client.StatusOf(err) != 403 {
		t.Fatalf("tunnel config after expiry: %v, want 403", err)
	}
}

func TestGatewayLeavesUnchangedPeersAlone(t *testing.T) {
	srv := backendtest.NewServer(t)
	admin := srv.Admin(t)
	n := srv.NewNetwork(t, "office")
	var keys []wgkey.Key
	for i, email := range []string{"a@example.com", "b@example.com"} {
		u, _ := srv.NewUser(t, email, api.RoleUser)
		k, _ := wgkey.NewPrivate()
		keys = append(keys, k)
		if _, err := u.RegisterDevice(t.Context(), fmt.Sprint("dev", i), k.Public().String()); err != nil {
			t.Fatal(err)
		}
		r, err := u.Request(t.Context(), n.ID, "work", 0)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := admin.Approve(t.Context(), r.ID, time.Duration(i+1)*time.Hour); err != nil {
			t.Fatal(err)
		}
	}
	// A peer Gatepass did not add is left alone by every reconcile.
	foreign, _ := wgkey.NewPrivate()
	if err := srv.Gateway.IpcSetForTest(n.ID, fmt.Sprintf("public_key=%s\nallowed_ip=10.100.0.200/32\n", foreign.Public().Hex())); err != nil {
		t.Fatal(err)
	}
	if err := srv.Gateway.Sync(context.Background()); err != nil {
		t.Fatal(err)
	}
	srv.Advance(time.Hour) // the first grant expires
	backendtest.WaitFor(t, "the first peer to go", func() bool {
		p := srv.Gateway.DevicePeers(n.ID)
		_, first := p[keys[0].Public().String()]
		_, second := p[keys[1].Public().String()]
		_, other := p[foreign.Public().String()]
		return !first && second && other
	})
}

// A device registered while its owner already has a grant is on the gateway
// before the owner can fetch the tunnel config.
func TestGatewayAddsNewDeviceOfActiveGrant(t *testing.T) {
	srv := backendtest.NewServer(t)
	admin := srv.Admin(t)
	alice, _ := srv.NewUser(t, "alice@example.com", api.RoleUser)
	n := srv.NewNetwork(t, "zero-path")
	req, err := alice.Request(t.Context(), n.ID, "maintenance", 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := admin.Approve(t.Context(), req.ID, 30*24*time.Hour); err != nil {
		t.Fatal(err)
	}
	key, _ := wgkey.NewPrivate()
	if _, err := alice.RegisterDevice(t.Context(), "laptop", key.Public().String()); err != nil {
		t.Fatal(err)
	}
	if _, ok := srv.Gateway.DevicePeers(n.ID)[key.Public().String()]; !ok {
		t.Fatal("the new device of an active grant is not on the gateway after its registration")
	}
}
