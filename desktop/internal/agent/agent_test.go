package agent_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gatepass.dev/backend/backendtest"
	"gatepass.dev/desktop/internal/agent"
	"gatepass.dev/desktop/internal/localapi"
	"gatepass.dev/shared/api"
	"gatepass.dev/shared/client"
	"gatepass.dev/shared/wgkey"
)

func TestSignInRegistersPublicKeyOnly(t *testing.T) {
	h := newHarness(t, hopt{})
	st, err := h.lc.Status(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if !st.SignedIn || st.User == nil || st.User.Email != userEmail || st.Server != h.srv.URL {
		t.Fatalf("status after login: signed_in=%v user=%v server=%q", st.SignedIn, st.User, st.Server)
	}
	// The private key file: 0600, in the state dir.
	keys, _ := filepath.Glob(filepath.Join(h.dir, "keys", "*.key"))
	if len(keys) != 1 {
		t.Fatalf("key files: %v", keys)
	}
	fi, err := os.Stat(keys[0])
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("private key file mode %v, want 0600", fi.Mode().Perm())
	}
	b, _ := os.ReadFile(keys[0])
	priv, err := wgkey.Parse(strings.TrimSpace(string(b)))
	if err != nil {
		t.Fatal(err)
	}
	// The backend knows the public half only.
	devs, err := h.user.Devices(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if len(devs) != 1 {
		t.Fatalf("devices on the backend: %d", len(devs))
	}
	if devs[0].PublicKey != priv.Public().String() {
		t.Errorf("backend device key %q, want the local key's public half %q", devs[0].PublicKey, priv.Public().String())
	}
	if devs[0].PublicKey == priv.String() {
		t.Fatal("the private key was registered")
	}
	if st.Device == nil || st.Device.ID != devs[0].ID || st.Device.PublicKey != devs[0].PublicKey {
		t.Errorf("status device %+v, backend %+v", st.Device, devs[0])
	}
	// Neither the private key nor the token ever appears in the LocalAPI.
	raw, _ := json.Marshal(st)
	tok, err := (&agent.FileStore{Path: filepath.Join(h.dir, "credentials.json")}).Get(h.srv.URL, userEmail)
	if err != nil || tok == "" {
		t.Fatalf("token not stored: %v", err)
	}
	for what, secret := range map[string]string{"private key (base64)": priv.String(), "private key (hex)": priv.Hex(), "token": tok} {
		if strings.Contains(string(raw), secret) {
			t.Errorf("the %s appears in the status JSON", what)
		}
	}
	// Nor in the files that are not its own.
	for _, f := range []string{"prefs.json", "session.json"} {
		b, _ := os.ReadFile(filepath.Join(h.dir, f))
		if strings.Contains(string(b), priv.String()) || strings.Contains(string(b), tok) {
			t.Errorf("%s holds a secret", f)
		}
	}
	if fi, err := os.Stat(filepath.Join(h.dir, "credentials.json")); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("credentials file: %v %v", fi.Mode(), err)
	}
	// Signing in again reuses the device.
	h.login()
	if devs, _ := h.user.Devices(t.Context()); len(devs) != 1 {
		t.Errorf("devices after a second sign-in: %d", len(devs))
	}
}

