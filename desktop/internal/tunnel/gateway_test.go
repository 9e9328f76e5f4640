package tunnel

import (
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"gatepass.dev/shared/wgkey"
	"golang.org/x/net/dns/dnsmessage"
	"golang.zx2c4.com/wireguard/conn"
	"golang.zx2c4.com/wireguard/device"
	"golang.zx2c4.com/wireguard/tun/netstack"
)

// testGateway is the far end of a tunnel in tests: a wireguard-go device
// on its own netstack, listening on UDP loopback, serving HTTP on port 80
// and DNS on port 53 at the first address of its network.
type testGateway struct {
	key      wgkey.Key
	prefix   netip.Prefix // e.g. 10.77.0.0/24
	ip       netip.Addr   // e.g. 10.77.0.1
	endpoint string       // 127.0.0.1:port
	dev      *device.Device
	tnet     *netstack.Net
	hits     atomic.Int64 // requests served on port 80
}

// newTestGateway starts a gateway for prefix whose DNS answers names (A
// records; any other name gets NXDOMAIN).
func newTestGateway(t *testing.T, prefix string, names map[string]netip.Addr) *testGateway {
	t.Helper()
	gw := &testGateway{prefix: netip.MustParsePrefix(prefix)}
	gw.ip = gw.prefix.Addr().Next()
	var err error
	if gw.key, err = wgkey.NewPrivate(); err != nil {
		t.Fatal(err)
	}
	tdev, tnet, err := newNetstackTUN([]netip.Addr{gw.ip}, nil, 1420)
	if err != nil {
		t.Fatal(err)
	}
	gw.tnet = tnet
	gw.dev = device.NewDevice(tdev, conn.NewDefaultBind(), device.NewLogger(device.LogLevelSilent, ""))
	if err := gw.dev.IpcSet("private_key=" + gw.key.Hex() + "\nlisten_port=0\n"); err != nil {
		t.Fatal(err)
	}
	if err := gw.dev.Up(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		tdev.quiesce()
		gw.dev.Close()
	})
	uapi, err := gw.dev.IpcGet()
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(uapi, "\n") {
		if v, ok := strings.CutPrefix(line, "listen_port="); ok {
			gw.endpoint = "127.0.0.1:" + v
		}
	}
	if gw.endpoint == "" {
		t.Fatal("gateway has no listen port")
	}

	// HTTP on :80.
	ln, err := tnet.ListenTCP(&net.TCPAddr{Port: 80})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		gw.hits.Add(1)
		fmt.Fprintf(w, "gateway %s; you are %s", gw.ip, r.RemoteAddr)
	})
	mux.HandleFunc("/headers", func(w http.ResponseWriter, r *http.Request) {
		r.Header.Write(w) //nolint:errcheck // the request's headers, as received
	})
	mux.HandleFunc("/stream", func(w http.ResponseWriter, r *http.Request) {
		// An endless download, bounded in time so it always stops.
		chunk := []byte(strings.Repeat("x", 16<<10))
		stop := time.After(30 * time.Second)
		rc := http.NewResponseController(w)
		for {
			if _, err := w.Write(chunk); err != nil {
				return
			}
			rc.Flush() //nolint:errcheck
			select {
			case <-r.Context().Done():
				return
			case <-stop:
				return
			default:
			}
		}
	})
	srv := &http.Server{Handler: mux}
	go srv.Serve(ln) //nolint:errcheck
	t.Cleanup(func() { srv.Close() })

	// DNS on :53.
	pc, err := tnet.ListenUDP(&net.UDPAddr{Port: 53})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pc.Close() })
	go serveTestDNS(pc, names)
	return gw
}

// addPeer lets key in with address addr (e.g. 10.77.0.2/32).
func (gw *testGateway) addPeer(t *testing.T, key wgkey.Key, addr netip.Prefix) {
	t.Helper()
	if err := gw.dev.IpcSet("public_key=" + key.Hex() + "\nallowed_ip=" + addr.String() + "\n"); err != nil {
		t.Fatal(err)
	}
}

