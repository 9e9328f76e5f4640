package tunnel

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/things-go/go-socks5"
	"golang.zx2c4.com/wireguard/tun/netstack"
)

// NetstackOptions configures NewNetstack.
type NetstackOptions struct {
	// SOCKS5Addr and HTTPProxyAddr are the loopback addresses the proxies
	// listen on; "" means "127.0.0.1:0" (a free port). A non-loopback
	// address is refused: the proxies would hand the tunnels to the LAN.
	SOCKS5Addr    string
	HTTPProxyAddr string
	// Auth, if set, are the credentials both proxies demand. nil: none on
	// Linux (the owner check alone); elsewhere random ones for the life
	// of the backend (see ProxyAuth), as the proxies never run open.
	Auth *ProxyAuth
	// OwnerUID is the user whose connections the proxies accept besides
	// root's (Linux); 0 means the user the process runs as.
	OwnerUID int
	// Logf, if set, receives errors of the devices and the proxies.
	Logf func(format string, args ...any)
}

const (
	// dialTimeout bounds a TCP connect through a tunnel.
	dialTimeout = 15 * time.Second
	// lookupTimeout bounds a name lookup through the tunnels' DNS.
	lookupTimeout = 5 * time.Second
)

var (
	// ErrNoRoute is wrapped by the error of a connection whose destination
	// no up tunnel's allowed IPs hold. Such a connection is refused, never
	// dialed on the host network.
	ErrNoRoute = errors.New("no tunnel routes this destination")
	// ErrNotFound is wrapped by the error of a name that no up tunnel's DNS
	// resolves to an address inside that tunnel.
	ErrNotFound = errors.New("name not found in the tunnels' DNS")
)

// noRouteError says which destination had no tunnel. Its text holds
// "network is unreachable" like the kernel's ENETUNREACH.
type noRouteError struct{ addr netip.Addr }

func (e *noRouteError) Error() string {
	return fmt.Sprintf("no tunnel routes %s: network is unreachable", e.addr)
}
func (e *noRouteError) Unwrap() error { return ErrNoRoute }

// Netstack is the unprivileged Backend: each tunnel is a gVisor network
// stack inside the process, reached through one SOCKS5 proxy and one HTTP
// proxy on loopback shared by all tunnels. A connection goes to the up
// tunnel whose allowed IPs hold its destination (the most specific prefix
// wins); with none it is refused. Names are resolved only by the tunnels'
// DNS servers, over UDP through the tunnels.
type Netstack struct {
	logf func(string, ...any)

	socksLn, httpLn net.Listener
	httpSrv         *http.Server
	fwd             *http.Transport // absolute-URI forwarding of the HTTP proxy
	serving         sync.WaitGroup
	auth            *ProxyAuth // nil: no credentials asked
	gate            *ownerGate

	mu      sync.Mutex
	closed  bool
	tunnels map[string]*nsTunnel // nil value: name reserved by an Up in progress
	clients map[net.Conn]struct{}
}

var _ Backend = (*Netstack)(nil)

