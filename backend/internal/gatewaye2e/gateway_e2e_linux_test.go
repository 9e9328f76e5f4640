//go:build linux

package gatewaye2e

import (
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"gatepass.dev/shared/api"
	"gatepass.dev/shared/client"
)

// cut polls probe (nil: traffic flows) until until, and returns when
// traffic was last seen flowing and when it was first found cut after
// that (zero if it never was).
func cut(probe func() error, until time.Time) (lastOK, cutAt time.Time) {
	for time.Now().Before(until) {
		at := time.Now()
		if probe() == nil {
			lastOK, cutAt = at, time.Time{}
		} else if cutAt.IsZero() {
			cutAt = at
		}
		time.Sleep(10 * time.Millisecond) // the poll interval
	}
	return lastOK, cutAt
}

// flowsAgain starts a probe every 10 ms, each on a fresh connection, until
// one succeeds (or timeout), and returns when that one was started: the
// instant traffic flowed again, to 10 ms, whatever the probes' own
// timeouts.
func flowsAgain(t *testing.T, what string, probe func() error, timeout time.Duration, procs ...*proc) time.Time {
	t.Helper()
	ok := make(chan time.Time, 1)
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		at := time.Now()
		go func() {
			if probe() == nil {
				select {
				case ok <- at:
				default:
				}
			}
		}()
		select {
		case first := <-ok:
			return first
		case <-time.After(10 * time.Millisecond):
		}
		for _, p := range procs {
			if p.exited() {
				t.Fatalf("waiting for %s: %s exited\n%s", what, p.name, p.logs())
			}
		}
	}
	t.Fatalf("timed out after %v waiting for %s", timeout, what)
	return time.Time{}
}

