package tunnel

import (
	"bufio"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"testing"
	"time"

	"gatepass.dev/shared/wgkey"
	"golang.org/x/net/proxy"
)

var testNames = map[string]netip.Addr{
	"svc.gatepass.test.": netip.MustParseAddr("10.77.0.1"),
}

func newTestNetstack(t *testing.T) *Netstack {
	t.Helper()
	b, err := NewNetstack(NetstackOptions{Logf: testLogf(t)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return b
}

func upTunnel(t *testing.T, b Backend, name string, cfg Config) Tunnel {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	tun, err := b.Up(ctx, name, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tun.Close() })
	return tun
}

// socksClient is an HTTP client whose connections go through the SOCKS5
// proxy, names unresolved (socks5h).
func socksClient(t *testing.T, b *Netstack) *http.Client {
	t.Helper()
	socksAddr, _ := b.Proxies()
	d, err := proxy.SOCKS5("tcp", socksAddr, socksAuth(b), &net.Dialer{})
	if err != nil {
		t.Fatal(err)
	}
	tr := &http.Transport{DialContext: d.(proxy.ContextDialer).DialContext, DisableKeepAlives: true}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr, Timeout: 10 * time.Second}
}

// socksAuth is what b's SOCKS5 proxy asks for (the random credentials
// where the OS cannot tell the connecting user), or nil.
func socksAuth(b *Netstack) *proxy.Auth {
	if a := b.ProxyAuth(); a != nil {
		return &proxy.Auth{User: a.Username, Password: a.Password}
	}
	return nil
}

// httpProxyClient is an HTTP client that sends absolute URIs to the HTTP proxy.
func httpProxyClient(t *testing.T, b *Netstack) *http.Client {
	t.Helper()
	_, httpAddr := b.Proxies()
	u := &url.URL{Scheme: "http", Host: httpAddr}
	if a := b.ProxyAuth(); a != nil {
		u.User = url.UserPassword(a.Username, a.Password)
	}
	tr := &http.Transport{Proxy: http.ProxyURL(u), DisableKeepAlives: true}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr, Timeout: 10 * time.Second}
}

func get(c *http.Client, u string) (int, string, error) {
	resp, err := c.Get(u)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body), err
}

func mustGet(t *testing.T, c *http.Client, u, want string) {
	t.Helper()
	code, body, err := get(c, u)
	if err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
	if code != 200 || !strings.Contains(body, want) {
		t.Fatalf("GET %s: %d %q, want 200 with %q", u, code, body, want)
	}
}

// connectGet opens a CONNECT tunnel to target through the HTTP proxy and
// sends one GET / over it. It returns the CONNECT status, and on 200 the
// body of the GET (else the body of the proxy's answer).
func connectGet(t *testing.T, b *Netstack, target string) (int, string) {
	t.Helper()
	_, httpAddr := b.Proxies()
	c, err := net.Dial("tcp", httpAddr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	fmt.Fprintf(c, "CONNECT %s HTTP/1.1\r\nHost: %s\r\n", target, target)
	if a := b.ProxyAuth(); a != nil {
		fmt.Fprintf(c, "Proxy-Authorization: Basic %s\r\n", base64.StdEncoding.EncodeToString([]byte(a.Username+":"+a.Password)))
	}
	fmt.Fprintf(c, "\r\n")
	br := bufio.NewReader(c)
	resp, err := http.ReadResponse(br, &http.Request{Method: http.MethodConnect})
	if err != nil {
		t.Fatalf("CONNECT %s: %v", target, err)
	}
	if resp.StatusCode != 200 {
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body)
	}
	host, _, _ := net.SplitHostPort(target)
	fmt.Fprintf(c, "GET / HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n", host)
	resp, err = http.ReadResponse(br, nil)
	if err != nil {
		t.Fatalf("GET through CONNECT %s: %v", target, err)
	}
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET through CONNECT %s: %v", target, err)
	}
	return 200, string(body)
}