// NewNetstack starts the proxies of a netstack backend (with no tunnel).
func NewNetstack(opts NetstackOptions) (*Netstack, error) {
	b := &Netstack{
		logf:    opts.Logf,
		tunnels: map[string]*nsTunnel{},
		clients: map[net.Conn]struct{}{},
	}
	if b.logf == nil {
		b.logf = func(string, ...any) {}
	}
	b.gate = newOwnerGate(opts.OwnerUID, b.logf)
	switch {
	case opts.Auth != nil:
		if err := opts.Auth.Validate(); err != nil {
			return nil, fmt.Errorf("tunnel: %w", err)
		}
		a := *opts.Auth
		b.auth = &a
	case !ownerCheck:
		a := NewProxyAuth()
		b.auth = &a
	}
	var err error
	if b.socksLn, err = listenLoopback(opts.SOCKS5Addr); err != nil {
		return nil, fmt.Errorf("tunnel: socks5 proxy: %w", err)
	}
	if b.httpLn, err = listenLoopback(opts.HTTPProxyAddr); err != nil {
		b.socksLn.Close()
		return nil, fmt.Errorf("tunnel: http proxy: %w", err)
	}
	b.fwd = &http.Transport{
		Proxy:              nil,
		DialContext:        b.dial,
		ForceAttemptHTTP2:  false,
		DisableCompression: true,
		MaxIdleConns:       64,
		IdleConnTimeout:    60 * time.Second,
	}
	b.httpSrv = &http.Server{
		Handler:           http.HandlerFunc(b.serveHTTPProxy),
		ReadHeaderTimeout: 30 * time.Second,
		ErrorLog:          newStdLogger(b.logf, "http proxy: "),
		ConnContext: func(ctx context.Context, c net.Conn) context.Context {
			return context.WithValue(ctx, clientConnKey{}, c)
		},
	}
	socksOpts := []socks5.Option{
		socks5.WithRule(&socks5.PermitCommand{EnableConnect: true}), // no BIND, no UDP ASSOCIATE
		socks5.WithResolver(socksResolver{b}),
		socks5.WithDial(b.dial),
		socks5.WithConnectHandle(b.socksConnect),
		socks5.WithLogger(socksLogger{b.logf}),
	}
	if b.auth != nil {
		socksOpts = append(socksOpts, socks5.WithCredential(*b.auth)) // the only method offered
	}
	srv := socks5.NewServer(socksOpts...)
	b.serving.Add(2)
	go func() {
		defer b.serving.Done()
		b.serveSOCKS(srv, &trackingListener{Listener: b.socksLn, b: b})
	}()
	go func() {
		defer b.serving.Done()
		b.httpSrv.Serve(&trackingListener{Listener: b.httpLn, b: b}) //nolint:errcheck // ends at Close
	}()
	return b, nil
}

func listenLoopback(addr string) (net.Listener, error) {
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	if host != "localhost" {
		ip, err := netip.ParseAddr(host)
		if err != nil || !ip.IsLoopback() {
			return nil, fmt.Errorf("listen address %q is not a loopback address", addr)
		}
	}
	return net.Listen("tcp", addr)
}

// serveSOCKS accepts SOCKS5 clients until the listener closes. A client
// the owner check refuses never reaches the SOCKS5 server: it would look
// its destination's name up before any rule could refuse it.
func (b *Netstack) serveSOCKS(srv *socks5.Server, ln net.Listener) {
	for {
		c, err := ln.Accept()
		if err != nil {
			return // closed
		}
		go func() {
			cc := c.(*clientConn)
			if b.admit(cc) != nil {
				refuseSOCKS(cc)
				cc.Close()
				return
			}
			if err := srv.ServeConn(cc); err != nil {
				b.logf("socks5 proxy: %v", err)
			}
		}()
	}
}

// Kind returns "netstack".
func (b *Netstack) Kind() string { return "netstack" }

// Proxies returns the listen addresses of the SOCKS5 and HTTP proxies.
func (b *Netstack) Proxies() (socks5, httpProxy string) {
	return b.socksLn.Addr().String(), b.httpLn.Addr().String()
}

// ProxyAuth returns the credentials the proxies demand, or nil when they
// demand none (Linux without NetstackOptions.Auth: the owner check alone).
func (b *Netstack) ProxyAuth() *ProxyAuth {
	if b.auth == nil {
		return nil
	}
	a := *b.auth
	return &a
}

// Up brings a tunnel up in its own userspace network stack.
func (b *Netstack) Up(ctx context.Context, name string, cfg Config) (Tunnel, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	t, err := upNamed(&b.mu, b.tunnels, &b.closed, name, func() (*nsTunnel, error) { return b.start(ctx, name, cfg) })
	if err != nil {
		return nil, err
	}
	return t, nil
}