// TestRemoteGatewayAtTheSite runs the whole story with the real binaries in
// four namespaces (see world): an admin adds a gateway for a network; the
// gateway enrolls with the token (which works once) and takes over the
// network; approvals reach it before the clients (the agent and a stock
// wireguard-go + wg client) send their first byte; a revoked grant, an
// expired one, a partition from the server (the lease) and a killed server
// (kill -9 across an expiry) are all enforced at the gateway; a restarted
// gateway re-establishes its peers within a second of reconnecting; a
// revoked gateway is told so, drops every peer at once, exits 78, and its
// credential is refused from then on.
func TestRemoteGatewayAtTheSite(t *testing.T) {
	began := time.Now()
	w := newWorld(t)
	stock := w.startStockClient()
	ctx := t.Context()
	logf := func(format string, args ...any) {
		t.Logf("[%5.1fs] %s", time.Since(began).Seconds(), fmt.Sprintf(format, args...))
	}
	logf("namespaces, binaries and server ready")

	name, cidr, routes, port, jit := "site-net", tunnelCIDR, []string{serviceRoute}, 51820, true
	n, err := w.admin.CreateNetwork(ctx, api.NetworkInput{Name: &name, CIDR: &cidr, Routes: &routes, ListenPort: &port, JITEnabled: &jit})
	if err != nil {
		t.Fatal(err)
	}
	ep := gwEndpoint
	added, err := w.admin.AddGateway(ctx, n.ID, api.GatewayInput{Endpoint: &ep})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(added.Command, "--enroll-token "+added.EnrollToken) {
		t.Fatalf("command %q", added.Command)
	}

	// Enrollment, with a short lease for the partition below.
	gw := w.startGateway("--enroll-token", added.EnrollToken, "--lease", "3s")
	waitFor(t, 20*time.Second, "the gateway to enroll and come online", func() error {
		g, err := w.gatewayOf(n.ID)
		if err == nil && (g.ID != added.Gateway.ID || !g.Active || g.Status != api.GatewayOnline) {
			err = fmt.Errorf("gateway %+v", g)
		}
		return err
	}, gw, w.server)
	logf("gateway enrolled")
	_, err = w.client().EnrollGateway(ctx, api.GatewayEnrollRequest{EnrollToken: added.EnrollToken, PublicKey: stock.pub})
	if client.StatusOf(err) != http.StatusConflict {
		t.Fatalf("the enroll token a second time: %v, want 409", err)
	}

	// The agent: approval → first byte through the remote gateway.
	dana := w.user("dana@site.example")
	ag := w.startAgent("dana@site.example")
	if out, err := ag.cli("", "request", name, "--reason", "maintenance at the site"); err != nil || !strings.Contains(out, "pending") {
		t.Fatalf("request: %q %v", out, err)
	}
	reqs, err := w.admin.AdminRequests(ctx, client.RequestQuery{Status: string(api.StatusPending), Network: n.ID})
	if err != nil || len(reqs.Requests) != 1 {
		t.Fatalf("pending: %+v %v", reqs, err)
	}
	sent := time.Now()
	if _, err := w.admin.Approve(ctx, reqs.Requests[0].ID, time.Hour); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 20*time.Second, "the agent's first byte through the remote gateway", func() error { return throughService(ag.http) }, gw, ag.p)
	logf("agent: approval → first byte through the remote gateway: %v", time.Since(sent).Round(time.Millisecond))
	_ = dana

	// The stock client: its wg-quick file carries the remote gateway's key
	// and endpoint.
	erin := w.user("erin@site.example")
	dev, err := erin.RegisterDevice(ctx, "wg-cli", stock.pub)
	if err != nil {
		t.Fatal(err)
	}
	r1, sent := w.grant(erin, n.ID, time.Hour)
	_, conf, err := erin.Raw(ctx, http.MethodGet, "/api/v1/networks/"+n.ID+"/tunnel?device="+dev.ID+"&format=wg-quick", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	g, _ := w.gatewayOf(n.ID)
	if !strings.Contains(string(conf), "PublicKey = "+g.PublicKey) || !strings.Contains(string(conf), "Endpoint = "+gwEndpoint) {
		t.Fatalf("wg-quick file without the remote gateway's key and endpoint:\n%s", conf)
	}
	stock.configure(string(conf))
	waitFor(t, 20*time.Second, "the stock client's first byte", func() error { return throughService(stock.http) }, gw)
	logf("stock wg client: approval → first byte (config fetched and applied): %v", time.Since(sent).Round(time.Millisecond))

	// A revoked grant is cut at the gateway; the other peer keeps its session.
	mark := gw.out.Len()
	if _, err := w.admin.Revoke(ctx, r1.ID, "done"); err != nil {
		t.Fatal(err)
	}
	revoked := time.Now()
	waitFor(t, 5*time.Second, "the revoked grant's traffic to stop", func() error {
		if throughService(stock.http) == nil {
			return fmt.Errorf("still flows")
		}
		return nil
	}, gw)
	if line, ok := gw.logLine(mark, "peer removed", "erin@site.example"); ok {
		at, _ := lastLogTime(line)
		logf("revoked grant: peer removed at the gateway %v after the admin's call", at.Sub(revoked).Round(time.Millisecond))
	}
	if err := throughService(ag.http); err != nil {
		t.Fatalf("the other peer lost its traffic: %v", err)
	}

	// An expired grant is cut at the gateway at expires_at.
	r2, _ := w.grant(erin, n.ID, 5*time.Second)
	waitFor(t, 10*time.Second, "traffic of the short grant", func() error { return throughService(stock.http) }, gw)
	lastOK, cutAt := cut(func() error { return throughService(stock.http) }, r2.ExpiresAt.Add(3*time.Second))
	logf("expiry (server up): last byte %v before expires_at, cut %v after it", r2.ExpiresAt.Sub(lastOK).Round(time.Millisecond),
		cutAt.Sub(*r2.ExpiresAt).Round(time.Millisecond))
	checkCut(t, "expiry", *r2.ExpiresAt, lastOK, cutAt)

	// Partition: the gateway loses the server; after the lease (3 s) its
	// JIT peers go; they are back once the link is.
	r4, _ := w.grant(erin, n.ID, time.Hour)
	waitFor(t, 10*time.Second, "traffic of the new grant", func() error { return throughService(stock.http) }, gw)
	mark = gw.out.Len()
	ipCmd(t, "-n", w.G, "link", "set", "g-s", "down")
	down := time.Now()
	waitFor(t, 10*time.Second, "the JIT peers to go after the lease", func() error {
		if throughService(stock.http) == nil || throughService(ag.http) == nil {
			return fmt.Errorf("still flows")
		}
		return nil
	}, gw)
	line, ok := gw.logLine(mark, "fail closed")
	if !ok {
		t.Fatalf("the gateway did not say it failed closed\n%s", gw.logs())
	}
	closedAt, _ := lastLogTime(line)
	logf("partition: JIT peers dropped %v after the link went down (lease 3 s)", closedAt.Sub(down).Round(time.Millisecond))
	if d := closedAt.Sub(down); d < 2*time.Second || d > 4*time.Second {
		t.Errorf("the peers went %v after the partition, want at the lease (3 s, pings every 0.75 s)", d)
	}
	ipCmd(t, "-n", w.G, "link", "set", "g-s", "up")
	up := time.Now()
	stockBack := flowsAgain(t, "the stock client's traffic after the partition", func() error { return throughService(stock.http) }, 20*time.Second, gw)
	agentBack := flowsAgain(t, "the agent's traffic after the partition", func() error { return throughService(ag.http) }, 20*time.Second, gw)
	logf("partition healed: traffic back %v (stock client), %v (agent) after the link", stockBack.Sub(up).Round(time.Millisecond),
		agentBack.Sub(up).Round(time.Millisecond))

	// A restarted gateway (no token now) re-establishes its peers within a
	// second of reconnecting. The lease is the server's (60 s) from here.
	gw.stop(t)
	if throughService(stock.http) == nil {
		t.Fatal("traffic flows with the gateway stopped")
	}
	gw = w.startGateway()
	back := flowsAgain(t, "the restarted gateway's traffic", func() error { return throughService(stock.http) }, 20*time.Second, gw)
	line, ok = gw.logLine(0, "state applied")
	if !ok {
		t.Fatalf("no \"state applied\" in the gateway's log\n%s", gw.logs())
	}
	applied, err := lastLogTime(line)
	if err != nil {
		t.Fatal(err)
	}
	logf("gateway restart: traffic back %v after the first state was applied", back.Sub(applied).Round(time.Millisecond))
	if back.Sub(applied) > time.Second {
		t.Errorf("the peers took %v after reconnecting, want within a second", back.Sub(applied))
	}
	if err := throughService(ag.http); err != nil {
		waitFor(t, 5*time.Second, "the agent's traffic after the gateway restart", func() error { return throughService(ag.http) }, gw)
	}

	// The server killed (-9) across an expiry: the gateway still cuts at
	// expires_at, on its own clock.
	if _, err := w.admin.Revoke(ctx, r4.ID, "next"); err != nil {
		t.Fatal(err)
	}
	r3, _ := w.grant(erin, n.ID, 6*time.Second)
	waitFor(t, 10*time.Second, "traffic of the grant that will expire", func() error {
		if _, ok := gw.logLine(0, "peer added", "erin@site.example"); !ok {
			return fmt.Errorf("not on the gateway yet")
		}
		return throughService(stock.http)
	}, gw)
	w.server.signal(syscall.SIGKILL)
	if code := w.server.exitCode(t); code != -1 {
		t.Logf("server exit: %d", code)
	}
	killed := time.Now()
	lastOK, cutAt = cut(func() error { return throughService(stock.http) }, r3.ExpiresAt.Add(3*time.Second))
	logf("expiry with the server killed %v before it: last byte %v before expires_at, cut %v after it",
		r3.ExpiresAt.Sub(killed).Round(time.Millisecond), r3.ExpiresAt.Sub(lastOK).Round(time.Millisecond), cutAt.Sub(*r3.ExpiresAt).Round(time.Millisecond))
	checkCut(t, "expiry with the server down", *r3.ExpiresAt, lastOK, cutAt)
	if !killed.Before(*r3.ExpiresAt) {
		t.Fatalf("the server was killed after the expiry (%v > %v): too slow a machine for this check", killed, r3.ExpiresAt)
	}

	// The server back; then the gateway revoked: told on its stream, every
	// peer dropped at once (dana's grant runs for an hour), exit 78, its
	// credential refused.
	mark = gw.out.Len()
	w.startServer()
	waitFor(t, 60*time.Second, "the gateway to reconnect to the restarted server", func() error {
		if _, ok := gw.logLine(mark, "state applied"); !ok {
			return fmt.Errorf("no state yet")
		}
		return nil
	}, gw)
	if err := throughService(ag.http); err != nil {
		t.Fatalf("the agent's traffic before the gateway's revocation: %v", err)
	}
	cred := readCredential(t, w.gwDir)
	if err := w.admin.RevokeGateway(ctx, added.Gateway.ID); err != nil {
		t.Fatal(err)
	}
	revoked = time.Now()
	if code := gw.exitCode(t); code != 78 {
		t.Fatalf("the revoked gateway exited %d, want 78\n%s", code, gw.logs())
	}
	if !strings.Contains(gw.out.String(), "revoked") {
		t.Errorf("the gateway did not say it was revoked:\n%s", gw.logs())
	}
	logf("gateway revoked: exited %v after the admin's call", time.Since(revoked).Round(time.Millisecond))
	if err := throughService(ag.http); err == nil {
		t.Fatal("traffic flows through a revoked gateway")
	}
	gc := client.New(serverForC, client.WithHTTPClient(w.httpClient(5*time.Second)), client.WithToken(cred))
	if err := gc.WatchGateway(ctx, 0, func(api.GatewayEvent) error { return nil }); client.StatusOf(err) != http.StatusUnauthorized {
		t.Fatalf("the revoked credential: %v, want 401", err)
	}
	if _, err := os.Stat(filepath.Join(w.gwDir, "credential.json")); !os.IsNotExist(err) {
		t.Errorf("the revoked gateway kept its credential: %v", err)
	}
}

