//go:build linux

package gatewaye2e

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"gatepass.dev/shared/api"
	"gatepass.dev/shared/client"
	"gatepass.dev/shared/netnstest"
)

// The world of the tests, four namespaces:
//
//	S "server"       gatepass-server on :8080
//	G "site"         gatepass-gateway (netstack), WireGuard on 198.18.3.1:51820
//	V "service"      HTTP on 198.19.0.10:80, behind the gateway
//	C "client"       gatepassd (netstack, proxies on 127.0.0.1) and a stock
//	                 wireguard-go + wg client (TUN)
//
//	S 198.18.1.1/30 ── G 198.18.1.2/30     the gateway's control link (cut for the partition)
//	S 198.18.2.1/30 ── C 198.18.2.2/30     the clients' API link
//	G 198.18.3.1/30 ── C 198.18.3.2/30     WireGuard
//	G 198.18.4.1/30 ── V 198.18.4.2/30     the site's network; G routes 198.19.0.0/24 via V
//
// Every address is in 198.18.0.0/15 (the benchmark range) and exists only
// in the test's namespaces; the names carry a random suffix.
const (
	serverForGW   = "http://198.18.1.1:8080" // the server, as the gateway reaches it
	serverForC    = "http://198.18.2.1:8080" // the server, as clients reach it
	gwEndpoint    = "198.18.3.1:51820"
	tunnelCIDR    = "198.18.64.0/24"
	gwTunnelAddr  = "198.18.64.1"
	serviceRoute  = "198.19.0.0/24"
	serviceURL    = "http://198.19.0.10/"
	serviceAnswer = "service behind the remote gateway"
	agentProxy    = "127.0.0.1:3128"

	adminEmail    = "admin@site.example"
	adminPassword = "zq8-Wombat-Filament-62"
	userPassword  = "Orchid-Velvet-Tundra-93"
)

type world struct {
	t          *testing.T
	S, G, V, C string
	bin        string
	dataDir    string
	gwDir      string
	server     *proc
	admin      *client.Client
}

func newWorld(t *testing.T) *world {
	t.Helper()
	requireRoot(t)
	id := randomID()
	w := &world{t: t}
	w.S = netns(t, "gpgw-"+id+"-s")
	w.G = netns(t, "gpgw-"+id+"-g")
	w.V = netns(t, "gpgw-"+id+"-v")
	w.C = netns(t, "gpgw-"+id+"-c")
	link(t, w.S, "s-g", "198.18.1.1/30", w.G, "g-s", "198.18.1.2/30")
	link(t, w.S, "s-c", "198.18.2.1/30", w.C, "c-s", "198.18.2.2/30")
	link(t, w.G, "g-c", "198.18.3.1/30", w.C, "c-g", "198.18.3.2/30")
	link(t, w.G, "g-v", "198.18.4.1/30", w.V, "v-g", "198.18.4.2/30")
	ipCmd(t, "-n", w.V, "addr", "add", "198.19.0.10/32", "dev", "lo")
	ipCmd(t, "-n", w.G, "route", "add", serviceRoute, "via", "198.18.4.2")

	svc := netnstest.Listen(t, w.V, "198.19.0.10:80")
	srv := &http.Server{ReadHeaderTimeout: 5 * time.Second, Handler: http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/who" {
			io.WriteString(rw, r.RemoteAddr) // who the service sees
			return
		}
		io.WriteString(rw, serviceAnswer)
	})}
	go srv.Serve(svc)
	t.Cleanup(func() { srv.Close() })

	w.bin = buildBinaries(t)
	w.dataDir = t.TempDir()
	w.gwDir = filepath.Join(t.TempDir(), "gateway-state")
	w.startServer()
	w.admin = w.client()
	if _, err := w.admin.Login(t.Context(), adminEmail, adminPassword); err != nil {
		t.Fatalf("admin login: %v\n%s", err, w.server.logs())
	}
	return w
}

// startServer starts gatepass-server in S on the data directory and waits
// for /healthz from C.
func (w *world) startServer() {
	w.t.Helper()
	w.server = start(w.t, "gatepass-server", w.S, []string{"GATEPASS_ADMIN_EMAIL=" + adminEmail, "GATEPASS_ADMIN_PASSWORD=" + adminPassword},
		filepath.Join(w.bin, "gatepass-server"), "--listen", "0.0.0.0:8080", "--public-url", serverForC, "--data-dir", w.dataDir)
	hc := w.httpClient(2 * time.Second)
	waitFor(w.t, 20*time.Second, "the server's /healthz from C", func() error {
		_, err := get(hc, serverForC+"/healthz")
		return err
	}, w.server)
}