func (b *Netstack) start(ctx context.Context, name string, cfg Config) (*nsTunnel, error) {
	cfg.AllowedIPs = slices.Clone(cfg.AllowedIPs) // kept for routing: not shared with the caller
	cfg.DNS = slices.Clone(cfg.DNS)
	endpoint, err := resolveEndpoint(ctx, cfg.Endpoint)
	if err != nil {
		return nil, err
	}
	tdev, tnet, err := newNetstackTUN([]netip.Addr{cfg.Address.Addr()}, cfg.DNS, cfg.mtu())
	if err != nil {
		return nil, fmt.Errorf("tunnel %s: netstack: %w", name, err)
	}
	dev, err := startDevice(name, tdev, cfg, endpoint, b.logf)
	if err != nil {
		return nil, err
	}
	t := &nsTunnel{cfg: cfg, tdev: tdev, tnet: tnet, conns: map[io.Closer]struct{}{}}
	t.wgTunnel = wgTunnel{name: name, dev: dev, onClose: func() { b.detach(t) }}
	return t, nil
}

// detach forgets t and cuts every connection through it.
func (b *Netstack) detach(t *nsTunnel) {
	b.mu.Lock()
	if b.tunnels[t.name] == t {
		delete(b.tunnels, t.name)
	}
	b.mu.Unlock()
	t.closeConns()
	t.tdev.quiesce()
	b.fwd.CloseIdleConnections()
}

// Close stops the proxies and tears every tunnel down.
func (b *Netstack) Close() error {
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return nil
	}
	b.closed = true
	var ts []*nsTunnel
	for _, t := range b.tunnels {
		if t != nil {
			ts = append(ts, t)
		}
	}
	clients := b.clients
	b.clients = map[net.Conn]struct{}{}
	b.mu.Unlock()

	b.socksLn.Close()
	b.httpSrv.Close()
	for c := range clients {
		c.Close()
	}
	for _, t := range ts {
		t.Close()
	}
	b.fwd.CloseIdleConnections()
	b.serving.Wait()
	return nil
}

// route returns the up tunnel whose allowed IPs hold ip most specifically.
func (b *Netstack) route(ip netip.Addr) *nsTunnel {
	ip = ip.Unmap()
	b.mu.Lock()
	defer b.mu.Unlock()
	var best *nsTunnel
	bits := -1
	for _, t := range b.tunnels {
		if t == nil {
			continue
		}
		for _, p := range t.cfg.AllowedIPs {
			if p.Bits() > bits && p.Contains(ip) {
				best, bits = t, p.Bits()
			}
		}
	}
	return best
}

// upTunnels returns the tunnels that are up.
func (b *Netstack) upTunnels() []*nsTunnel {
	b.mu.Lock()
	defer b.mu.Unlock()
	var ts []*nsTunnel
	for _, t := range b.tunnels {
		if t != nil {
			ts = append(ts, t)
		}
	}
	return ts
}

// dial opens a TCP connection through the tunnel that routes addr
// (host:port; a name is resolved by the tunnels' DNS). It never touches
// the host network. The connection is closed when its tunnel goes down.
func (b *Netstack) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	c, _, err := b.dialTunnel(ctx, network, addr)
	return c, err
}

func (b *Netstack) dialTunnel(ctx context.Context, network, addr string) (*trackedConn, *nsTunnel, error) {
	switch network {
	case "tcp", "tcp4", "tcp6":
	default:
		return nil, nil, fmt.Errorf("tunnel: dial %s: only tcp is proxied", network)
	}
	host, sport, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, nil, err
	}
	port, err := strconv.ParseUint(sport, 10, 16)
	if err != nil {
		return nil, nil, fmt.Errorf("tunnel: dial %s: bad port", addr)
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		if ip, _, err = b.lookup(ctx, host); err != nil {
			return nil, nil, err
		}
	}
	ip = ip.Unmap().WithZone("")
	t := b.route(ip)
	if t == nil {
		return nil, nil, &noRouteError{ip}
	}
	ctx, cancel := context.WithTimeout(ctx, dialTimeout)
	defer cancel()
	c, err := t.tnet.DialContextTCPAddrPort(ctx, netip.AddrPortFrom(ip, uint16(port)))
	if err != nil {
		return nil, nil, fmt.Errorf("tunnel %s: dial %s: %w", t.name, netip.AddrPortFrom(ip, uint16(port)), err)
	}
	tc := &trackedConn{Conn: c, t: t}
	if !t.track(tc) {
		c.Close()
		return nil, nil, &noRouteError{ip}
	}
	return tc, t, nil
}

