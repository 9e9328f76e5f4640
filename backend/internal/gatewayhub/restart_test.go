package gatewayhub_test

import (
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"gatepass.dev/backend/backendtest"
	"gatepass.dev/shared/api"
	"gatepass.dev/shared/wgkey"
)

// TestTunnelSurvivesBackendRestart: a restart of gatepass-server during a
// grant keeps the tunnel working (the gateway comes back with the same key
// and port and re-establishes the session at once), and the grant's expiry
// is still enforced after the restart.
func TestTunnelSurvivesBackendRestart(t *testing.T) {
	service := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") }))
	t.Cleanup(service.Close)
	srv := backendtest.NewServer(t, backendtest.WithGatewayDial(backendtest.MapTo(service.Listener.Addr().String())))
	admin := srv.Admin(t)
	alice, _ := srv.NewUser(t, "alice@example.com", api.RoleUser)
	routes := []string{backendtest.ServiceRoute}
	n := srv.NewNetwork(t, "staging", func(in *api.NetworkInput) { in.Routes = &routes })
	_, port, _ := net.SplitHostPort(service.Listener.Addr().String())
	url := "http://" + net.JoinHostPort(backendtest.ServiceAddr, port) + "/"

	key, _ := wgkey.NewPrivate()
	dev, err := alice.RegisterDevice(t.Context(), "laptop", key.Public().String())
	if err != nil {
		t.Fatal(err)
	}
	req, _ := alice.Request(t.Context(), n.ID, "work", 0)
	if _, err := admin.Approve(t.Context(), req.ID, time.Hour); err != nil {
		t.Fatal(err)
	}
	cfg, err := alice.Tunnel(t.Context(), n.ID, dev.ID)
	if err != nil {
		t.Fatal(err)
	}
	c := newWGClient(t, key, cfg)
	if _, err := c.get(url, 5*time.Second); err != nil {
		t.Fatal(err)
	}
	srv.Restart(t)
	start := time.Now()
	backendtest.WaitFor(t, "the tunnel to work again after the restart", func() bool {
		_, err := c.get(url, 500*time.Millisecond)
		return err == nil
	})
	t.Logf("tunnel back %v after the restart", time.Since(start))
	srv.Advance(time.Hour)
	backendtest.WaitFor(t, "the peer to go at expiry after the restart", func() bool {
		_, ok := srv.Gateway.DevicePeers(n.ID)[key.Public().String()]
		return !ok
	})
	if _, err := c.get(url, 500*time.Millisecond); err == nil {
		t.Fatal("the tunnel works after expiry")
	}
}