// httpClient dials from C.
func (w *world) httpClient(timeout time.Duration) *http.Client {
	return &http.Client{Timeout: timeout, Transport: &http.Transport{Proxy: nil, DialContext: netnstest.Dialer(w.C), DisableKeepAlives: true}}
}

// client is an API client in C.
func (w *world) client() *client.Client {
	return client.New(serverForC, client.WithHTTPClient(w.httpClient(10*time.Second)))
}

// user creates a user and returns their signed-in client.
func (w *world) user(email string) *client.Client {
	w.t.Helper()
	if _, err := w.admin.CreateUser(w.t.Context(), api.UserInput{Email: email, Name: strings.Split(email, "@")[0], Role: api.RoleUser, Password: userPassword}); err != nil {
		w.t.Fatal(err)
	}
	c := w.client()
	if _, err := c.Login(w.t.Context(), email, userPassword); err != nil {
		w.t.Fatal(err)
	}
	return c
}

// startGateway starts gatepass-gateway in G on its state directory.
func (w *world) startGateway(args ...string) *proc {
	w.t.Helper()
	argv := append([]string{filepath.Join(w.bin, "gatepass-gateway"), "up", "--server", serverForGW, "--state-dir", w.gwDir,
		"--mode", "netstack", "--log-level", "debug"}, args...)
	return start(w.t, "gatepass-gateway", w.G, nil, argv...)
}

// grant files a request of u on network and has the admin approve it for
// d; it returns the request and the instant the approval was sent.
func (w *world) grant(u *client.Client, networkID string, d time.Duration) (api.Request, time.Time) {
	w.t.Helper()
	req, err := u.Request(w.t.Context(), networkID, "work at the site", 0)
	if err != nil {
		w.t.Fatal(err)
	}
	sent := time.Now()
	r, err := w.admin.Approve(w.t.Context(), req.ID, d)
	if err != nil {
		w.t.Fatal(err)
	}
	return r, sent
}

// get returns the body of a GET that answered 200.
func get(hc *http.Client, u string) (string, error) {
	resp, err := hc.Get(u)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return "", err
	}
	if resp.StatusCode != http.StatusOK {
		return string(b), fmt.Errorf("GET %s: %s", u, resp.Status)
	}
	return string(b), nil
}

// throughService is a GET of the service behind the gateway with hc: nil
// when the service answered.
func throughService(hc *http.Client) error {
	body, err := get(hc, serviceURL)
	if err == nil && body != serviceAnswer {
		err = fmt.Errorf("unexpected answer %q", body)
	}
	return err
}

// agent is gatepassd in C (netstack tunnels behind local proxies), driven
// through its CLI.
type agent struct {
	w    *world
	p    *proc
	sock string
	http *http.Client // through the agent's HTTP proxy
}

func (w *world) startAgent(email string) *agent {
	w.t.Helper()
	dir, err := os.MkdirTemp("", "gpgw") // short: a socket path has ≤ 107 bytes
	if err != nil {
		w.t.Fatal(err)
	}
	w.t.Cleanup(func() { os.RemoveAll(dir) })
	a := &agent{w: w, sock: filepath.Join(dir, "gatepassd.sock")}
	a.p = start(w.t, "gatepassd", w.C, nil, filepath.Join(w.bin, "gatepassd"), "run", "--tunnel", "netstack", "--server", serverForC,
		"--socket", a.sock, "--state-dir", filepath.Join(dir, "state"), "--socks5", "127.0.0.1:1080", "--http-proxy", agentProxy,
		"--credential-store", "file", "--log-level", "debug")
	waitFor(w.t, 15*time.Second, "the agent's LocalAPI", func() error { _, err := a.cli(""); return err }, a.p)
	if out, err := a.cli(userPassword+"\n", "login", "--server", serverForC, "--email", email, "--password-stdin"); err != nil {
		w.t.Fatalf("%v\n%s", err, a.p.logs())
	} else if !strings.Contains(out, email) {
		w.t.Fatalf("login: %q", out)
	}
	proxy, _ := url.Parse("http://" + agentProxy)
	a.http = &http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{Proxy: http.ProxyURL(proxy), DialContext: netnstest.Dialer(w.C), DisableKeepAlives: true}}
	return a
}

