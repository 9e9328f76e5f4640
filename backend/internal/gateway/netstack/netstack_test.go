package netstack

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/curve25519"
	"golang.org/x/net/dns/dnsmessage"
	"golang.org/x/net/icmp"
	"golang.org/x/net/ipv4"
	"golang.zx2c4.com/wireguard/conn"
	"golang.zx2c4.com/wireguard/device"
	wgnetstack "golang.zx2c4.com/wireguard/tun/netstack"
)

var (
	gatewayIP = netip.MustParseAddr("10.77.0.1")
	clientIP  = netip.MustParseAddr("10.77.0.2")
	network   = netip.MustParsePrefix("10.77.0.0/24")
)

// key is a WireGuard key pair.
type key struct{ private, public [32]byte }

func newKey(t testing.TB) key {
	t.Helper()
	var k key
	rand.Read(k.private[:])
	k.private[0] &= 248
	k.private[31] = k.private[31]&127 | 64
	pub, err := curve25519.X25519(k.private[:], curve25519.Basepoint)
	if err != nil {
		t.Fatal(err)
	}
	copy(k.public[:], pub)
	return k
}

func (k key) privateHex() string { return hex.EncodeToString(k.private[:]) }
func (k key) publicHex() string  { return hex.EncodeToString(k.public[:]) }

// target is where forwarded tests find a host server: listen is the address
// it listens on, route the address peers dial through the tunnel. Normally
// both are a non-loopback address of this host (loopback cannot be routed,
// see the package doc). On a host without one, route is a documentation
// address and Options.Dial maps it to loopback.
type target struct {
	listen, route netip.Addr
	dial          func(ctx context.Context, network, addr string) (net.Conn, error)
}

func findTarget(t testing.TB) target {
	addrs, _ := net.InterfaceAddrs()
	for _, a := range addrs {
		ipn, ok := a.(*net.IPNet)
		if !ok {
			continue
		}
		ip, _ := netip.AddrFromSlice(ipn.IP)
		ip = ip.Unmap()
		if ip.Is4() && !ip.IsLoopback() && !ip.IsLinkLocalUnicast() && !network.Contains(ip) {
			if ln, err := net.Listen("tcp", netip.AddrPortFrom(ip, 0).String()); err == nil {
				ln.Close()
				return target{listen: ip, route: ip}
			}
		}
	}
	route := netip.MustParseAddr("198.51.100.7")
	loopback := netip.MustParseAddr("127.0.0.1")
	var d net.Dialer
	t.Logf("no usable host address: routing %s to %s through Options.Dial", route, loopback)
	return target{listen: loopback, route: route, dial: func(ctx context.Context, network, addr string) (net.Conn, error) {
		ap, err := netip.ParseAddrPort(addr)
		if err == nil && ap.Addr() == route {
			addr = netip.AddrPortFrom(loopback, ap.Port()).String()
		}
		return d.DialContext(ctx, network, addr)
	}}
}

// routeTo is ap (a listener on target.listen) as seen through the tunnel.
func (tg target) routeTo(ap netip.AddrPort) netip.AddrPort {
	return netip.AddrPortFrom(tg.route, ap.Port())
}

// testNet is a gateway (our Stack in a wireguard-go device) and one client
// (wireguard-go's own netstack in another device), talking WireGuard over
// UDP on 127.0.0.1.
type testNet struct {
	stack    *Stack
	gw       *device.Device
	client   *device.Device
	tnet     *wgnetstack.Net
	clientKy key
}

