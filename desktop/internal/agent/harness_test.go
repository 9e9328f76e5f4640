package agent_test

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"gatepass.dev/backend/backendtest"
	"gatepass.dev/desktop/internal/agent"
	"gatepass.dev/desktop/internal/agent/agenttest"
	"gatepass.dev/desktop/internal/localapi"
	"gatepass.dev/desktop/internal/tunnel"
	"gatepass.dev/shared/api"
	"gatepass.dev/shared/client"
)

const (
	userEmail = "alice@example.com"
	netName   = "office-network"
)

// harness is a real backend (fake clock) whose gateway forwards a test
// service, an agent on its own fake clock (skewed from the server's by
// skew) driving real netstack WireGuard tunnels (recorded), and the
// LocalAPI served on a real unix socket.
type harness struct {
	t      *testing.T
	srv    *backendtest.Server
	clock  *clockwork.FakeClock
	tb     *agenttest.Recorder
	ns     *tunnel.Netstack
	a      *agent.Agent
	dir    string
	lc     *localapi.Client
	admin  *client.Client
	user   *client.Client
	net    api.Network
	userID string
	target string // the test service, reachable only through the tunnel

	connectTimeout time.Duration
}

type hopt struct {
	handler http.Handler // the service behind the gateway; default: serviceBody
	skew    time.Duration
	noLogin bool
	netOpts []backendtest.NetworkOption
	// connectTimeout is the agent's ConnectTimeout (default 10 s).
	connectTimeout time.Duration
}

const serviceBody = "hello from behind the gateway"

func newHarness(t *testing.T, o hopt) *harness {
	t.Helper()
	var handler http.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, serviceBody)
	})
	if o.handler != nil {
		handler = o.handler
	}
	svc := httptest.NewServer(handler)
	t.Cleanup(svc.Close)
	srv := backendtest.NewServer(t, backendtest.WithGatewayDial(backendtest.MapTo(svc.Listener.Addr().String())))
	h := &harness{t: t, srv: srv, dir: t.TempDir(), admin: srv.Admin(t)}
	_, port, _ := strings.Cut(svc.Listener.Addr().String(), ":")
	h.target = "http://" + backendtest.ServiceAddr + ":" + port + "/"
	var u api.User
	h.user, u = srv.NewUser(t, userEmail, api.RoleUser)
	h.userID = u.ID
	netOpts := append([]backendtest.NetworkOption{func(in *api.NetworkInput) {
		r := []string{backendtest.ServiceRoute}
		in.Routes = &r
	}}, o.netOpts...)
	h.net = srv.NewNetwork(t, netName, netOpts...)
	h.clock = clockwork.NewFakeClockAt(srv.Now().Add(o.skew))
	ns, err := tunnel.NewNetstack(tunnel.NetstackOptions{Logf: t.Logf})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ns.Close() })
	h.ns = ns
	h.tb = agenttest.Record(ns)
	h.connectTimeout = o.connectTimeout
	if h.connectTimeout == 0 {
		h.connectTimeout = 10 * time.Second
	}
	h.a = h.newAgent(h.tb)
	h.lc = serveLocalAPI(t, h.a)
	if !o.noLogin {
		h.login()
	}
	return h
}

// get fetches the test service through the agent's HTTP proxy and the
// tunnel; it returns the body, or an error (a refusal of the proxy too).
func (h *harness) get() (string, error) {
	_, httpProxy := h.ns.Proxies()
	proxy, _ := url.Parse("http://" + httpProxy)
	hc := &http.Client{Transport: &http.Transport{Proxy: http.ProxyURL(proxy), DisableKeepAlives: true}, Timeout: 10 * time.Second}
	resp, err := hc.Get(h.target)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("%s: %s", resp.Status, strings.TrimSpace(string(b)))
	}
	return string(b), nil
}

// mustGet asserts the service answers through the tunnel.
func (h *harness) mustGet() {
	h.t.Helper()
	body, err := h.get()
	if err != nil || body != serviceBody {
		h.t.Fatalf("GET through the tunnel: %q %v", body, err)
	}
}