func TestNetstackProxiesReachGateway(t *testing.T) {
	gw := newTestGateway(t, "10.77.0.0/24", testNames)
	b := newTestNetstack(t)
	if b.Kind() != "netstack" {
		t.Fatalf("Kind = %q", b.Kind())
	}
	start := time.Now()
	tun := upTunnel(t, b, "lab", gw.clientConfig(t, 2))

	sc := socksClient(t, b)
	mustGet(t, sc, "http://10.77.0.1/", "gateway 10.77.0.1; you are 10.77.0.2:")
	mustGet(t, sc, "http://svc.gatepass.test/", "gateway 10.77.0.1")

	hc := httpProxyClient(t, b)
	mustGet(t, hc, "http://10.77.0.1/", "gateway 10.77.0.1; you are 10.77.0.2:")
	mustGet(t, hc, "http://svc.gatepass.test/", "gateway 10.77.0.1")
	// A POST is forwarded too.
	resp, err := hc.Post("http://svc.gatepass.test/", "text/plain", strings.NewReader("hi"))
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("POST through the HTTP proxy: %v %v", resp, err)
	}
	resp.Body.Close()

	for _, target := range []string{"10.77.0.1:80", "svc.gatepass.test:80"} {
		code, body := connectGet(t, b, target)
		if code != 200 || !strings.Contains(body, "gateway 10.77.0.1") {
			t.Fatalf("CONNECT %s: %d %q", target, code, body)
		}
	}

	st := tun.Status()
	if st.Name != "lab" || !st.Up {
		t.Fatalf("status %+v: want up, named lab", st)
	}
	if st.LastHandshake.Before(start.Add(-time.Second)) || st.LastHandshake.After(time.Now().Add(time.Second)) {
		t.Fatalf("last handshake %v, want since %v", st.LastHandshake, start)
	}
	if st.RxBytes == 0 || st.TxBytes == 0 {
		t.Fatalf("status %+v: want bytes both ways", st)
	}
}

func TestNetstackProxiesAddresses(t *testing.T) {
	b := newTestNetstack(t)
	s, h := b.Proxies()
	for _, a := range []string{s, h} {
		ap, err := netip.ParseAddrPort(a)
		if err != nil || !ap.Addr().IsLoopback() || ap.Port() == 0 {
			t.Fatalf("proxy address %q: want 127.0.0.1:<port>", a)
		}
	}
	if s == h {
		t.Fatalf("both proxies on %s", s)
	}
	if _, err := NewNetstack(NetstackOptions{SOCKS5Addr: "0.0.0.0:0"}); err == nil {
		t.Fatal("a non-loopback SOCKS5 address was accepted")
	}
	if _, err := NewNetstack(NetstackOptions{HTTPProxyAddr: "192.0.2.1:8080"}); err == nil {
		t.Fatal("a non-loopback HTTP proxy address was accepted")
	}
}

// Destinations outside every tunnel's allowed IPs, and names only the
// host knows, are refused: nothing is dialed on the host network.
func TestNetstackRefusesOutsideTunnel(t *testing.T) {
	gw := newTestGateway(t, "10.77.0.0/24", testNames)
	host := newHostListener(t)
	b := newTestNetstack(t)
	sc := socksClient(t, b)
	hc := httpProxyClient(t, b)
	port := fmt.Sprint(host.port())

	check := func(phase string) {
		t.Helper()
		socksAddr, _ := b.Proxies()
		d, _ := proxy.SOCKS5("tcp", socksAddr, socksAuth(b), &net.Dialer{})
		for _, target := range []string{"127.0.0.1:" + port, "localhost:" + port, "example.com:80"} {
			c, err := d.Dial("tcp", target)
			if err == nil {
				c.Close()
				t.Fatalf("%s: SOCKS5 CONNECT %s succeeded", phase, target)
			}
			want := "host unreachable"
			if strings.HasPrefix(target, "127.") {
				want = "network unreachable"
			}
			if !strings.Contains(err.Error(), want) {
				t.Fatalf("%s: SOCKS5 CONNECT %s: %v, want %q", phase, target, err, want)
			}
		}
		if _, _, err := get(sc, "http://127.0.0.1:"+port+"/"); err == nil {
			t.Fatalf("%s: GET via SOCKS5 to the host succeeded", phase)
		}
		for _, target := range []string{"127.0.0.1:" + port, "localhost:" + port} {
			code, body := connectGet(t, b, target)
			if code != http.StatusBadGateway || !strings.Contains(body, "gatepass") {
				t.Fatalf("%s: CONNECT %s: %d %q, want 502 with a reason", phase, target, code, body)
			}
		}
		for _, u := range []string{"http://127.0.0.1:" + port + "/", "http://localhost:" + port + "/", "http://example.com/"} {
			code, body, err := get(hc, u)
			if err != nil || code != http.StatusBadGateway || !strings.Contains(body, "gatepass") {
				t.Fatalf("%s: GET %s via HTTP proxy: %d %q %v, want 502", phase, u, code, body, err)
			}
		}
	}
	check("no tunnel up")
	upTunnel(t, b, "lab", gw.clientConfig(t, 2))
	mustGet(t, sc, "http://svc.gatepass.test/", "gateway 10.77.0.1") // the tunnel works
	check("tunnel up")
	host.assertNoOtherConnection(t)
}

