package tunnel

import (
	"context"
	"fmt"
	"hash/fnv"
	"strings"
	"sync"

	"golang.zx2c4.com/wireguard/tun"
)

// TUNOptions configures NewTUN.
type TUNOptions struct {
	// Logf, if set, receives errors of the devices.
	Logf func(format string, args ...any)
}

// TUN is the privileged Backend: each tunnel is a real network interface
// ("gp-<name>" on Linux and Windows, utunN on macOS) with the tunnel's
// address and a route for each allowed IP, so every program on the machine
// reaches the network directly. Closing a tunnel deletes its interface and
// with it the routes. Proxies returns empty strings.
//
// Per OS: Linux uses netlink for address, link and routes (DNS is not
// configured: the host's resolver setup, e.g. systemd-resolved, is left
// alone); Windows uses wintun and winipcfg (addresses, routes and the
// interface's DNS servers); macOS uses ifconfig and route (DNS is not
// configured).
type TUN struct {
	logf func(string, ...any)

	mu      sync.Mutex
	closed  bool
	tunnels map[string]*tunTunnel // nil value: name reserved by an Up in progress
}

var _ Backend = (*TUN)(nil)

// NewTUN returns a TUN backend. It needs privileges (see Privileged) only
// when a tunnel comes up.
func NewTUN(opts TUNOptions) (*TUN, error) {
	if err := tunSupported(); err != nil {
		return nil, err
	}
	b := &TUN{logf: opts.Logf, tunnels: map[string]*tunTunnel{}}
	if b.logf == nil {
		b.logf = func(string, ...any) {}
	}
	return b, nil
}

// Kind returns "tun".
func (b *TUN) Kind() string { return "tun" }

// Proxies returns empty strings: programs use the routes.
func (b *TUN) Proxies() (socks5, httpProxy string) { return "", "" }

// ProxyAuth returns nil: a TUN backend has no proxies.
func (b *TUN) ProxyAuth() *ProxyAuth { return nil }

// Up creates the tunnel's interface, configures it and runs wireguard-go on it.
func (b *TUN) Up(ctx context.Context, name string, cfg Config) (Tunnel, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	t, err := upNamed(&b.mu, b.tunnels, &b.closed, name, func() (*tunTunnel, error) { return b.start(ctx, name, cfg) })
	if err != nil {
		return nil, err
	}
	return t, nil
}

func (b *TUN) start(ctx context.Context, name string, cfg Config) (*tunTunnel, error) {
	endpoint, err := resolveEndpoint(ctx, cfg.Endpoint)
	if err != nil {
		return nil, err
	}
	for _, p := range cfg.AllowedIPs {
		if p.Contains(endpoint.Addr()) {
			// The encrypted packets would be routed into the tunnel itself.
			return nil, fmt.Errorf("tunnel %s: endpoint %s is inside allowed IP %s (not supported by the TUN backend)", name, endpoint, p)
		}
	}
	tdev, err := tun.CreateTUN(platformInterfaceName(name), cfg.mtu())
	if err != nil {
		return nil, fmt.Errorf("tunnel %s: create interface: %w", name, err)
	}
	ifname, err := tdev.Name()
	if err != nil {
		tdev.Close()
		return nil, fmt.Errorf("tunnel %s: interface name: %w", name, err)
	}
	dev, err := startDevice(name, tdev, cfg, endpoint, b.logf)
	if err != nil {
		return nil, err
	}
	if err := configureInterface(tdev, ifname, cfg); err != nil {
		dev.Close()
		return nil, fmt.Errorf("tunnel %s: configure %s: %w", name, ifname, err)
	}
	t := &tunTunnel{ifname: ifname}
	t.wgTunnel = wgTunnel{name: name, dev: dev, onClose: func() {
		b.mu.Lock()
		if b.tunnels[name] == t {
			delete(b.tunnels, name)
		}
		b.mu.Unlock()
	}}
	return t, nil
}

// Close tears every tunnel down.
func (b *TUN) Close() error {
	b.mu.Lock()
	b.closed = true
	var ts []*tunTunnel
	for _, t := range b.tunnels {
		if t != nil {
			ts = append(ts, t)
		}
	}
	b.mu.Unlock()
	for _, t := range ts {
		t.Close()
	}
	return nil
}

// tunTunnel is one tunnel of a TUN backend.
type tunTunnel struct {
	wgTunnel
	ifname string
}

// InterfaceName returns the name of the tunnel's network interface.
func (t *tunTunnel) InterfaceName() string { return t.ifname }

// InterfaceName returns the interface name the TUN backend asks for a
// tunnel named name: "gp-" and at most 12 more characters (Linux allows 15),
// the name itself when it fits and is plain [a-z0-9-], else a prefix and a
// hash so that different names get different interfaces. (macOS names
// its interfaces utunN itself.)
func InterfaceName(name string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(name) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '-':
			b.WriteRune(r)
		default:
			b.WriteByte('-')
		}
	}
	s := b.String()
	if len(s) <= 12 && s == name {
		return "gp-" + s
	}
	h := fnv.New32a()
	h.Write([]byte(name))
	if len(s) > 6 {
		s = s[:6]
	}
	return fmt.Sprintf("gp-%s%06x", s, h.Sum32()&0xffffff)
}
