//go:build linux

// TestTUNEndToEnd runs Gatepass in TUN mode end to end, with the real
// binaries (built into a temp dir with `go build`) in three network
// namespaces created for the test and deleted after it:
//
//	B "client"                     A "gateway"                     C "service"
//	gatepassd run --tunnel tun     gatepass-server --gateway tun   HTTP on 198.19.0.10:80
//	gp-e2e-tun 198.18.64.2/32      gp-51820 198.18.64.1/24         (on lo)
//	veth 198.18.0.2/30 ─────────── veth 198.18.0.1/30
//	                               veth 198.18.0.5/30 ──────────── veth 198.18.0.6/30
//	                               route 198.19.0.0/24 via C       route 198.18.64.0/24 via A
//
// A user's `gatepassd request` is approved by the admin through the API;
// the agent brings its TUN interface up; a plain HTTP GET from B to
// http://198.19.0.10/ goes through B's kernel route into the agent's
// interface, over WireGuard (UDP on the veth) to the gateway's interface in
// A, is forwarded by A's kernel to C, and the answer comes back the same
// way (the service sees the client's tunnel address: no NAT). The gateway's
// status page on http://198.18.64.1/ names the user. The admin revokes:
// the GET fails, the agent shows "request" and not connected, and the
// gateway has no peer left.
//
// Every address is in 198.18.0.0/15 (the benchmark range) or the tunnel,
// and exists only inside the test's namespaces: no packet leaves the
// machine, nothing in the host's namespace changes, and tests running at
// the same time cannot clash (namespace names carry a random suffix; the
// fixed ports are inside those namespaces). The test's own HTTP clients and
// the service's listener open their sockets inside B and C (setns on a
// locked thread); the binaries run under `ip netns exec`.
//
// What a host must allow for TUN mode (and so what this test needs, else
// it is skipped with the reason): root (or CAP_NET_ADMIN) for both
// binaries; /dev/net/tun; iproute2's ip(8) (the gateway configures its
// interface with it); and, on the gateway host, IP forwarding (the gateway
// turns on net.ipv4.ip_forward and net.ipv6.conf.all.forwarding itself), a
// firewall that forwards traffic between the tunnel range and the network's
// routes, rp_filter that accepts the tunnel range on the gp-<port>
// interface (strict mode does: its replies route back through it), and a
// way back from the routed networks to the tunnel range (a route via the
// gateway host, as namespace C has here, or masquerading). The test itself
// also needs `ip netns add` (CAP_SYS_ADMIN, /run/netns) and a Go toolchain
// to build the binaries. Its processes die with it (Pdeathsig); only a test
// killed before its cleanup could leave namespaces behind, named gpe2e-*.

package e2etun

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"gatepass.dev/shared/netnstest"

	"gatepass.dev/desktop/internal/localapi"
	"gatepass.dev/shared/api"
	"gatepass.dev/shared/client"
)

const (
	gwAddr     = "198.18.0.1" // A on the A–B link: the API and the WireGuard endpoint
	clientAddr = "198.18.0.2" // B on the A–B link
	gwToSvc    = "198.18.0.5" // A on the A–C link
	svcLink    = "198.18.0.6" // C on the A–C link
	tunnelCIDR = "198.18.64.0/24"
	gwTunnel   = "198.18.64.1" // the gateway's address in the tunnel: the status page
	svcRoute   = "198.19.0.0/24"
	svcAddr    = "198.19.0.10"
	apiPort    = 8080
	wgPort     = 51820
	netName    = "e2e-tun"

	adminEmail    = "admin@e2e.example"
	adminPassword = "zq8-Wombat-Filament-62"
	userEmail     = "dana@e2e.example"
	userPassword  = "Orchid-Velvet-Tundra-93"
)

var apiURL = "http://" + net.JoinHostPort(gwAddr, strconv.Itoa(apiPort))

