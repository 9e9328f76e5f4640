package tunnel

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/netip"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/vishvananda/netlink"
)

// The TUN backend against the netstack test gateway over UDP loopback: a
// plain HTTP GET reaches the gateway through the kernel route to the tun
// interface. Needs root (or CAP_NET_ADMIN) and /dev/net/tun.
//
// The test runs again in a child process in a network namespace of its own
// (loopback only): its interface and routes cannot clash with anything on
// the machine, and no packet to the tunnel's range can ever leave it, even
// a late retransmission after the tunnel is gone.
func TestTUNLinux(t *testing.T) {
	if !Privileged() {
		t.Skip("TUN backend: not root and no CAP_NET_ADMIN")
	}
	if _, err := os.Stat("/dev/net/tun"); err != nil {
		t.Skipf("TUN backend: %v", err)
	}
	if os.Getenv(tunTestNetnsEnv) != "1" {
		runInNetns(t)
		return
	}
	lo, err := netlink.LinkByName("lo")
	if err != nil {
		t.Fatal(err)
	}
	if err := netlink.LinkSetUp(lo); err != nil {
		t.Fatal(err)
	}
	testTUN(t)
}

const tunTestNetnsEnv = "GATEPASS_TUN_TEST_IN_NETNS"

// runInNetns runs the calling test in a child process in a new network
// namespace.
func runInNetns(t *testing.T) {
	cmd := exec.Command(os.Args[0], "-test.run=^"+t.Name()+"$", "-test.v", "-test.count=1")
	cmd.Env = append(os.Environ(), tunTestNetnsEnv+"=1")
	cmd.SysProcAttr = &syscall.SysProcAttr{Cloneflags: syscall.CLONE_NEWNET}
	out, err := cmd.CombinedOutput()
	var exitErr *exec.ExitError
	if err != nil && !errors.As(err, &exitErr) {
		t.Skipf("cannot start a child in a new network namespace: %v", err)
	}
	t.Logf("in a new network namespace:\n%s", out)
	if err != nil {
		t.Fatalf("child: %v", err)
	}
	if !strings.Contains(string(out), "--- PASS: "+t.Name()) {
		t.Fatal("the child did not pass")
	}
}

func testTUN(t *testing.T) {
	gw := newTestGateway(t, "10.77.0.0/24", map[string]netip.Addr{"svc.gatepass.test.": netip.MustParseAddr("10.77.0.1")})
	cfg := gw.clientConfig(t, 2)
	b, err := NewTUN(TUNOptions{Logf: testLogf(t)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	if b.Kind() != "tun" {
		t.Fatalf("Kind = %q", b.Kind())
	}
	if s, h := b.Proxies(); s != "" || h != "" {
		t.Fatalf("Proxies = %q, %q", s, h)
	}
	const name = "tuntest"
	ifname := InterfaceName(name)
	if _, err := netlink.LinkByName(ifname); err == nil {
		t.Fatalf("%s exists before the test", ifname)
	}

	start := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	tun, err := b.Up(ctx, name, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tun.Close() })
	if got := tun.(interface{ InterfaceName() string }).InterfaceName(); got != ifname {
		t.Fatalf("interface %q, want %q", got, ifname)
	}
	link, err := netlink.LinkByName(ifname)
	if err != nil {
		t.Fatal(err)
	}
	// Send to 10.77.0.1 only when the kernel routes it into the tunnel.
	routes, err := netlink.RouteGet(net.ParseIP("10.77.0.1"))
	if err != nil || len(routes) == 0 || routes[0].LinkIndex != link.Attrs().Index {
		t.Fatalf("route to 10.77.0.1 = %+v, %v; want via %s", routes, err, ifname)
	}

	client := &http.Client{
		Transport: &http.Transport{Proxy: nil, DisableKeepAlives: true},
		Timeout:   10 * time.Second,
	}
	resp, err := client.Get("http://10.77.0.1/")
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil || !strings.Contains(string(body), "gateway 10.77.0.1; you are 10.77.0.2:") {
		t.Fatalf("GET http://10.77.0.1/: %q, %v", body, err)
	}
	st := tun.Status()
	if !st.Up || st.LastHandshake.Before(start.Add(-time.Second)) || st.RxBytes == 0 || st.TxBytes == 0 {
		t.Fatalf("status %+v", st)
	}

	if _, err := b.Up(ctx, name, cfg); err == nil {
		t.Fatal("a second tunnel with the same name came up")
	}

	if err := tun.Close(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 5*time.Second, ifname+" removed", func() bool {
		_, err := netlink.LinkByName(ifname)
		return err != nil
	})
	if st := tun.Status(); st.Up {
		t.Fatalf("status after Close: %+v", st)
	}
}