func (a *agent) cli(stdin string, args ...string) (string, error) {
	if len(args) == 0 {
		args = []string{"status"}
	}
	ctx, cancel := context.WithTimeout(a.w.t.Context(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, filepath.Join(a.w.bin, "gatepassd"), append(args, "--socket", a.sock)...)
	cmd.Stdin = strings.NewReader(stdin)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil {
		return out.String(), fmt.Errorf("gatepassd %s: %v: %s", args[0], err, strings.TrimSpace(errOut.String()))
	}
	return out.String(), nil
}

// stockClient is a WireGuard client nobody here wrote: wireguard-go with a
// TUN interface in C, configured with wg(8) from the server's wg-quick file.
type stockClient struct {
	w     *world
	iface string
	priv  string
	pub   string
	http  *http.Client
}

func (w *world) startStockClient() *stockClient {
	w.t.Helper()
	requireStockWireGuard(w.t)
	s := &stockClient{w: w, iface: "wgc" + randomID(), http: w.httpClient(time.Second)}
	priv, err := exec.Command("wg", "genkey").Output()
	if err != nil {
		w.t.Fatalf("wg genkey: %v", err)
	}
	s.priv = strings.TrimSpace(string(priv))
	cmd := exec.Command("wg", "pubkey")
	cmd.Stdin = strings.NewReader(s.priv + "\n")
	pub, err := cmd.Output()
	if err != nil {
		w.t.Fatalf("wg pubkey: %v", err)
	}
	s.pub = strings.TrimSpace(string(pub))
	p := start(w.t, "wireguard-go", w.C, []string{"WG_I_PREFER_BUGGY_USERSPACE_TO_POLISHED_KMOD=1"}, "wireguard-go", "-f", s.iface)
	w.t.Cleanup(func() { os.Remove("/var/run/wireguard/" + s.iface + ".sock") })
	waitFor(w.t, 10*time.Second, "wireguard-go's interface "+s.iface, func() error {
		out, err := exec.Command("ip", "netns", "exec", w.C, "wg", "show", s.iface).CombinedOutput()
		if err != nil {
			return fmt.Errorf("%v: %s", err, out)
		}
		return nil
	}, p)
	return s
}

var wgQuickOnly = regexp.MustCompile(`(?m)^(Address|DNS)\s*=.*\n`)

// configure applies the server's wg-quick file: the private key filled in,
// Address and DNS (wg-quick's own keys) applied with ip(8), the rest with
// wg setconf; the routes of AllowedIPs into the interface.
func (s *stockClient) configure(conf string) {
	t := s.w.t
	t.Helper()
	addr := regexp.MustCompile(`(?m)^Address\s*=\s*(\S+)`).FindStringSubmatch(conf)
	allowed := regexp.MustCompile(`(?m)^AllowedIPs\s*=\s*(.+)$`).FindStringSubmatch(conf)
	if addr == nil || allowed == nil || !strings.Contains(conf, "PrivateKey = # the device's private key") {
		t.Fatalf("unexpected wg-quick file:\n%s", conf)
	}
	conf = strings.Replace(conf, "PrivateKey = # the device's private key", "PrivateKey = "+s.priv, 1)
	conf = wgQuickOnly.ReplaceAllString(conf, "")
	f := filepath.Join(t.TempDir(), s.iface+".conf")
	if err := os.WriteFile(f, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("ip", "netns", "exec", s.w.C, "wg", "setconf", s.iface, f).CombinedOutput(); err != nil {
		t.Fatalf("wg setconf: %v: %s\n%s", err, out, conf)
	}
	ipCmd(t, "-n", s.w.C, "addr", "replace", addr[1], "dev", s.iface)
	ipCmd(t, "-n", s.w.C, "link", "set", s.iface, "up")
	for _, r := range strings.Split(allowed[1], ",") {
		ipCmd(t, "-n", s.w.C, "route", "replace", strings.TrimSpace(r), "dev", s.iface)
	}
}

// lastLogTime is the time= of a line of slog's text format.
func lastLogTime(line string) (time.Time, error) {
	m := regexp.MustCompile(`time=(\S+)`).FindStringSubmatch(line)
	if m == nil {
		return time.Time{}, fmt.Errorf("no time in %q", line)
	}
	return time.Parse(time.RFC3339Nano, m[1])
}

// gatewayOf returns the gateway of a network as the admin API lists it.
func (w *world) gatewayOf(networkID string) (api.Gateway, error) {
	gws, err := w.admin.Gateways(w.t.Context())
	if err != nil {
		return api.Gateway{}, err
	}
	for _, g := range gws {
		if g.NetworkID == networkID {
			return g, nil
		}
	}
	return api.Gateway{}, fmt.Errorf("no gateway for %s in %+v", networkID, gws)
}