// nsTunnel is one tunnel of a Netstack.
type nsTunnel struct {
	wgTunnel
	cfg  Config
	tdev *netstackTUN
	tnet *netstack.Net

	cmu   sync.Mutex
	dead  bool
	conns map[io.Closer]struct{}
}

// contains reports whether ip is inside the tunnel's allowed IPs.
func (t *nsTunnel) contains(ip netip.Addr) bool {
	ip = ip.Unmap()
	for _, p := range t.cfg.AllowedIPs {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}

// track registers c to be closed with the tunnel; false if it is down.
func (t *nsTunnel) track(c io.Closer) bool {
	t.cmu.Lock()
	defer t.cmu.Unlock()
	if t.dead {
		return false
	}
	t.conns[c] = struct{}{}
	return true
}

func (t *nsTunnel) untrack(c io.Closer) {
	t.cmu.Lock()
	delete(t.conns, c)
	t.cmu.Unlock()
}

func (t *nsTunnel) closeConns() {
	t.cmu.Lock()
	t.dead = true
	conns := t.conns
	t.conns = nil
	t.cmu.Unlock()
	for c := range conns {
		c.Close()
	}
}

// trackedConn is a connection through a tunnel.
type trackedConn struct {
	net.Conn
	t    *nsTunnel
	once sync.Once
}

func (c *trackedConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(func() { c.t.untrack(c) })
	return err
}

// CloseWrite half-closes the connection when the stack supports it.
func (c *trackedConn) CloseWrite() error {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return nil
}

// trackingListener records the proxies' client connections so that Close
// can cut them.
type trackingListener struct {
	net.Listener
	b *Netstack
}

func (l *trackingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	tc := &clientConn{Conn: c, b: l.b}
	l.b.mu.Lock()
	closed := l.b.closed
	if !closed {
		l.b.clients[tc] = struct{}{}
	}
	l.b.mu.Unlock()
	if closed {
		c.Close()
		return nil, net.ErrClosed
	}
	return tc, nil
}

type clientConn struct {
	net.Conn
	b    *Netstack
	once sync.Once

	admitOnce sync.Once
	admitErr  error // the owner check's verdict (Netstack.admit)
}

// clientConnKey is the context key of an HTTP proxy request's *clientConn.
type clientConnKey struct{}

func (c *clientConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(func() {
		c.b.mu.Lock()
		delete(c.b.clients, c)
		c.b.mu.Unlock()
	})
	return err
}

func (c *clientConn) CloseWrite() error {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return nil
}

// splice copies both ways between a proxy client and a target through a
// tunnel until both directions end; the tunnel going down cuts both. in
// reads the client's side (it may hold bytes already buffered).
func splice(t *nsTunnel, client net.Conn, in io.Reader, target net.Conn) {
	if !t.track(client) {
		client.Close()
		target.Close()
		return
	}
	defer t.untrack(client)
	defer client.Close()
	defer target.Close()
	errc := make(chan error, 2)
	half := func(dst net.Conn, src io.Reader) {
		_, err := io.Copy(dst, src)
		if err == nil {
			if cw, ok := dst.(interface{ CloseWrite() error }); ok {
				cw.CloseWrite() //nolint:errcheck
			}
		}
		errc <- err
	}
	go half(target, in)
	go half(client, target)
	for range 2 {
		if err := <-errc; err != nil {
			// One side failed (or the tunnel went down): cut both, so the
			// other copy ends too and the client sees the break.
			client.Close()
			target.Close()
		}
	}
}