// Names the tunnel DNS does not know are not resolved anywhere else.
func TestNetstackUnknownNames(t *testing.T) {
	gw := newTestGateway(t, "10.77.0.0/24", testNames)
	b := newTestNetstack(t)
	upTunnel(t, b, "lab", gw.clientConfig(t, 2))
	ctx := context.Background()
	if ip, _, err := b.lookup(ctx, "svc.gatepass.test"); err != nil || ip != netip.MustParseAddr("10.77.0.1") {
		t.Fatalf("lookup svc.gatepass.test = %v, %v", ip, err)
	}
	for _, name := range []string{"localhost", "example.com", "nope.gatepass.test"} {
		ip, _, err := b.lookup(ctx, name)
		if err == nil || !errors.Is(err, ErrNotFound) {
			t.Fatalf("lookup %s = %v, %v; want ErrNotFound", name, ip, err)
		}
	}
	hc := httpProxyClient(t, b)
	code, body, err := get(hc, "http://localhost/")
	if err != nil || code != http.StatusBadGateway || !strings.Contains(body, "cannot resolve localhost") {
		t.Fatalf("GET http://localhost/ via the HTTP proxy: %d %q %v", code, body, err)
	}
}

// Closing a tunnel cuts downloads in flight and refuses new connections.
func TestNetstackCloseCutsConnections(t *testing.T) {
	gw := newTestGateway(t, "10.77.0.0/24", testNames)
	b := newTestNetstack(t)
	tun := upTunnel(t, b, "lab", gw.clientConfig(t, 2))
	sc := socksClient(t, b)
	hc := httpProxyClient(t, b)

	type stream struct {
		via  string
		body io.ReadCloser
		done chan error
	}
	var streams []*stream
	for via, c := range map[string]*http.Client{"socks5": sc, "http proxy": hc} {
		c := *c
		c.Timeout = 0 // the stream is long; its end is checked below
		resp, err := c.Get("http://svc.gatepass.test/stream")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { resp.Body.Close() })
		if _, err := io.ReadFull(resp.Body, make([]byte, 64<<10)); err != nil {
			t.Fatalf("%s: first bytes of the stream: %v", via, err)
		}
		s := &stream{via: via, body: resp.Body, done: make(chan error, 1)}
		streams = append(streams, s)
	}
	for _, s := range streams {
		go func() {
			_, err := io.Copy(io.Discard, s.body)
			s.done <- err
		}()
	}

	tun.Close()
	if st := tun.Status(); st.Up {
		t.Fatalf("status after Close: %+v", st)
	}
	for _, s := range streams {
		select {
		case err := <-s.done:
			if err == nil {
				t.Fatalf("%s: the stream ended cleanly; want a broken download", s.via)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("%s: the stream goes on after Close", s.via)
		}
	}

	start := time.Now()
	if _, _, err := get(sc, "http://10.77.0.1/"); err == nil || !strings.Contains(err.Error(), "network unreachable") {
		t.Fatalf("GET via SOCKS5 after Close: %v; want network unreachable", err)
	}
	if code, _, err := get(hc, "http://10.77.0.1/"); err != nil || code != http.StatusBadGateway {
		t.Fatalf("GET via HTTP proxy after Close: %d %v; want 502", code, err)
	}
	if _, _, err := get(sc, "http://svc.gatepass.test/"); err == nil {
		t.Fatal("GET by name via SOCKS5 after Close succeeded")
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Fatalf("refusals after Close took %v", d)
	}

	// The name is free again.
	upTunnel(t, b, "lab", gw.clientConfig(t, 3))
	mustGet(t, sc, "http://10.77.0.1/", "you are 10.77.0.3:")
}