// newTestNet starts the gateway with opts and a client at 10.77.0.2 and, if
// given, at the IPv6 address clientV6.
func newTestNet(t testing.TB, opts Options, clientV6 ...netip.Addr) *testNet {
	t.Helper()
	opts.Address, opts.Prefix = gatewayIP, network
	if opts.Logf == nil {
		opts.Logf = t.Logf
	}
	st, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	tn := &testNet{stack: st, clientKy: newKey(t)}
	t.Cleanup(func() { st.Close() })

	gwKey := newKey(t)
	tn.gw = device.NewDevice(st.TUN(), conn.NewDefaultBind(), device.NewLogger(device.LogLevelSilent, ""))
	t.Cleanup(tn.gw.Close)
	clientAddrs := append([]netip.Addr{clientIP}, clientV6...)
	peer := fmt.Sprintf("public_key=%s\n", tn.clientKy.publicHex())
	for _, a := range clientAddrs {
		peer += fmt.Sprintf("allowed_ip=%s\n", netip.PrefixFrom(a, a.BitLen()))
	}
	ipc(t, tn.gw, "private_key=%s\nlisten_port=0\n%s", gwKey.privateHex(), peer)
	if err := tn.gw.Up(); err != nil {
		t.Fatal(err)
	}
	port := listenPort(t, tn.gw)

	ctun, tnet, err := wgnetstack.CreateNetTUN(clientAddrs, []netip.Addr{gatewayIP}, DefaultMTU)
	if err != nil {
		t.Fatal(err)
	}
	tn.tnet = tnet
	tn.client = device.NewDevice(ctun, conn.NewDefaultBind(), device.NewLogger(device.LogLevelSilent, ""))
	t.Cleanup(tn.client.Close)
	// The client sends everything through the tunnel (0.0.0.0/0, ::/0), so
	// that what the gateway refuses reaches the gateway.
	ipc(t, tn.client, "private_key=%s\npublic_key=%s\nendpoint=127.0.0.1:%d\nallowed_ip=0.0.0.0/0\nallowed_ip=::/0\n",
		tn.clientKy.privateHex(), gwKey.publicHex(), port)
	if err := tn.client.Up(); err != nil {
		t.Fatal(err)
	}
	return tn
}

func ipc(t testing.TB, d *device.Device, format string, args ...any) {
	t.Helper()
	if err := d.IpcSet(fmt.Sprintf(format, args...)); err != nil {
		t.Fatalf("IpcSet: %v", err)
	}
}

func listenPort(t testing.TB, d *device.Device) int {
	t.Helper()
	conf, err := d.IpcGet()
	if err != nil {
		t.Fatal(err)
	}
	for line := range strings.SplitSeq(conf, "\n") {
		if v, ok := strings.CutPrefix(line, "listen_port="); ok {
			var port int
			fmt.Sscan(v, &port)
			return port
		}
	}
	t.Fatalf("no listen_port in %q", conf)
	return 0
}

// httpClient makes requests through the tunnel.
func (tn *testNet) httpClient(timeout time.Duration) *http.Client {
	return &http.Client{
		Timeout:   timeout,
		Transport: &http.Transport{DialContext: tn.tnet.DialContext, DisableKeepAlives: true},
	}
}

func get(c *http.Client, url string) (string, error) {
	resp, err := c.Get(url)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return string(body), err
}

// hostHTTP is an HTTP server on the host at tg.listen answering "hello from
// the host".
func hostHTTP(t testing.TB, tg target) netip.AddrPort {
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "hello from the host")
	}))
	ln, err := net.Listen("tcp", netip.AddrPortFrom(tg.listen, 0).String())
	if err != nil {
		t.Fatal(err)
	}
	srv.Listener = ln
	srv.Start()
	t.Cleanup(srv.Close)
	return netip.MustParseAddrPort(ln.Addr().String())
}

func TestForwardTCPToRoute(t *testing.T) {
	tg := findTarget(t)
	tn := newTestNet(t, Options{Routes: []netip.Prefix{netip.PrefixFrom(tg.route, 32)}, Dial: tg.dial})
	srv := tg.routeTo(hostHTTP(t, tg))

	body, err := get(tn.httpClient(5*time.Second), "http://"+srv.String()+"/")
	if err != nil {
		t.Fatal(err)
	}
	if body != "hello from the host" {
		t.Fatalf("body = %q", body)
	}
	if s := tn.stack.Stats(); s.ForwardedTCP != 1 || s.Refused != 0 {
		t.Errorf("stats = %+v, want 1 forwarded TCP, 0 refused", s)
	}
}