func TestLifecycleThroughLocalAPI(t *testing.T) {
	h := newHarness(t, hopt{})
	ctx := t.Context()
	st := waitStatus(t, h.a, "the network listed", stateIs(netName, api.StateRequest))
	if n := netOf(st, netName); n.Connected || n.Request != nil {
		t.Fatalf("fresh network: %+v", n)
	}

	// A LocalAPI watcher sees the full status first, then every change.
	watched := make(chan localapi.Status, 256)
	wctx, wcancel := context.WithCancel(ctx)
	defer wcancel()
	go h.lc.Watch(wctx, func(st localapi.Status) error { watched <- st; return nil }) //nolint:errcheck
	waitWatched(t, watched, "request", stateIs(netName, api.StateRequest))

	st, err := h.lc.Request(ctx, netName, "fix the build server", 8*time.Hour)
	if err != nil {
		t.Fatalf("request: %v", err)
	}
	n := netOf(st, netName)
	if n.State != api.StatePending || n.Request == nil || n.Request.DurationSeconds != 8*3600 {
		t.Fatalf("after request: %+v", n)
	}
	waitWatched(t, watched, "pending", stateIs(netName, api.StatePending))

	req, err := h.admin.Approve(ctx, n.Request.ID, 8*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	// Active through the watch stream alone: no clock moved, no poll ran.
	st = waitWatched(t, watched, "active", stateIs(netName, api.StateActive))
	n = netOf(st, netName)
	if n.ExpiresAt == nil || !n.ExpiresAt.Equal(*req.ExpiresAt) {
		t.Fatalf("expires_at %v, want %v", n.ExpiresAt, req.ExpiresAt)
	}
	// Connect on approval (default on): the agent fetched the tunnel config
	// and brought the tunnel up.
	h.waitTunnel(netName, true)
	cfg, _ := h.tb.IsUp(netName)
	devs, _ := h.user.Devices(ctx)
	if want := devs[0].Addresses[h.net.ID]; cfg.Address.String() != want {
		t.Errorf("tunnel address %v, want %s", cfg.Address, want)
	}
	if cfg.GatewayPublicKey.IsZero() || cfg.Endpoint == "" || len(cfg.AllowedIPs) == 0 {
		t.Errorf("tunnel config incomplete: %+v", cfg)
	}
	if cfg.PrivateKey.Public().String() != devs[0].PublicKey {
		t.Errorf("tunnel uses another key than the registered one")
	}
	st = waitWatched(t, watched, "connected", func(st localapi.Status) bool { return netOf(st, netName).Connected })
	if n := netOf(st, netName); !n.WantConnected || n.Tunnel == nil || n.Address == "" {
		t.Errorf("connected network: %+v", n)
	}
	if st.TunnelMode != "netstack" || st.SOCKS5 == "" || st.HTTPProxy == "" {
		t.Errorf("status: mode %q, proxies %q %q", st.TunnelMode, st.SOCKS5, st.HTTPProxy)
	}
	// Real WireGuard: through the agent's proxy and the tunnel to a
	// service behind the gateway.
	h.mustGet()
	if n := netOf(h.a.Status(), netName); n.Tunnel == nil || n.Tunnel.LastHandshake == nil || n.Tunnel.RxBytes == 0 {
		t.Errorf("tunnel counters after a GET: %+v", n.Tunnel)
	}

	// The grant runs out on the agent's clock: its own timer tears the
	// tunnel down (the server's clock has not moved: no event says so).
	h.clock.Advance(8*time.Hour - time.Second)
	if n := netOf(h.a.Status(), netName); n.State != api.StateActive || !n.Connected {
		t.Fatalf("one second before expiry: state %q connected %v", n.State, n.Connected)
	}
	h.clock.Advance(time.Second)
	h.waitTunnel(netName, false)
	st = waitWatched(t, watched, "request after expiry", stateIs(netName, api.StateRequest))
	if n := netOf(st, netName); n.Connected || n.ExpiresAt != nil {
		t.Errorf("after expiry: %+v", n)
	}
	h.mustNotGet()
	// The server catches up: its expiry changes nothing for the agent, and
	// the gateway drops the peer.
	h.srv.Advance(8 * time.Hour)
	waitStatus(t, h.a, "request recorded as expired", func(st localapi.Status) bool {
		n := netOf(st, netName)
		return n.State == api.StateRequest && n.Request != nil && n.Request.Status == api.StatusExpired
	})
	backendtest.WaitFor(t, "the peer gone from the gateway", func() bool {
		peers, err := h.admin.Peers(ctx, h.net.ID)
		return err == nil && len(peers) == 0
	})
	if len(h.tb.Ups()) != 1 {
		t.Errorf("Up calls: %d, want 1", len(h.tb.Ups()))
	}
}

// waitWatched reads LocalAPI watch messages until one satisfies cond.
func waitWatched(t *testing.T, ch <-chan localapi.Status, what string, cond func(localapi.Status) bool) localapi.Status {
	t.Helper()
	deadline := time.NewTimer(10 * time.Second)
	defer deadline.Stop()
	for {
		select {
		case st := <-ch:
			if cond(st) {
				return st
			}
		case <-deadline.C:
			t.Fatalf("the LocalAPI watch never showed %s", what)
		}
	}
}

func TestExpiryClosesTunnelWithBackendDown(t *testing.T) {
	h := newHarness(t, hopt{})
	h.requestAndApprove(2 * time.Hour)
	h.waitTunnel(netName, true)
	h.srv.Stop()
	waitStatus(t, h.a, "backend unreachable", func(st localapi.Status) bool { return !st.BackendReachable })
	if n := netOf(h.a.Status(), netName); n.State != api.StateActive || !n.Connected {
		t.Fatalf("with the backend down, before expiry: %+v", n)
	}
	h.clock.Advance(2 * time.Hour)
	h.waitTunnel(netName, false)
	waitStatus(t, h.a, "request", stateIs(netName, api.StateRequest))
}

func TestClockSkewNeitherLengthensNorShortens(t *testing.T) {
	for _, skew := range []time.Duration{2 * time.Hour, -2 * time.Hour} {
		t.Run(skew.String(), func(t *testing.T) {
			h := newHarness(t, hopt{skew: skew})
			req := h.requestAndApprove(8 * time.Hour)
			h.waitTunnel(netName, true)
			st := waitStatus(t, h.a, "connected", func(st localapi.Status) bool { return netOf(st, netName).Connected })
			if got := time.Duration(st.ClockOffsetMS) * time.Millisecond; got != -skew {
				t.Fatalf("clock offset %v, want %v", got, -skew)
			}
			if !st.ServerTime.Equal(h.srv.Now()) {
				t.Errorf("status server_time %v, server clock %v", st.ServerTime, h.srv.Now())
			}
			if n := netOf(st, netName); !n.ExpiresAt.Equal(*req.ExpiresAt) {
				t.Errorf("expires_at %v, want the server's %v", n.ExpiresAt, req.ExpiresAt)
			}
			// Not cut short: one second before the server's expires_at,
			// on both clocks, the network is still active and connected.
			h.advance(8*time.Hour - time.Second)
			if !h.srv.Now().Before(*req.ExpiresAt) {
				t.Fatal("test clock arithmetic")
			}
			if n := netOf(h.a.Status(), netName); n.State != api.StateActive || !n.Connected {
				t.Fatalf("1 s before expiry: state %q connected %v", n.State, n.Connected)
			}
			if _, up := h.tb.IsUp(netName); !up {
				t.Fatal("tunnel closed before expiry")
			}
			h.mustGet()
			// Not lengthened: with the backend gone (so no event can do it,
			// and every event it sent has been read once the agent sees the
			// stream end), the agent closes at expires_at on its own skewed
			// clock.
			h.srv.Stop()
			waitStatus(t, h.a, "backend unreachable", func(st localapi.Status) bool { return !st.BackendReachable })
			if n := netOf(h.a.Status(), netName); n.State != api.StateActive || !n.Connected {
				t.Fatalf("1 s before expiry, backend down: state %q connected %v", n.State, n.Connected)
			}
			h.clock.Advance(time.Second)
			h.waitTunnel(netName, false)
			waitStatus(t, h.a, "request", stateIs(netName, api.StateRequest))
			h.mustNotGet()
		})
	}
}

func TestRevocationClosesAtOnce(t *testing.T) {
	h := newHarness(t, hopt{})
	req := h.requestAndApprove(8 * time.Hour)
	h.waitTunnel(netName, true)
	h.mustGet()
	if _, err := h.admin.Revoke(t.Context(), req.ID, "done"); err != nil {
		t.Fatal(err)
	}
	h.waitTunnel(netName, false)
	st := waitStatus(t, h.a, "request", stateIs(netName, api.StateRequest))
	if n := netOf(st, netName); n.Request == nil || n.Request.Status != api.StatusRevoked {
		t.Errorf("after revoke: request %+v", n.Request)
	}
	h.mustNotGet()
}

func TestConnectDisconnectReleaseAndPrefs(t *testing.T) {
	h := newHarness(t, hopt{})
	ctx := t.Context()
	off := false
	if _, err := h.lc.SetPrefs(ctx, localapi.PrefsInput{ConnectOnApproval: &off}); err != nil {
		t.Fatal(err)
	}
	// Not active: connect is refused with a clear message.
	if _, err := h.lc.Connect(ctx, netName); client.StatusOf(err) != 409 {
		t.Fatalf("connect while not active: %v", err)
	}
	h.requestAndApprove(time.Hour)
	waitStatus(t, h.a, "active", stateIs(netName, api.StateActive))
	if n := netOf(h.a.Status(), netName); n.WantConnected || n.Connected {
		t.Fatalf("connect on approval off, yet %+v", n)
	}
	if len(h.tb.Ups()) != 0 {
		t.Fatal("a tunnel came up with connect on approval off")
	}
	st, err := h.lc.Connect(ctx, netName)
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	if n := netOf(st, netName); !n.Connected || !n.WantConnected {
		t.Fatalf("connect answered %+v", n)
	}
	st, err = h.lc.Disconnect(ctx, netName)
	if err != nil {
		t.Fatal(err)
	}
	if n := netOf(st, netName); n.Connected || n.WantConnected {
		t.Fatalf("disconnect answered %+v", n)
	}
	if _, up := h.tb.IsUp(netName); up {
		t.Fatal("tunnel still up after disconnect")
	}
	if _, err := h.lc.Connect(ctx, netName); err != nil {
		t.Fatal(err)
	}
	// Release: the grant ends, the tunnel goes down at once.
	st, err = h.lc.Release(ctx, netName)
	if err != nil {
		t.Fatalf("release: %v", err)
	}
	if n := netOf(st, netName); n.State != api.StateRequest || n.Connected {
		t.Fatalf("after release: %+v", n)
	}
	if _, up := h.tb.IsUp(netName); up {
		t.Fatal("tunnel still up after release")
	}
	// Cancel a pending request.
	if _, err := h.lc.Request(ctx, netName, "again", 0); err != nil {
		t.Fatal(err)
	}
	if _, err := h.lc.Request(ctx, netName, "twice", 0); client.StatusOf(err) != 409 {
		t.Fatalf("second request: %v", err)
	}
	st, err = h.lc.Cancel(ctx, netName)
	if err != nil {
		t.Fatal(err)
	}
	if n := netOf(st, netName); n.State != api.StateRequest || n.Request.Status != api.StatusCancelled {
		t.Fatalf("after cancel: %+v", n)
	}
	// Errors are the LocalAPI's JSON errors.
	if _, err := h.lc.Request(ctx, "nope", "x", 0); client.StatusOf(err) != 404 {
		t.Errorf("unknown network: %v", err)
	}
	if _, err := h.lc.Request(ctx, netName, "  ", 0); client.StatusOf(err) != 400 {
		t.Errorf("no reason: %v", err)
	}
	// The prefs persist across a restart of the agent.
	p, err := h.lc.Prefs(ctx)
	if err != nil || p.ConnectOnApproval {
		t.Fatalf("prefs %+v %v", p, err)
	}
	b, _ := os.ReadFile(filepath.Join(h.dir, "prefs.json"))
	if !strings.Contains(string(b), `"connect_on_approval": false`) {
		t.Errorf("prefs.json: %s", b)
	}
}

func TestResumeAfterRestartAndLogout(t *testing.T) {
	h := newHarness(t, hopt{})
	h.requestAndApprove(4 * time.Hour)
	h.waitTunnel(netName, true)
	// Restart the agent on the same state dir: it resumes the session
	// (token from the store), keeps the device and reconnects the tunnel.
	h.a.Close()
	h.waitTunnel(netName, false)
	a2 := h.newAgent(h.tb)
	lc := serveLocalAPI(t, a2)
	st := waitStatus(t, a2, "resumed and connected", func(st localapi.Status) bool {
		return st.SignedIn && netOf(st, netName).Connected
	})
	if st.User == nil || st.User.Email != userEmail {
		t.Fatalf("resumed user %+v", st.User)
	}
	if devs, _ := h.user.Devices(t.Context()); len(devs) != 1 {
		t.Errorf("devices after restart: %d", len(devs))
	}
	// Logout: tunnels down, token revoked on the backend and forgotten.
	tok, _ := (&agent.FileStore{Path: filepath.Join(h.dir, "credentials.json")}).Get(h.srv.URL, userEmail)
	st, err := lc.Logout(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if st.SignedIn || st.User != nil || len(st.Networks) != 0 || st.Server != h.srv.URL {
		t.Fatalf("after logout: %+v", st)
	}
	if _, up := h.tb.IsUp(netName); up {
		t.Fatal("tunnel up after logout")
	}
	if _, err := (&agent.FileStore{Path: filepath.Join(h.dir, "credentials.json")}).Get(h.srv.URL, userEmail); err == nil {
		t.Error("token kept after logout")
	}
	old := client.New(h.srv.URL, client.WithToken(tok))
	if _, err := old.MyNetworks(t.Context()); client.StatusOf(err) != 401 {
		t.Errorf("old token still valid on the backend: %v", err)
	}
	if _, err := lc.Request(t.Context(), netName, "x", 0); client.StatusOf(err) != 401 {
		t.Errorf("request while signed out: %v", err)
	}
	// Bad credentials are the backend's 401.
	if _, err := lc.Login(t.Context(), h.srv.URL, userEmail, "wrong"); client.StatusOf(err) != 401 {
		t.Errorf("wrong password: %v", err)
	}
}

func TestSignedOutWhenUserDisabled(t *testing.T) {
	h := newHarness(t, hopt{})
	h.requestAndApprove(4 * time.Hour)
	h.waitTunnel(netName, true)
	// An admin disables the user: the grant ends and the token stops
	// working; the agent closes the tunnel and signs out.
	dis := true
	if _, err := h.admin.UpdateUser(t.Context(), h.userID, api.UserPatch{Disabled: &dis}); err != nil {
		t.Fatal(err)
	}
	h.waitTunnel(netName, false)
	st := waitStatus(t, h.a, "signed out", func(st localapi.Status) bool { return !st.SignedIn })
	if st.Message == "" || len(st.Networks) != 0 {
		t.Errorf("after the sign-out: message %q, %d networks", st.Message, len(st.Networks))
	}
	if _, err := (&agent.FileStore{Path: filepath.Join(h.dir, "credentials.json")}).Get(h.srv.URL, userEmail); err == nil {
		t.Error("the dead token is still stored")
	}
}

func TestWatchReconnectsWithBackoff(t *testing.T) {
	h := newHarness(t, hopt{})
	waitStatus(t, h.a, "listed", stateIs(netName, api.StateRequest))
	h.srv.Restart(t)
	// The stream broke; the agent waits for its back-off on its own clock
	// (the only timer of an agent with no active network), then reconnects.
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	if err := h.clock.BlockUntilContext(ctx, 1); err != nil {
		t.Fatalf("the agent never waited to reconnect: %v", err)
	}
	h.clock.Advance(30 * time.Second)
	// Once reconnected, a change made on the backend arrives by the watch.
	h.requestAndApprove(time.Hour)
	waitStatus(t, h.a, "active after reconnect", stateIs(netName, api.StateActive))
	waitStatus(t, h.a, "reachable", func(st localapi.Status) bool { return st.BackendReachable })
}
