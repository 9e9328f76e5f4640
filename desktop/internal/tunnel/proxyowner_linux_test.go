//go:build linux

package tunnel

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/net/proxy"
)

// proxyClientEnv makes the test binary a tiny proxy client (TestMain): its
// value is a proxyClientSpec in JSON; it prints a proxyClientResult.
const proxyClientEnv = "GATEPASS_TEST_PROXY_CLIENT"

type proxyClientSpec struct {
	Via   string `json:"via"` // socks5, http (absolute URI) or connect
	Proxy string `json:"proxy"`
	URL   string `json:"url"`
}

type proxyClientResult struct {
	UID  int    `json:"uid"`
	Code int    `json:"code"`
	Body string `json:"body"`
	Err  string `json:"err"`
}

func TestMain(m *testing.M) {
	if spec := os.Getenv(proxyClientEnv); spec != "" {
		os.Exit(proxyClientMain(spec))
	}
	os.Exit(m.Run())
}

func proxyClientMain(spec string) int {
	var s proxyClientSpec
	if err := json.Unmarshal([]byte(spec), &s); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	res := proxyClientResult{UID: os.Getuid()}
	code, body, err := proxyClientGet(s)
	res.Code, res.Body = code, body
	if err != nil {
		res.Err = err.Error()
	}
	json.NewEncoder(os.Stdout).Encode(res) //nolint:errcheck
	return 0
}

// proxyClientGet sends one GET of s.URL through the proxy.
func proxyClientGet(s proxyClientSpec) (int, string, error) {
	tr := &http.Transport{DisableKeepAlives: true}
	switch s.Via {
	case "socks5":
		d, err := proxy.SOCKS5("tcp", s.Proxy, nil, &net.Dialer{})
		if err != nil {
			return 0, "", err
		}
		tr.DialContext = d.(proxy.ContextDialer).DialContext
	case "http":
		tr.Proxy = http.ProxyURL(&url.URL{Scheme: "http", Host: s.Proxy})
	case "connect":
		return connectGetOnce(s.Proxy, s.URL)
	default:
		return 0, "", fmt.Errorf("unknown via %q", s.Via)
	}
	resp, err := (&http.Client{Transport: tr, Timeout: 10 * time.Second}).Get(s.URL)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), err
}

// connectGetOnce opens a CONNECT tunnel to the URL's host through the HTTP
// proxy and GETs the URL's path over it; on a refused CONNECT it returns
// the proxy's answer.
func connectGetOnce(proxyAddr, rawURL string) (int, string, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return 0, "", err
	}
	c, err := net.DialTimeout("tcp", proxyAddr, 10*time.Second)
	if err != nil {
		return 0, "", err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second)) //nolint:errcheck
	fmt.Fprintf(c, "CONNECT %s:80 HTTP/1.1\r\nHost: %s:80\r\n\r\n", u.Hostname(), u.Hostname())
	br := bufio.NewReader(c)
	resp, err := http.ReadResponse(br, &http.Request{Method: http.MethodConnect})
	if err != nil {
		return 0, "", err
	}
	if resp.StatusCode != http.StatusOK {
		b, err := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b), err
	}
	fmt.Fprintf(c, "GET %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n", u.RequestURI(), u.Hostname())
	resp, err = http.ReadResponse(br, nil)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), err
}

// clientBinary copies the test binary where every uid may run it (the
// build directory is root's alone).
func clientBinary(t *testing.T) string {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	dir, err := os.MkdirTemp("", "gatepass-proxy-client-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	src, err := os.Open(self)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	bin := filepath.Join(dir, "proxy-client")
	dst, err := os.OpenFile(bin, os.O_CREATE|os.O_WRONLY|os.O_EXCL, 0o755)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(dst, src); err != nil {
		t.Fatal(err)
	}
	if err := dst.Close(); err != nil {
		t.Fatal(err)
	}
	return bin
}

// runProxyClient runs the client binary as uid (and gid) uid.
func runProxyClient(t *testing.T, bin string, uid uint32, s proxyClientSpec) proxyClientResult {
	t.Helper()
	spec, _ := json.Marshal(s)
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin)
	cmd.Env = []string{proxyClientEnv + "=" + string(spec)}
	cmd.Dir = "/"
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uid, Gid: uid}}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("client as uid %d: %v\n%s", uid, err, stderr.String())
	}
	var res proxyClientResult
	if err := json.Unmarshal(out, &res); err != nil {
		t.Fatalf("client as uid %d: %v in %q", uid, err, out)
	}
	if res.UID != int(uid) {
		t.Fatalf("the client ran as uid %d, want %d", res.UID, uid)
	}
	return res
}

// logLines records what a backend logs.
type logLines struct {
	mu    sync.Mutex
	lines []string
}

func (l *logLines) logf(format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lines = append(l.lines, fmt.Sprintf(format, args...))
}

func (l *logLines) count(sub string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, s := range l.lines {
		if strings.Contains(s, sub) {
			n++
		}
	}
	return n
}