// TestForwardIPv6 forwards to an IPv6 route of a gateway whose own tunnel
// address is IPv4.
func TestForwardIPv6(t *testing.T) {
	var host netip.Addr
	addrs, _ := net.InterfaceAddrs()
	for _, a := range addrs {
		if ipn, ok := a.(*net.IPNet); ok {
			ip, _ := netip.AddrFromSlice(ipn.IP)
			if ip.Is6() && !ip.Is4In6() && ip.IsGlobalUnicast() {
				host = ip
				break
			}
		}
	}
	if !host.IsValid() {
		t.Skip("no global or unique-local IPv6 address on this host")
	}
	tg := target{listen: host, route: host}
	tn := newTestNet(t, Options{Routes: []netip.Prefix{netip.PrefixFrom(host, 128)}}, netip.MustParseAddr("fd77::2"))
	srv := hostHTTP(t, tg)
	body, err := get(tn.httpClient(5*time.Second), "http://"+srv.String()+"/")
	if err != nil {
		t.Fatal(err)
	}
	if body != "hello from the host" {
		t.Fatalf("body = %q", body)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Second)
	defer cancel()
	if c, err := tn.tnet.DialContext(ctx, "tcp", "[2001:db8::1]:80"); err == nil || ctx.Err() != nil {
		if c != nil {
			c.Close()
		}
		t.Fatalf("IPv6 outside the routes not refused: %v", err)
	}
}

func TestForwardTCPHalfClose(t *testing.T) {
	tg := findTarget(t)
	tn := newTestNet(t, Options{Routes: []netip.Prefix{netip.PrefixFrom(tg.route, 32)}, Dial: tg.dial})
	// The server reads until EOF, then answers with what it got.
	ln, err := net.Listen("tcp", netip.AddrPortFrom(tg.listen, 0).String())
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		got, _ := io.ReadAll(c)
		fmt.Fprintf(c, "got %d bytes", len(got))
	}()

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := tn.tnet.DialContext(ctx, "tcp", tg.routeTo(netip.MustParseAddrPort(ln.Addr().String())).String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := c.Write(make([]byte, 100_000)); err != nil {
		t.Fatal(err)
	}
	if err := c.(interface{ CloseWrite() error }).CloseWrite(); err != nil {
		t.Fatal(err)
	}
	answer, err := io.ReadAll(c)
	if err != nil {
		t.Fatal(err)
	}
	if string(answer) != "got 100000 bytes" {
		t.Fatalf("answer = %q", answer)
	}
}

func TestRefused(t *testing.T) {
	tg := findTarget(t)
	tn := newTestNet(t, Options{Routes: []netip.Prefix{netip.PrefixFrom(tg.route, 32)}, Dial: tg.dial})
	closed := func() netip.AddrPort { // a port of the route with nothing listening
		ln, err := net.Listen("tcp", netip.AddrPortFrom(tg.listen, 0).String())
		if err != nil {
			t.Fatal(err)
		}
		ln.Close()
		return tg.routeTo(netip.MustParseAddrPort(ln.Addr().String()))
	}()

	for _, tc := range []struct{ name, addr string }{
		{"outside the routes", "203.0.113.1:80"},
		{"another address of the host", "192.0.2.254:80"},
		{"another peer", "10.77.0.3:80"},
		{"gateway port without service", "10.77.0.1:22"},
		{"status page not served", "10.77.0.1:80"},
		{"route port closed", closed.String()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := tn.stack.Stats().Refused
			ctx, cancel := context.WithTimeout(context.Background(), 4*time.Second)
			defer cancel()
			start := time.Now()
			c, err := tn.tnet.DialContext(ctx, "tcp", tc.addr)
			if err == nil {
				c.Close()
				t.Fatal("connected")
			}
			if ctx.Err() != nil {
				t.Fatalf("not refused, timed out after %v: %v", time.Since(start), err)
			}
			if !strings.Contains(err.Error(), "refused") {
				t.Errorf("error = %v, want connection refused", err)
			}
			if got := tn.stack.Stats().Refused; got != before+1 {
				t.Errorf("Refused = %d, want %d", got, before+1)
			}
		})
	}
}

func TestStatusPage(t *testing.T) {
	tn := newTestNet(t, Options{})
	ln, err := tn.stack.ListenStatus()
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "gatepass ok, you are %s", strings.Split(r.RemoteAddr, ":")[0])
	})}
	go srv.Serve(ln)
	defer srv.Close()

	body, err := get(tn.httpClient(5*time.Second), "http://10.77.0.1/")
	if err != nil {
		t.Fatal(err)
	}
	if body != "gatepass ok, you are 10.77.0.2" {
		t.Fatalf("body = %q", body)
	}
	if _, err := tn.stack.ListenStatus(); err == nil {
		t.Error("second ListenStatus on the same port succeeded")
	}
}