func TestTUNEndToEnd(t *testing.T) {
	began := time.Now()
	if testing.Short() {
		t.Skip("TUN end to end: skipped in -short mode")
	}
	if os.Geteuid() != 0 {
		t.Skip("TUN end to end: needs root (network namespaces, TUN devices); CI runs it as root")
	}
	if _, err := os.Stat("/dev/net/tun"); err != nil {
		t.Skipf("TUN end to end: no /dev/net/tun: %v", err)
	}
	if _, err := exec.LookPath("ip"); err != nil {
		t.Skip("TUN end to end: ip(8) of iproute2 not found")
	}
	goTool := goCommand()
	if goTool == "" {
		t.Skip("TUN end to end: no go command to build gatepass-server and gatepassd")
	}

	a, b, c := topology(t)
	t.Logf("namespaces ready (%v)", time.Since(began).Round(time.Millisecond))

	bin := t.TempDir()
	buildBinaries(t, goTool, bin)
	t.Logf("binaries built (%v)", time.Since(began).Round(time.Millisecond))

	// The service behind the gateway, in C: it tells who it sees.
	svc := netnstest.Listen(t, c, net.JoinHostPort(svcAddr, "80"))
	svcSrv := &http.Server{ReadHeaderTimeout: 5 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "service behind the gateway; you are %s\n", r.RemoteAddr)
	})}
	go svcSrv.Serve(svc)
	t.Cleanup(func() { svcSrv.Close() })

	// Every HTTP client of the test dials from B, like the user's machine.
	fromB := &http.Client{
		Transport: &http.Transport{Proxy: nil, DialContext: netnstest.Dialer(b), DisableKeepAlives: true},
		Timeout:   3 * time.Second,
	}

	// The backend with the TUN gateway, in A.
	dataDir := t.TempDir()
	server := start(t, "gatepass-server", []string{"GATEPASS_ADMIN_EMAIL=" + adminEmail, "GATEPASS_ADMIN_PASSWORD=" + adminPassword},
		"ip", "netns", "exec", a, filepath.Join(bin, "gatepass-server"), "--gateway", "tun",
		"--listen", net.JoinHostPort(gwAddr, strconv.Itoa(apiPort)), "--public-url", apiURL, "--data-dir", dataDir)
	waitFor(t, 20*time.Second, "the server's /healthz from namespace B", func() error {
		_, err := get(fromB, apiURL+"/healthz")
		return err
	}, server)
	t.Logf("server up (%v)", time.Since(began).Round(time.Millisecond))

	ctx := t.Context()
	adminTransport := &http.Transport{Proxy: nil, DialContext: netnstest.Dialer(b)}
	t.Cleanup(adminTransport.CloseIdleConnections)
	admin := client.New(apiURL, client.WithHTTPClient(&http.Client{Transport: adminTransport, Timeout: 10 * time.Second}))
	if _, err := admin.Login(ctx, adminEmail, adminPassword); err != nil {
		t.Fatalf("admin login: %v\n%s", err, server.logs())
	}
	user, err := admin.CreateUser(ctx, api.UserInput{Email: userEmail, Name: "Dana", Role: api.RoleUser, Password: userPassword})
	if err != nil {
		t.Fatalf("create user: %v", err)
	}
	name, cidr, routes, port, endpoint, jit := netName, tunnelCIDR, []string{svcRoute}, wgPort, net.JoinHostPort(gwAddr, strconv.Itoa(wgPort)), true
	network, err := admin.CreateNetwork(ctx, api.NetworkInput{Name: &name, CIDR: &cidr, Routes: &routes, ListenPort: &port, Endpoint: &endpoint, JITEnabled: &jit})
	if err != nil {
		t.Fatalf("create network: %v\n%s", err, server.logs())
	}
	gwIface := "gp-" + strconv.Itoa(wgPort)
	waitFor(t, 10*time.Second, "the gateway's interface "+gwIface+" in namespace A", func() error {
		out, err := exec.Command("ip", "-n", a, "-br", "addr", "show", "dev", gwIface).CombinedOutput()
		if err != nil || !strings.Contains(string(out), gwTunnel+"/24") {
			return fmt.Errorf("%v: %s", err, bytes.TrimSpace(out))
		}
		return nil
	}, server)

	// The gateway turned on IPv4 forwarding in its namespace (a new one
	// starts with it off), and not IPv6's: the network is IPv4 only.
	if v := readSysctl(t, a, "/proc/sys/net/ipv4/ip_forward"); v != "1" {
		t.Errorf("net.ipv4.ip_forward in the gateway's namespace = %q, want 1", v)
	}
	if v := readSysctl(t, a, "/proc/sys/net/ipv6/conf/all/forwarding"); v != "" && v != "0" {
		t.Errorf("net.ipv6.conf.all.forwarding in the gateway's namespace = %q, want 0 for an IPv4-only network", v)
	}

	// The agent with the TUN backend, in B. Its socket and state are plain
	// files: the client commands reach it from here.
	agentDir, err := os.MkdirTemp("", "gpe2e") // short: a socket path has ≤ 107 bytes
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(agentDir) })
	sock := filepath.Join(agentDir, "gatepassd.sock")
	gatepassd := filepath.Join(bin, "gatepassd")
	agent := start(t, "gatepassd", nil, "ip", "netns", "exec", b, gatepassd, "run", "--tunnel", "tun",
		"--server", apiURL, "--socket", sock, "--state-dir", filepath.Join(agentDir, "state"),
		"--credential-store", "file", "--log-level", "debug")
	procs := []*proc{server, agent}
	cli := func(stdin string, args ...string) (string, error) {
		cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		cmd := exec.CommandContext(cctx, gatepassd, append(args, "--socket", sock)...)
		cmd.Stdin = strings.NewReader(stdin)
		var out, errOut bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errOut
		if err := cmd.Run(); err != nil {
			return out.String(), fmt.Errorf("gatepassd %s: %v: %s", args[0], err, strings.TrimSpace(errOut.String()))
		}
		return out.String(), nil
	}
	status := func() (localapi.Status, localapi.Network, error) {
		out, err := cli("", "status", "--json")
		if err != nil {
			return localapi.Status{}, localapi.Network{}, err
		}
		var st localapi.Status
		if err := json.Unmarshal([]byte(out), &st); err != nil {
			return st, localapi.Network{}, fmt.Errorf("status --json: %v: %q", err, out)
		}
		n, _ := st.NetworkByName(netName)
		return st, n, nil
	}
	waitFor(t, 15*time.Second, "the agent's LocalAPI", func() error {
		_, err := cli("", "status")
		return err
	}, procs...)
	if out, err := cli(userPassword+"\n", "login", "--server", apiURL, "--email", userEmail, "--password-stdin"); err != nil {
		t.Fatalf("%v\n%s", err, agent.logs())
	} else if !strings.Contains(out, "as "+userEmail) {
		t.Fatalf("login: %q", out)
	}
	st, n, err := status()
	if err != nil || !st.SignedIn || st.TunnelMode != localapi.ModeTUN || n.State != api.StateRequest || n.Connected {
		t.Fatalf("status after login: %+v, network %+v, %v", st, n, err)
	}

	// Request, approve, connected.
	if out, err := cli("", "request", netName, "--reason", "TUN end-to-end test", "--duration", "1h"); err != nil || !strings.Contains(out, "pending") {
		t.Fatalf("request: %q, %v", out, err)
	}
	reqs, err := admin.AdminRequests(ctx, client.RequestQuery{Status: string(api.StatusPending), Network: network.ID})
	if err != nil || len(reqs.Requests) != 1 || reqs.Requests[0].UserID != user.ID {
		t.Fatalf("pending requests: %+v, %v", reqs.Requests, err)
	}
	reqID := reqs.Requests[0].ID
	if _, err := admin.Approve(ctx, reqID, time.Hour); err != nil {
		t.Fatalf("approve: %v", err)
	}
	waitFor(t, 20*time.Second, "status --json to show "+netName+" active and connected", func() error {
		_, n, err = status()
		if err == nil && (n.State != api.StateActive || !n.Connected) {
			err = fmt.Errorf("state %s, connected %v, error %q", n.State, n.Connected, n.Error)
		}
		return err
	}, procs...)
	t.Logf("tunnel up (%v): %s", time.Since(began).Round(time.Millisecond), n.Address)
	clientTunnel := strings.TrimSuffix(n.Address, "/32")
	if !strings.HasPrefix(clientTunnel, "198.18.64.") {
		t.Fatalf("the device's address %q is not in %s", n.Address, tunnelCIDR)
	}
	// B's kernel routes the service into the agent's interface.
	agentIface := "gp-" + netName
	if out, err := exec.Command("ip", "-n", b, "route", "get", svcAddr).CombinedOutput(); err != nil || !strings.Contains(string(out), "dev "+agentIface) {
		t.Fatalf("route to %s in namespace B: %s %v; want dev %s", svcAddr, out, err, agentIface)
	}

	// The service through the tunnel, forwarded by A, unNATed.
	var body string
	waitFor(t, 15*time.Second, "GET http://"+svcAddr+"/ from namespace B", func() error {
		body, err = get(fromB, "http://"+svcAddr+"/")
		return err
	}, procs...)
	if !strings.Contains(body, "service behind the gateway; you are "+clientTunnel+":") {
		t.Fatalf("GET http://%s/: %q", svcAddr, body)
	}
	// The gateway's status page on its tunnel address.
	page, err := get(fromB, "http://"+gwTunnel+"/")
	if err != nil || !strings.Contains(page, userEmail) || !strings.Contains(page, netName) {
		t.Fatalf("status page: %q, %v\n%s", page, err, server.logs())
	}
	peers, err := admin.Peers(ctx, network.ID)
	if err != nil || len(peers) != 1 || peers[0].UserEmail != userEmail || peers[0].LastHandshake == nil || peers[0].RxBytes == 0 {
		t.Fatalf("gateway peers while connected: %+v, %v", peers, err)
	}
	t.Logf("through the tunnel (%v)", time.Since(began).Round(time.Millisecond))

	// Revoke: the GET fails, the agent shows request, the peer is gone.
	if _, err := admin.Revoke(ctx, reqID, "end of the TUN end-to-end test"); err != nil {
		t.Fatalf("revoke: %v", err)
	}
	waitFor(t, 15*time.Second, "the revocation to reach the gateway and the agent", func() error {
		if peers, err := admin.Peers(ctx, network.ID); err != nil || len(peers) != 0 {
			return fmt.Errorf("gateway peers %+v, %v", peers, err)
		}
		if _, n, err := status(); err != nil || n.State != api.StateRequest || n.Connected {
			return fmt.Errorf("agent: state %s, connected %v, %v", n.State, n.Connected, err)
		}
		if body, err := get(fromB, "http://"+svcAddr+"/"); err == nil {
			return fmt.Errorf("the GET still works: %q", body)
		}
		return nil
	}, procs...)
	if out, err := exec.Command("ip", "-n", b, "link", "show", agentIface).CombinedOutput(); err == nil {
		t.Errorf("the agent's interface is still there after the revocation:\n%s", out)
	}
	t.Logf("revoked (%v)", time.Since(began).Round(time.Millisecond))
}