// clientConfig returns a client Config for this gateway and registers the
// client as its peer with the host address n of the network (e.g. 2).
func (gw *testGateway) clientConfig(t *testing.T, n int) Config {
	t.Helper()
	key, err := wgkey.NewPrivate()
	if err != nil {
		t.Fatal(err)
	}
	a := gw.prefix.Addr()
	for range n {
		a = a.Next()
	}
	addr := netip.PrefixFrom(a, a.BitLen())
	gw.addPeer(t, key.Public(), addr)
	return Config{
		PrivateKey:       key,
		Address:          addr,
		GatewayPublicKey: gw.key.Public(),
		Endpoint:         gw.endpoint,
		AllowedIPs:       []netip.Prefix{gw.prefix},
		DNS:              []netip.Addr{gw.ip},
	}
}

func serveTestDNS(pc net.PacketConn, names map[string]netip.Addr) {
	buf := make([]byte, 1500)
	for {
		n, from, err := pc.ReadFrom(buf)
		if err != nil {
			return
		}
		var p dnsmessage.Parser
		h, err := p.Start(buf[:n])
		if err != nil {
			continue
		}
		q, err := p.Question()
		if err != nil {
			continue
		}
		resp := dnsmessage.Message{
			Header:    dnsmessage.Header{ID: h.ID, Response: true, Authoritative: true},
			Questions: []dnsmessage.Question{q},
		}
		ip, ok := names[strings.ToLower(q.Name.String())]
		switch {
		case !ok:
			resp.Header.RCode = dnsmessage.RCodeNameError
		case q.Type == dnsmessage.TypeA && ip.Is4():
			resp.Answers = append(resp.Answers, dnsmessage.Resource{
				Header: dnsmessage.ResourceHeader{Name: q.Name, Type: dnsmessage.TypeA, Class: dnsmessage.ClassINET, TTL: 60},
				Body:   &dnsmessage.AResource{A: ip.As4()},
			})
		}
		out, err := resp.Pack()
		if err != nil {
			continue
		}
		pc.WriteTo(out, from) //nolint:errcheck
	}
}

// hostListener is a real listener on the host's loopback that records
// every connection it accepts.
type hostListener struct {
	ln   net.Listener
	mu   sync.Mutex
	seen []string // remote addresses
}

func newHostListener(t *testing.T) *hostListener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	h := &hostListener{ln: ln}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			h.mu.Lock()
			h.seen = append(h.seen, c.RemoteAddr().String())
			h.mu.Unlock()
			c.Close()
		}
	}()
	return h
}

func (h *hostListener) port() int { return h.ln.Addr().(*net.TCPAddr).Port }

// assertNoOtherConnection connects once itself (a sentinel) and checks,
// once the sentinel is accepted, that nothing else ever was: connections
// are accepted in order, so an earlier one would be seen first.
func (h *hostListener) assertNoOtherConnection(t *testing.T) {
	t.Helper()
	c, err := net.Dial("tcp", h.ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	self := c.LocalAddr().String()
	defer c.Close()
	waitFor(t, 5*time.Second, "sentinel accepted", func() bool {
		h.mu.Lock()
		defer h.mu.Unlock()
		for _, s := range h.seen {
			if s == self {
				return true
			}
		}
		return false
	})
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.seen) != 1 {
		t.Fatalf("host listener saw connections other than the sentinel: %v", h.seen)
	}
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// testLogf logs through t until the test ends (later calls are dropped:
// t.Logf after the end would panic).
func testLogf(t *testing.T) func(string, ...any) {
	var mu sync.Mutex
	done := false
	t.Cleanup(func() { mu.Lock(); done = true; mu.Unlock() })
	return func(format string, args ...any) {
		mu.Lock()
		defer mu.Unlock()
		if !done {
			t.Logf(format, args...)
		}
	}
}