// dnsServer answers A queries for app.corp.test with 10.1.2.3 (NXDOMAIN for
// other names) over UDP and, on the same port, TCP.
func dnsServer(t testing.TB) (addr string, tcp bool) {
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pc.Close() })
	go func() {
		buf := make([]byte, 1500)
		for {
			n, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			if answer := dnsAnswer(buf[:n]); answer != nil {
				pc.WriteTo(answer, from)
			}
		}
	}()
	addr = pc.LocalAddr().String()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return addr, false
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				r := bufio.NewReader(c)
				var hdr [2]byte
				if _, err := io.ReadFull(r, hdr[:]); err != nil {
					return
				}
				q := make([]byte, int(hdr[0])<<8|int(hdr[1]))
				if _, err := io.ReadFull(r, q); err != nil {
					return
				}
				answer := dnsAnswer(q)
				c.Write(append([]byte{byte(len(answer) >> 8), byte(len(answer))}, answer...))
			}()
		}
	}()
	return addr, true
}

func dnsAnswer(query []byte) []byte {
	var p dnsmessage.Parser
	h, err := p.Start(query)
	if err != nil {
		return nil
	}
	q, err := p.Question()
	if err != nil {
		return nil
	}
	h.Response, h.RecursionAvailable = true, true
	known := strings.EqualFold(q.Name.String(), "app.corp.test.")
	if !known {
		h.RCode = dnsmessage.RCodeNameError
	}
	b := dnsmessage.NewBuilder(nil, h)
	b.StartQuestions()
	b.Question(q)
	b.StartAnswers()
	if known && q.Type == dnsmessage.TypeA {
		b.AResource(dnsmessage.ResourceHeader{Name: q.Name, Class: dnsmessage.ClassINET, TTL: 60},
			dnsmessage.AResource{A: [4]byte{10, 1, 2, 3}})
	}
	answer, _ := b.Finish()
	return answer
}

func dnsQuery(t testing.TB, name string) []byte {
	b := dnsmessage.NewBuilder(nil, dnsmessage.Header{ID: 4242, RecursionDesired: true})
	b.StartQuestions()
	b.Question(dnsmessage.Question{Name: dnsmessage.MustNewName(name), Type: dnsmessage.TypeA, Class: dnsmessage.ClassINET})
	q, err := b.Finish()
	if err != nil {
		t.Fatal(err)
	}
	return q
}

func TestDNS(t *testing.T) {
	resolver, hasTCP := dnsServer(t)
	tn := newTestNet(t, Options{Resolver: resolver})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	// The client's resolver asks 10.77.0.1 over UDP.
	addrs, err := tn.tnet.LookupContextHost(ctx, "app.corp.test")
	if err != nil {
		t.Fatal(err)
	}
	if len(addrs) != 1 || addrs[0] != "10.1.2.3" {
		t.Fatalf("app.corp.test = %v, want [10.1.2.3]", addrs)
	}
	if _, err := tn.tnet.LookupContextHost(ctx, "nope.corp.test"); err == nil || !strings.Contains(err.Error(), "no such host") {
		t.Fatalf("nope.corp.test: err = %v, want no such host", err)
	}
	if s := tn.stack.Stats(); s.ForwardedUDP < 2 {
		t.Errorf("stats = %+v, want 2 forwarded UDP flows", s)
	}

	// A raw query, answer checked byte for byte.
	c, err := tn.tnet.DialContext(ctx, "udp", "10.77.0.1:53")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	q := dnsQuery(t, "app.corp.test.")
	if _, err := c.Write(q); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 1500)
	n, err := c.Read(buf)
	if err != nil {
		t.Fatal(err)
	}
	if want := dnsAnswer(q); string(buf[:n]) != string(want) {
		t.Fatalf("answer = %x, want %x", buf[:n], want)
	}

	if !hasTCP {
		t.Log("no TCP port beside the UDP one: DNS over TCP not tested")
		return
	}
	tc, err := tn.tnet.DialContext(ctx, "tcp", "10.77.0.1:53")
	if err != nil {
		t.Fatal(err)
	}
	defer tc.Close()
	tc.SetDeadline(time.Now().Add(5 * time.Second))
	tc.Write(append([]byte{byte(len(q) >> 8), byte(len(q))}, q...))
	var hdr [2]byte
	if _, err := io.ReadFull(tc, hdr[:]); err != nil {
		t.Fatal(err)
	}
	answer := make([]byte, int(hdr[0])<<8|int(hdr[1]))
	if _, err := io.ReadFull(tc, answer); err != nil {
		t.Fatal(err)
	}
	if want := dnsAnswer(q); string(answer) != string(want) {
		t.Fatalf("TCP answer = %x, want %x", answer, want)
	}
}