// get returns the body of a GET that answered 200.
func get(hc *http.Client, url string) (string, error) {
	resp, err := hc.Get(url)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return "", err
	}
	if resp.StatusCode != http.StatusOK {
		return string(b), fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	return string(b), nil
}

// goCommand returns the go command on PATH (go test puts its own GOROOT/bin
// first), else "".
func goCommand() string {
	p, err := exec.LookPath("go")
	if err != nil {
		return ""
	}
	return p
}

// buildBinaries builds gatepass-server and gatepassd into dir, at once,
// with the flags of `go test` (so that the packages the other tests and
// `go vet` compiled come from the build cache: only the links are new).
// gatepass-server needs cgo (SQLite); gatepassd is pure Go either way.
func buildBinaries(t *testing.T, goTool, dir string) {
	t.Helper()
	builds := []struct{ out, pkg string }{
		{"gatepass-server", "gatepass.dev/backend/cmd/gatepass-server"},
		{"gatepassd", "gatepass.dev/desktop/cmd/gatepassd"},
	}
	errs := make([]error, len(builds))
	var wg sync.WaitGroup
	for i, bd := range builds {
		wg.Go(func() {
			cmd := exec.Command(goTool, "build", "-o", filepath.Join(dir, bd.out), bd.pkg)
			cmd.Env = os.Environ()
			if bd.out == "gatepass-server" {
				cmd.Env = append(cmd.Env, "CGO_ENABLED=1")
			}
			if out, err := cmd.CombinedOutput(); err != nil {
				errs[i] = fmt.Errorf("go build %s: %v\n%s", bd.pkg, err, out)
			}
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
}

// topology creates the namespaces A (gateway), B (client) and C (service)
// with their links, addresses and routes; they are deleted when the test
// ends. It skips the test if namespaces cannot be created.
func topology(t *testing.T) (a, b, c string) {
	t.Helper()
	var sfx [4]byte
	rand.Read(sfx[:])
	id := hex.EncodeToString(sfx[:])
	a, b, c = "gpe2e-"+id+"-gw", "gpe2e-"+id+"-client", "gpe2e-"+id+"-svc"
	for i, ns := range []string{a, b, c} {
		if out, err := exec.Command("ip", "netns", "add", ns).CombinedOutput(); err != nil {
			if i == 0 {
				t.Skipf("TUN end to end: cannot create a network namespace (ip netns add: %v: %s)", err, bytes.TrimSpace(out))
			}
			t.Fatalf("ip netns add %s: %v: %s", ns, err, out)
		}
		t.Cleanup(func() {
			if out, err := exec.Command("ip", "netns", "delete", ns).CombinedOutput(); err != nil {
				t.Errorf("ip netns delete %s: %v: %s", ns, err, out)
			}
		})
	}
	// Strict reverse-path filtering everywhere, as on a hardened host: the
	// tunnel's packets must arrive on the interfaces their replies leave by.
	for _, ns := range []string{a, b, c} {
		writeSysctl(t, ns, "/proc/sys/net/ipv4/conf/all/rp_filter", "1")
		writeSysctl(t, ns, "/proc/sys/net/ipv4/conf/default/rp_filter", "1")
	}
	for _, args := range [][]string{
		{"-n", a, "link", "set", "lo", "up"},
		{"-n", b, "link", "set", "lo", "up"},
		{"-n", c, "link", "set", "lo", "up"},
		// veth pairs made inside the namespaces: their names clash with nothing.
		{"-n", a, "link", "add", "to-client", "type", "veth", "peer", "name", "to-gw", "netns", b},
		{"-n", a, "link", "add", "to-svc", "type", "veth", "peer", "name", "to-gw", "netns", c},
		{"-n", a, "addr", "add", gwAddr + "/30", "dev", "to-client"},
		{"-n", a, "addr", "add", gwToSvc + "/30", "dev", "to-svc"},
		{"-n", b, "addr", "add", clientAddr + "/30", "dev", "to-gw"},
		{"-n", c, "addr", "add", svcLink + "/30", "dev", "to-gw"},
		{"-n", c, "addr", "add", svcAddr + "/32", "dev", "lo"},
		{"-n", a, "link", "set", "to-client", "up"},
		{"-n", a, "link", "set", "to-svc", "up"},
		{"-n", b, "link", "set", "to-gw", "up"},
		{"-n", c, "link", "set", "to-gw", "up"},
		// The gateway host reaches the routed network, and the routed
		// network has its way back to the tunnel range.
		{"-n", a, "route", "add", svcRoute, "via", svcLink},
		{"-n", c, "route", "add", tunnelCIDR, "via", gwToSvc},
	} {
		if out, err := exec.Command("ip", args...).CombinedOutput(); err != nil {
			t.Fatalf("ip %s: %v: %s", strings.Join(args, " "), err, out)
		}
	}
	return a, b, c
}

// writeSysctl writes a /proc/sys file in namespace ns.
func writeSysctl(t *testing.T, ns, path, value string) {
	t.Helper()
	cmd := exec.Command("ip", "netns", "exec", ns, "tee", path)
	cmd.Stdin = strings.NewReader(value + "\n")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("write %s=%s in %s: %v: %s", path, value, ns, err, out)
	}
}

// readSysctl reads a /proc/sys file in namespace ns ("" if it does not
// exist, e.g. IPv6 disabled).
func readSysctl(t *testing.T, ns, path string) string {
	t.Helper()
	out, err := exec.Command("ip", "netns", "exec", ns, "cat", path).Output()
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(out))
}

// proc is a process started for the test.
type proc struct {
	name string
	cmd  *exec.Cmd
	out  syncBuffer
	done chan struct{}
	err  error
}

func (p *proc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

func (p *proc) logs() string {
	s := p.name + " log:\n" + p.out.String()
	if p.exited() {
		s += fmt.Sprintf("\n(%s exited: %v)", p.name, p.err)
	}
	return s
}

// start starts a process with env added to a clean environment (no
// GATEPASS_* of the caller's); it is stopped (SIGTERM, then SIGKILL) when
// the test ends, and its output is logged if the test failed.
func start(t *testing.T, name string, env []string, argv ...string) *proc {
	t.Helper()
	p := &proc{name: name, done: make(chan struct{})}
	p.cmd = exec.Command(argv[0], argv[1:]...)
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "GATEPASS_") {
			p.cmd.Env = append(p.cmd.Env, kv)
		}
	}
	p.cmd.Env = append(p.cmd.Env, env...)
	p.cmd.Stdout, p.cmd.Stderr = &p.out, &p.out
	// Its own process group, and killed if the test process dies first
	// (`ip netns exec` execs the binary: the pid stays the same).
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	go func() {
		p.err = p.cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		if !p.exited() {
			_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGTERM)
			select {
			case <-p.done:
			case <-time.After(10 * time.Second):
				t.Errorf("%s did not stop within 10 s of SIGTERM: killed", name)
				_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
				<-p.done
			}
		}
		if t.Failed() {
			t.Log(p.logs())
		}
	})
	return p
}

// waitFor polls cond until it returns nil, failing the test with cond's
// last error at the deadline, or as soon as one of the processes has
// exited (with their logs).
func waitFor(t *testing.T, timeout time.Duration, what string, cond func() error, procs ...*proc) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		err := cond()
		if err == nil {
			return
		}
		for _, q := range procs {
			if q.exited() {
				t.Fatalf("waiting for %s: %s exited: %v\n%s", what, q.name, q.err, q.logs())
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s: %v", timeout, what, err)
		}
		time.Sleep(50 * time.Millisecond) // the poll interval, not a wait for an event
	}
}

// syncBuffer is a bytes.Buffer safe for a process's output.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (w *syncBuffer) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}

func (w *syncBuffer) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.String()
}