// checkCut fails unless traffic flowed until shortly before expires and
// was cut shortly after it.
func checkCut(t *testing.T, what string, expires, lastOK, cutAt time.Time) {
	t.Helper()
	if cutAt.IsZero() {
		t.Fatalf("%s: traffic never stopped (last byte %v after expires_at)", what, lastOK.Sub(expires))
	}
	if lastOK.Before(expires.Add(-1500 * time.Millisecond)) {
		t.Errorf("%s: traffic stopped %v before expires_at", what, expires.Sub(lastOK))
	}
	if cutAt.After(expires.Add(1500 * time.Millisecond)) {
		t.Errorf("%s: traffic flowed until %v after expires_at", what, cutAt.Sub(expires))
	}
}

// readCredential reads the gateway's credential from its state directory.
func readCredential(t *testing.T, dir string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "credential.json"))
	if err != nil {
		t.Fatal(err)
	}
	_, rest, _ := strings.Cut(string(b), `"credential": "`)
	cred, _, _ := strings.Cut(rest, `"`)
	return cred
}

// TestRemoteGatewayTUNMode: gatepass-gateway in tun mode (a kernel
// interface and kernel forwarding at the site): the service sees the
// client's tunnel address (no NAT), the status page answers on the
// gateway's first address, and a revoked gateway's interface goes away.
func TestRemoteGatewayTUNMode(t *testing.T) {
	w := newWorld(t)
	if _, err := os.Stat("/dev/net/tun"); err != nil {
		t.Skipf("no /dev/net/tun: %v", err)
	}
	stock := w.startStockClient()
	ctx := t.Context()
	// The site's way back to the tunnel range: through the gateway host.
	ipCmd(t, "-n", w.V, "route", "add", tunnelCIDR, "via", "198.18.4.1")
	name, cidr, routes, jit := "site-tun", tunnelCIDR, []string{serviceRoute}, true
	n, err := w.admin.CreateNetwork(ctx, api.NetworkInput{Name: &name, CIDR: &cidr, Routes: &routes, JITEnabled: &jit})
	if err != nil {
		t.Fatal(err)
	}
	ep := gwEndpoint
	added, err := w.admin.AddGateway(ctx, n.ID, api.GatewayInput{Endpoint: &ep})
	if err != nil {
		t.Fatal(err)
	}
	gw := w.startGateway("--enroll-token", added.EnrollToken, "--mode", "tun")
	waitFor(t, 20*time.Second, "the gateway's interface gp-51820 in G", func() error {
		out, err := exec.Command("ip", "-n", w.G, "-br", "addr", "show", "dev", "gp-51820").CombinedOutput()
		if err != nil || !strings.Contains(string(out), gwTunnelAddr+"/24") {
			return fmt.Errorf("%v: %s", err, strings.TrimSpace(string(out)))
		}
		return nil
	}, gw)

	erin := w.user("erin@site.example")
	dev, err := erin.RegisterDevice(ctx, "wg-cli", stock.pub)
	if err != nil {
		t.Fatal(err)
	}
	_, sent := w.grant(erin, n.ID, time.Hour)
	_, conf, err := erin.Raw(ctx, http.MethodGet, "/api/v1/networks/"+n.ID+"/tunnel?device="+dev.ID+"&format=wg-quick", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	stock.configure(string(conf))
	var who string
	waitFor(t, 20*time.Second, "the stock client's first byte through the TUN gateway", func() error {
		body, err := get(stock.http, "http://198.19.0.10/who")
		who = body
		return err
	}, gw)
	t.Logf("tun mode: approval → first byte %v", time.Since(sent).Round(time.Millisecond))
	if !strings.HasPrefix(who, "198.18.64.") {
		t.Errorf("the service saw %q, want the client's tunnel address (kernel forwarding, no NAT)", who)
	}
	page, err := get(stock.http, "http://"+gwTunnelAddr+"/")
	if err != nil || !strings.Contains(page, "erin@site.example") {
		t.Fatalf("status page through the TUN gateway: %q %v", page, err)
	}
	if err := w.admin.RevokeGateway(ctx, added.Gateway.ID); err != nil {
		t.Fatal(err)
	}
	if code := gw.exitCode(t); code != 78 {
		t.Fatalf("exit %d, want 78\n%s", code, gw.logs())
	}
	if out, err := exec.Command("ip", "-n", w.G, "link", "show", "gp-51820").CombinedOutput(); err == nil {
		t.Errorf("the revoked gateway's interface is still there:\n%s", out)
	}
	if throughService(stock.http) == nil {
		t.Fatal("traffic flows through a revoked gateway")
	}
}