func TestForwardUDPToRoute(t *testing.T) {
	tg := findTarget(t)
	tn := newTestNet(t, Options{Routes: []netip.Prefix{netip.PrefixFrom(tg.route, 32)}, Dial: tg.dial})
	pc, err := net.ListenPacket("udp", netip.AddrPortFrom(tg.listen, 0).String())
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	go func() { // echo, upper-cased
		buf := make([]byte, 1500)
		for {
			n, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			pc.WriteTo([]byte(strings.ToUpper(string(buf[:n]))), from)
		}
	}()

	c, err := tn.tnet.DialContext(context.Background(), "udp", tg.routeTo(netip.MustParseAddrPort(pc.LocalAddr().String())).String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for _, msg := range []string{"one", "two", "three"} {
		c.SetDeadline(time.Now().Add(5 * time.Second))
		if _, err := c.Write([]byte(msg)); err != nil {
			t.Fatal(err)
		}
		buf := make([]byte, 100)
		n, err := c.Read(buf)
		if err != nil {
			t.Fatal(err)
		}
		if got := string(buf[:n]); got != strings.ToUpper(msg) {
			t.Fatalf("echo = %q", got)
		}
	}
	if s := tn.stack.Stats(); s.ForwardedUDP != 1 {
		t.Errorf("stats = %+v, want one flow for three datagrams", s)
	}

	// UDP outside the routes is dropped.
	before := tn.stack.Stats().Refused
	d, err := tn.tnet.DialContext(context.Background(), "udp", "203.0.113.1:9")
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	d.Write([]byte("anyone?"))
	deadline := time.Now().Add(5 * time.Second)
	for tn.stack.Stats().Refused == before && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if got := tn.stack.Stats().Refused; got != before+1 {
		t.Errorf("Refused = %d, want %d", got, before+1)
	}
}

func TestPingGateway(t *testing.T) {
	tn := newTestNet(t, Options{})
	pc, err := tn.tnet.DialPingAddr(netip.Addr{}, gatewayIP)
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	req, _ := (&icmp.Message{Type: ipv4.ICMPTypeEcho, Body: &icmp.Echo{ID: 7, Seq: 1, Data: []byte("gatepass")}}).Marshal(nil)
	pc.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := pc.Write(req); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 1500)
	n, err := pc.Read(buf)
	if err != nil {
		t.Fatal(err)
	}
	m, err := icmp.ParseMessage(1, buf[:n])
	if err != nil {
		t.Fatal(err)
	}
	if m.Type != ipv4.ICMPTypeEchoReply || string(m.Body.(*icmp.Echo).Data) != "gatepass" {
		t.Fatalf("reply = %+v", m)
	}
}

func TestDialIntoTunnel(t *testing.T) {
	tn := newTestNet(t, Options{})
	ln, err := tn.tnet.ListenTCPAddrPort(netip.AddrPortFrom(clientIP, 7000))
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		fmt.Fprintf(c, "client here, you are %s", c.RemoteAddr())
	}()
	// The gateway learns the client's endpoint from its first handshake.
	ping(t, tn)

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := tn.stack.DialContext(ctx, "tcp", "10.77.0.2:7000")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	got, err := io.ReadAll(c)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(got), "client here, you are 10.77.0.1:") {
		t.Fatalf("got %q", got)
	}
	if _, err := tn.stack.DialContext(ctx, "tcp", "203.0.113.1:80"); err == nil {
		t.Error("dial outside the network succeeded")
	}
}

// ping makes the client handshake with the gateway (a status-less GET that
// is refused is enough).
func ping(t testing.TB, tn *testNet) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := tn.tnet.DialContext(ctx, "tcp", "10.77.0.1:9")
	if err == nil {
		c.Close()
	}
	if ctx.Err() != nil {
		t.Fatal("no answer from the gateway")
	}
}