// mustNotGet asserts the service cannot be reached.
func (h *harness) mustNotGet() {
	h.t.Helper()
	if body, err := h.get(); err == nil {
		h.t.Fatalf("GET reached the service without a tunnel: %q", body)
	}
}

func (h *harness) newAgent(backend tunnel.Backend) *agent.Agent {
	h.t.Helper()
	a, err := agent.New(agent.Options{
		StateDir: h.dir, Backend: backend, Clock: h.clock,
		Credentials: &agent.FileStore{Path: filepath.Join(h.dir, "credentials.json")},
		DeviceName:  "laptop", Logger: testLogger(h.t), ConnectTimeout: h.connectTimeout,
	})
	if err != nil {
		h.t.Fatal(err)
	}
	h.t.Cleanup(func() { a.Close() })
	return a
}

func (h *harness) login() {
	h.t.Helper()
	if _, err := h.lc.Login(h.t.Context(), h.srv.URL, userEmail, backendtest.UserPassword); err != nil {
		h.t.Fatalf("login: %v", err)
	}
}

// advance moves both clocks.
func (h *harness) advance(d time.Duration) {
	h.clock.Advance(d)
	h.srv.Advance(d)
}

// serveLocalAPI serves a's LocalAPI on a fresh socket and returns a client.
func serveLocalAPI(t *testing.T, a *agent.Agent) *localapi.Client {
	t.Helper()
	dir, err := os.MkdirTemp("", "gp")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	path := filepath.Join(dir, "s", "gatepassd.sock")
	ln, err := localapi.Listen(path)
	if err != nil {
		t.Fatal(err)
	}
	srv := localapi.NewServer(a, testLogger(t))
	done := make(chan struct{})
	go func() { defer close(done); srv.Serve(ln) }()
	t.Cleanup(func() { srv.Close(); <-done })
	return localapi.NewClient(path)
}

func testLogger(t *testing.T) *slog.Logger {
	if testing.Verbose() {
		return slog.New(slog.NewTextHandler(tlogWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.DiscardHandler)
}

type tlogWriter struct{ t *testing.T }

func (w tlogWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// waitStatus waits, on the agent's own change notifications, until cond
// holds for its status (10 s at most).
func waitStatus(t *testing.T, a *agent.Agent, what string, cond func(localapi.Status) bool) localapi.Status {
	t.Helper()
	updates, stop := a.Subscribe()
	defer stop()
	deadline := time.NewTimer(10 * time.Second)
	defer deadline.Stop()
	var last localapi.Status
	for {
		select {
		case st, ok := <-updates:
			if !ok {
				t.Fatalf("agent closed while waiting for %s", what)
			}
			last = st
			if cond(st) {
				return st
			}
		case <-deadline.C:
			b, _ := json.MarshalIndent(last, "", "  ")
			t.Fatalf("timed out waiting for %s; last status:\n%s", what, b)
		}
	}
}

func netOf(st localapi.Status, name string) localapi.Network {
	n, _ := st.NetworkByName(name)
	return n
}

func stateIs(name string, s api.NetworkState) func(localapi.Status) bool {
	return func(st localapi.Status) bool { return netOf(st, name).State == s }
}

// waitTunnel waits until the fake backend's tunnel for name is up (or down).
func (h *harness) waitTunnel(name string, up bool) {
	h.t.Helper()
	backendtest.WaitFor(h.t, "tunnel "+name+map[bool]string{true: " up", false: " down"}[up], func() bool {
		_, ok := h.tb.IsUp(name)
		return ok == up
	})
}

// requestAndApprove requests access through the LocalAPI and approves it
// for d as the admin; it returns the approved request.
func (h *harness) requestAndApprove(d time.Duration) api.Request {
	h.t.Helper()
	ctx := h.t.Context()
	st, err := h.lc.Request(ctx, netName, "fix the build server", 8*time.Hour)
	if err != nil {
		h.t.Fatalf("request: %v", err)
	}
	n := netOf(st, netName)
	if n.State != api.StatePending || n.Request == nil {
		h.t.Fatalf("after request: state %q, request %v", n.State, n.Request)
	}
	req, err := h.admin.Approve(ctx, n.Request.ID, d)
	if err != nil {
		h.t.Fatalf("approve: %v", err)
	}
	return req
}