// Only the proxies' owner and root may use them: a process of another
// local user is refused by both proxies before anything reaches the
// tunnel, and the refusal is logged once per uid.
func TestProxiesServeOnlyTheirUser(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root: starts proxy clients as other users (uids 65533 and 65534)")
	}
	const owner, stranger = 65533, 65534
	gw := newTestGateway(t, "10.77.0.0/24", testNames)
	logs := &logLines{}
	b, err := NewNetstack(NetstackOptions{OwnerUID: owner, Logf: logs.logf})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	upTunnel(t, b, "lab", gw.clientConfig(t, 2))
	if b.ProxyAuth() != nil {
		t.Fatal("Linux proxies ask for credentials without Auth")
	}
	bin := clientBinary(t)
	socksAddr, httpAddr := b.Proxies()
	const target = "http://svc.gatepass.test/"
	const want = "gateway 10.77.0.1; you are 10.77.0.2:"

	for _, via := range []string{"socks5", "http", "connect"} {
		s := proxyClientSpec{Via: via, Proxy: httpAddr, URL: target}
		if via == "socks5" {
			s.Proxy = socksAddr
		}
		// root (this process): allowed.
		if code, body, err := proxyClientGet(s); err != nil || code != 200 || !strings.Contains(body, want) {
			t.Fatalf("%s as root: %d %q %v", via, code, body, err)
		}
		// the owner: allowed.
		if r := runProxyClient(t, bin, owner, s); r.Err != "" || r.Code != 200 || !strings.Contains(r.Body, want) {
			t.Fatalf("%s as the owner (uid %d): %+v", via, owner, r)
		}
		// another user: refused, twice, and nothing reaches the gateway.
		before := gw.hits.Load()
		for range 2 {
			r := runProxyClient(t, bin, stranger, s)
			switch via {
			case "socks5":
				if r.Err == "" || !strings.Contains(r.Err, "connection not allowed by ruleset") {
					t.Fatalf("socks5 as uid %d: %+v; want refused by ruleset", stranger, r)
				}
			default:
				if r.Code != http.StatusForbidden || !strings.Contains(r.Body, "only uid 65533 (the user running gatepassd) and root may use this proxy; this connection is from uid 65534") {
					t.Fatalf("%s as uid %d: %+v; want 403 with the reason", via, stranger, r)
				}
			}
		}
		if n := gw.hits.Load(); n != before {
			t.Fatalf("%s: refused clients reached the gateway (%d requests)", via, n-before)
		}
	}
	if n := logs.count("refused connections from uid 65534"); n != 1 {
		t.Errorf("the refusal of uid 65534 was logged %d times, want once: %q", n, logs.lines)
	}
	if n := logs.count("uid 65533:"); n != 0 {
		t.Errorf("the owner's connections were logged as refused: %q", logs.lines)
	}

	// Without OwnerUID the owner is the user the agent runs as (root here).
	def := newTestNetstack(t)
	upTunnel(t, def, "lab", gw.clientConfig(t, 3))
	ds, _ := def.Proxies()
	s := proxyClientSpec{Via: "socks5", Proxy: ds, URL: target}
	if r := runProxyClient(t, bin, uint32(os.Geteuid()), s); r.Code != 200 {
		t.Fatalf("socks5 as the agent's own uid: %+v", r)
	}
	if r := runProxyClient(t, bin, owner, s); !strings.Contains(r.Err, "connection not allowed by ruleset") {
		t.Fatalf("socks5 as uid %d to a root agent's proxy: %+v; want refused", owner, r)
	}
}

// connOwner finds this process's own sockets in the kernel's tables:
// IPv4, an IPv6 socket to a v4-mapped address, IPv6 loopback.
func TestConnOwner(t *testing.T) {
	for _, tc := range []struct{ name, listen string }{
		{"IPv4", "127.0.0.1:0"},
		{"IPv6 socket to ::ffff:127.0.0.1", "127.0.0.1:0"},
		{"IPv6", "[::1]:0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ln, err := net.Listen("tcp", tc.listen)
			if err != nil {
				t.Skipf("no %s here: %v", tc.listen, err)
			}
			defer ln.Close()
			addr := ln.Addr().(*net.TCPAddr)
			var c net.Conn
			if strings.Contains(tc.name, "::ffff") {
				c = dialV4Mapped(t, addr.Port)
			} else if c, err = net.Dial("tcp", addr.String()); err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			s, err := ln.Accept()
			if err != nil {
				t.Fatal(err)
			}
			if uid, err := connOwner(s); err != nil || uid != uint32(os.Geteuid()) {
				t.Fatalf("connOwner = %d, %v; want %d", uid, err, os.Geteuid())
			}
			// Once both ends closed, the client's socket lingers in
			// TIME_WAIT with uid 0: never taken for root's.
			c.Close()
			s.Close()
			waitFor(t, 5*time.Second, "the client's socket to leave the table", func() bool {
				_, err := connOwner(s)
				return errors.Is(err, errNoSocket)
			})
		})
	}
}

// dialV4Mapped connects an AF_INET6 socket to [::ffff:127.0.0.1]:port (Go's
// dialer would use an IPv4 socket).
func dialV4Mapped(t *testing.T, port int) net.Conn {
	t.Helper()
	fd, err := syscall.Socket(syscall.AF_INET6, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Skipf("no IPv6 sockets: %v", err)
	}
	sa := &syscall.SockaddrInet6{Port: port, Addr: netip.MustParseAddr("::ffff:127.0.0.1").As16()}
	if err := syscall.Connect(fd, sa); err != nil {
		syscall.Close(fd)
		t.Fatal(err)
	}
	if local, err := syscall.Getsockname(fd); err != nil {
		t.Fatal(err)
	} else if _, ok := local.(*syscall.SockaddrInet6); !ok {
		t.Fatalf("local address %#v: not IPv6", local)
	}
	f := os.NewFile(uintptr(fd), "v4-mapped")
	defer f.Close()
	c, err := net.FileConn(f)
	if err != nil {
		t.Fatal(err)
	}
	return c
}