// With two tunnels up, each destination goes to its own tunnel, and names
// resolve only to addresses inside the tunnel whose DNS answered.
func TestNetstackTwoTunnels(t *testing.T) {
	gw1 := newTestGateway(t, "10.77.0.0/24", testNames)
	gw2 := newTestGateway(t, "10.78.0.0/24", map[string]netip.Addr{
		"svc2.gatepass.test.": netip.MustParseAddr("10.78.0.1"),
		// Points into the other tunnel: must not be used.
		"evil.gatepass.test.": netip.MustParseAddr("10.77.0.1"),
	})
	b := newTestNetstack(t)
	t1 := upTunnel(t, b, "one", gw1.clientConfig(t, 2))
	t2 := upTunnel(t, b, "two", gw2.clientConfig(t, 5))
	if _, err := b.Up(context.Background(), "two", gw2.clientConfig(t, 6)); err == nil {
		t.Fatal("a second tunnel named two came up")
	}

	for _, c := range []*http.Client{socksClient(t, b), httpProxyClient(t, b)} {
		mustGet(t, c, "http://10.77.0.1/", "gateway 10.77.0.1; you are 10.77.0.2:")
		mustGet(t, c, "http://10.78.0.1/", "gateway 10.78.0.1; you are 10.78.0.5:")
		mustGet(t, c, "http://svc.gatepass.test/", "gateway 10.77.0.1")
		mustGet(t, c, "http://svc2.gatepass.test/", "gateway 10.78.0.1")
		if code, body, err := get(c, "http://evil.gatepass.test/"); err == nil && code == 200 {
			t.Fatalf("GET evil.gatepass.test: %d %q; want refused", code, body)
		}
	}
	for _, tun := range []Tunnel{t1, t2} {
		if st := tun.Status(); !st.Up || st.LastHandshake.IsZero() || st.RxBytes == 0 {
			t.Fatalf("status %+v", st)
		}
	}

	// Down one: the other still works.
	t1.Close()
	sc := socksClient(t, b)
	mustGet(t, sc, "http://10.78.0.1/", "gateway 10.78.0.1")
	if _, _, err := get(sc, "http://10.77.0.1/"); err == nil {
		t.Fatal("GET 10.77.0.1 after its tunnel closed succeeded")
	}
}

func TestNetstackClose(t *testing.T) {
	gw := newTestGateway(t, "10.77.0.0/24", testNames)
	b, err := NewNetstack(NetstackOptions{Logf: testLogf(t)})
	if err != nil {
		t.Fatal(err)
	}
	tun := upTunnel(t, b, "lab", gw.clientConfig(t, 2))
	mustGet(t, socksClient(t, b), "http://10.77.0.1/", "gateway")
	socksAddr, httpAddr := b.Proxies()
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	if tun.Status().Up {
		t.Fatal("tunnel up after the backend closed")
	}
	for _, a := range []string{socksAddr, httpAddr} {
		if c, err := net.Dial("tcp", a); err == nil {
			c.Close()
			t.Fatalf("proxy %s still listens after Close", a)
		}
	}
	if _, err := b.Up(context.Background(), "x", gw.clientConfig(t, 3)); !errors.Is(err, ErrClosed) {
		t.Fatalf("Up after Close: %v", err)
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestNetstackUpRejectsBadConfig(t *testing.T) {
	gw := newTestGateway(t, "10.77.0.0/24", testNames)
	b := newTestNetstack(t)
	good := gw.clientConfig(t, 2)
	for name, mutate := range map[string]func(*Config){
		"no private key": func(c *Config) { c.PrivateKey = wgkey.Key{} },
		"no address":     func(c *Config) { c.Address = netip.Prefix{} },
		"no endpoint":    func(c *Config) { c.Endpoint = "" },
		"bad endpoint":   func(c *Config) { c.Endpoint = "127.0.0.1" },
		"no allowed IPs": func(c *Config) { c.AllowedIPs = nil },
		"no gateway key": func(c *Config) { c.GatewayPublicKey = wgkey.Key{} },
	} {
		cfg := good
		mutate(&cfg)
		if _, err := b.Up(context.Background(), name, cfg); err == nil {
			t.Errorf("%s: Up succeeded", name)
		}
	}
}