func TestRemovePeerCutsTraffic(t *testing.T) {
	tg := findTarget(t)
	tn := newTestNet(t, Options{Routes: []netip.Prefix{netip.PrefixFrom(tg.route, 32)}, Dial: tg.dial})
	url := "http://" + tg.routeTo(hostHTTP(t, tg)).String() + "/"

	// A long-lived connection (keep-alive) and a fresh one both work...
	keep := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{DialContext: tn.tnet.DialContext}}
	defer keep.CloseIdleConnections()
	if _, err := get(keep, url); err != nil {
		t.Fatal(err)
	}
	if _, err := get(tn.httpClient(5*time.Second), url); err != nil {
		t.Fatal(err)
	}

	// ...until the gateway removes the peer: then neither does.
	ipc(t, tn.gw, "public_key=%s\nremove=true\n", tn.clientKy.publicHex())
	start := time.Now()
	if _, err := get(tn.httpClient(time.Second), url); err == nil {
		t.Fatal("GET on a new connection after the peer was removed succeeded")
	}
	keep.Timeout = time.Second
	if _, err := get(keep, url); err == nil {
		t.Fatal("GET on a kept-alive connection after the peer was removed succeeded")
	}
	t.Logf("both failed after %v", time.Since(start))

	// The kept-alive connection is still forwarded (nothing tells the
	// gateway the peer is gone) until CloseClient.
	if n := tn.stack.CloseClient(clientIP); n < 1 {
		t.Errorf("CloseClient closed %d flows, want the kept-alive one", n)
	}
}

func TestNewValidates(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts Options
	}{
		{"no address", Options{Prefix: network}},
		{"no prefix", Options{Address: gatewayIP}},
		{"address outside prefix", Options{Address: netip.MustParseAddr("10.78.0.1"), Prefix: network}},
		{"loopback route", Options{Address: gatewayIP, Prefix: network, Routes: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}}},
		{"IPv6 loopback route", Options{Address: gatewayIP, Prefix: network, Routes: []netip.Prefix{netip.MustParsePrefix("::1/128")}}},
		{"tiny MTU", Options{Address: gatewayIP, Prefix: network, MTU: 100}},
		{"resolver without port", Options{Address: gatewayIP, Prefix: network, Resolver: "10.0.0.1"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if s, err := New(tc.opts); err == nil {
				s.Close()
				t.Fatal("no error")
			}
		})
	}
}

func TestRouted(t *testing.T) {
	s, err := New(Options{Address: gatewayIP, Prefix: network, Routes: []netip.Prefix{
		netip.MustParsePrefix("0.0.0.0/0"),
		netip.MustParsePrefix("::/0"),
		netip.MustParsePrefix("169.254.10.0/24"),
	}})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for addr, want := range map[string]string{
		"192.0.2.10:443":     "192.0.2.10:443",
		"[2001:db8::1]:443":  "[2001:db8::1]:443",
		"169.254.10.5:80":    "169.254.10.5:80", // explicitly routed link-local
		"169.254.169.254:80": "",                // metadata service: not by 0.0.0.0/0
		"[fe80::1]:80":       "",
		"127.0.0.1:80":       "",
		"[::1]:80":           "",
		"224.0.0.251:5353":   "",
		"255.255.255.255:67": "",
		"0.0.0.0:80":         "",
		"10.77.0.3:80":       "", // another peer
		"10.77.0.1:22":       "",
		"10.77.0.1:53":       s.resolver,
	} {
		if got := s.target(netip.MustParseAddrPort(addr)); got != want {
			t.Errorf("target(%s) = %q, want %q", addr, got, want)
		}
	}
}

func TestSystemResolver(t *testing.T) {
	dir := t.TempDir()
	write := func(content string) string {
		p := filepath.Join(dir, "resolv.conf")
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	for content, want := range map[string]string{
		"# comment\nsearch corp\nnameserver 10.0.0.2\nnameserver 10.0.0.3\n": "10.0.0.2:53",
		"nameserver fd00::53\n": "[fd00::53]:53",
		"options edns0\n":       "127.0.0.53:53",
	} {
		if got := systemResolver(write(content)); got != want {
			t.Errorf("%q: got %s, want %s", content, got, want)
		}
	}
	if got := systemResolver(filepath.Join(dir, "missing")); got != "127.0.0.53:53" {
		t.Errorf("missing file: got %s", got)
	}
}

// TestCloseReleasesEverything runs traffic, closes, and checks that the
// goroutines are gone and the stack refuses further use.
func TestCloseReleasesEverything(t *testing.T) {
	before := runtime.NumGoroutine()
	t.Run("traffic", func(t *testing.T) { // its Cleanups run before the count
		tg := findTarget(t)
		resolver, _ := dnsServer(t)
		tn := newTestNet(t, Options{Routes: []netip.Prefix{netip.PrefixFrom(tg.route, 32)}, Dial: tg.dial, Resolver: resolver})
		ln, err := tn.stack.ListenStatus()
		if err != nil {
			t.Fatal(err)
		}
		srv := &http.Server{Handler: http.NotFoundHandler()}
		go srv.Serve(ln)
		url := "http://" + tg.routeTo(hostHTTP(t, tg)).String() + "/"

		// Open flows of every kind, and leave them open.
		keep := &http.Client{Transport: &http.Transport{DialContext: tn.tnet.DialContext}}
		var wg sync.WaitGroup
		for range 4 {
			wg.Go(func() {
				if _, err := get(keep, url); err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		if _, err := tn.tnet.LookupContextHost(context.Background(), "app.corp.test"); err != nil {
			t.Fatal(err)
		}
		if _, err := get(keep, "http://10.77.0.1/"); err != nil {
			t.Fatal(err)
		}

		tn.client.Close()
		tn.gw.Close()
		tn.stack.Close()
		srv.Close()
		keep.CloseIdleConnections()
		tn.stack.Close() // again: no-op
		if _, err := tn.stack.ListenStatus(); err == nil {
			t.Error("ListenStatus after Close succeeded")
		}
		if _, err := tn.stack.DialContext(context.Background(), "tcp", "10.77.0.2:80"); err == nil {
			t.Error("DialContext after Close succeeded")
		}
	})

	deadline := time.Now().Add(5 * time.Second)
	for {
		n := runtime.NumGoroutine()
		if n <= before {
			return
		}
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			t.Fatalf("%d goroutines before, %d after Close:\n%s", before, n, buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(20 * time.Millisecond)
	}
}

var errShort = errors.New("short transfer")

// BenchmarkTunnelThroughput downloads 64 MiB per op from a host TCP server
// through the tunnel (client netstack → WireGuard → gateway Stack → host):
// "tunnel"; and, for comparison, straight over the host's TCP: "loopback".
// Each sub-benchmark sets its bytes per op, so the MB/s column is the
// throughput of that path. The user's path through the agent's SOCKS5
// proxy is desktop/internal/tunnel's BenchmarkUserPathThroughput.
func BenchmarkTunnelThroughput(b *testing.B) {
	const size = 64 << 20
	tg := findTarget(b)
	tn := newTestNet(b, Options{Routes: []netip.Prefix{netip.PrefixFrom(tg.route, 32)}, Dial: tg.dial, Logf: func(string, ...any) {}})
	ln, err := net.Listen("tcp", netip.AddrPortFrom(tg.listen, 0).String())
	if err != nil {
		b.Fatal(err)
	}
	defer ln.Close()
	go func() {
		chunk := make([]byte, 256<<10)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				for sent := 0; sent < size; sent += len(chunk) {
					if _, err := c.Write(chunk); err != nil {
						return
					}
				}
			}()
		}
	}()
	fetch := func(dial func(ctx context.Context, network, addr string) (net.Conn, error), addr string) (time.Duration, error) {
		start := time.Now()
		c, err := dial(context.Background(), "tcp", addr)
		if err != nil {
			return 0, err
		}
		defer c.Close()
		n, err := io.Copy(io.Discard, c)
		if err == nil && n != size {
			err = errShort
		}
		return time.Since(start), err
	}
	local := netip.MustParseAddrPort(ln.Addr().String())
	var d net.Dialer
	for _, path := range []struct {
		name string
		dial func(ctx context.Context, network, addr string) (net.Conn, error)
		addr string
	}{
		{"tunnel", tn.tnet.DialContext, tg.routeTo(local).String()},
		{"loopback", d.DialContext, local.String()},
	} {
		b.Run(path.name, func(b *testing.B) {
			b.SetBytes(size)
			for b.Loop() {
				if _, err := fetch(path.dial, path.addr); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
