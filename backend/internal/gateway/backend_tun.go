package gateway

import (
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.zx2c4.com/wireguard/conn"
	"golang.zx2c4.com/wireguard/device"
	"golang.zx2c4.com/wireguard/tun"
)

// TUN is the kernel-routed backend (Linux, root): each network gets a TUN
// interface "gp-<port>" with the gateway's address, and the host forwards
// the peers' traffic to the network's routes.
//
// What the host must allow: IP forwarding (this backend sets
// net.ipv4.ip_forward=1, and net.ipv6.conf.all.forwarding=1 only for a
// network with IPv6 in its range or routes), a firewall that lets traffic
// from the network's range out to its routes, and a way back — routes on
// the routed networks pointing to this host for the range, or
// masquerading, e.g.
//
//	iptables -t nat -A POSTROUTING -s 10.77.0.0/24 -j MASQUERADE
//
// It uses the ip(8) command of iproute2.
type TUN struct {
	Log *slog.Logger
}

// NewTUN returns the TUN backend.
func NewTUN(log *slog.Logger) TUN { return TUN{Log: log} }

// Kind is "tun".
func (TUN) Kind() string { return "tun" }

type tunDevice struct {
	dev  *device.Device
	name string
	srv  *http.Server
	once sync.Once
}

// Open creates the interface and its device.
func (b TUN) Open(spec Spec, status http.Handler) (Device, error) {
	log := b.Log
	if log == nil {
		log = slog.Default()
	}
	name := "gp-" + strconv.Itoa(spec.ListenPort)
	t, err := tun.CreateTUN(name, 1420)
	if err != nil {
		return nil, fmt.Errorf("create TUN %s (needs root and /dev/net/tun): %w", name, err)
	}
	if real, err := t.Name(); err == nil {
		name = real
	}
	dev := device.NewDevice(t, conn.NewDefaultBind(), wgLogger(log.With("network", spec.Name)))
	d := &tunDevice{dev: dev, name: name}
	fail := func(err error) (Device, error) {
		d.Close()
		return nil, err
	}
	if err := dev.IpcSet(fmt.Sprintf("private_key=%s\nlisten_port=%d\n", spec.PrivateKey.Hex(), spec.ListenPort)); err != nil {
		return fail(err)
	}
	if err := dev.Up(); err != nil {
		return fail(err)
	}
	addr := netip.PrefixFrom(spec.Address, spec.Prefix.Bits())
	if err := ip("addr", "add", addr.String(), "dev", name); err != nil {
		return fail(err)
	}
	if err := ip("link", "set", name, "up"); err != nil {
		return fail(err)
	}
	for _, f := range forwardingSysctls(spec) {
		if err := os.WriteFile(f, []byte("1"), 0o644); err != nil {
			log.Warn("gateway: cannot enable IP forwarding", "file", f, "err", err)
		}
	}
	if status != nil {
		ln, err := listenRetry(net.JoinHostPort(spec.Address.String(), "80"))
		if err != nil {
			log.Warn("gateway: status page not served", "network", spec.Name, "err", err)
		} else {
			d.srv = &http.Server{Handler: status, ReadHeaderTimeout: 10 * time.Second}
			go func() { _ = d.srv.Serve(ln) }()
		}
	}
	return d, nil
}

// forwardingSysctls are the forwarding switches a network needs: only those
// of the address families of its range and routes. IPv6 forwarding is not
// turned on for an IPv4-only network: with it on, Linux ignores router
// advertisements (accept_ra=1), and a host that gets its IPv6 default route
// by SLAAC would lose it when its first gateway came up.
func forwardingSysctls(spec Spec) []string {
	var v4, v6 bool
	for _, p := range append([]netip.Prefix{spec.Prefix}, spec.Routes...) {
		if p.Addr().Is4() {
			v4 = true
		} else if p.IsValid() {
			v6 = true
		}
	}
	var out []string
	if v4 {
		out = append(out, "/proc/sys/net/ipv4/ip_forward")
	}
	if v6 {
		out = append(out, "/proc/sys/net/ipv6/conf/all/forwarding")
	}
	return out
}

// listenRetry listens on an address just assigned (it may take a moment to
// become usable).
func listenRetry(addr string) (net.Listener, error) {
	var err error
	for range 50 {
		var ln net.Listener
		if ln, err = net.Listen("tcp", addr); err == nil {
			return ln, nil
		}
		time.Sleep(10 * time.Millisecond)
	}
	return nil, err
}

func ip(args ...string) error {
	out, err := exec.Command("ip", args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("ip %s: %v: %s", strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	return nil
}

func (d *tunDevice) IpcSet(s string) error   { return d.dev.IpcSet(s) }
func (d *tunDevice) IpcGet() (string, error) { return d.dev.IpcGet() }

func (d *tunDevice) Close() error {
	d.once.Do(func() {
		if d.srv != nil {
			d.srv.Close()
		}
		d.dev.Close() // closes the TUN, which removes the interface
	})
	return nil
}

// Off is the backend of a server without a gateway (--gateway off): grants
// are still managed and audited, but nothing is enforced here — for
// deployments where another WireGuard gateway reads the API.
type Off struct{}

// Kind is "off".
func (Off) Kind() string { return "off" }

// Open returns a device that keeps the peer list in memory only.
func (Off) Open(Spec, http.Handler) (Device, error) { return &offDevice{}, nil }

type offDevice struct{}

func (*offDevice) IpcSet(string) error     { return nil }
func (*offDevice) IpcGet() (string, error) { return "", nil }
func (*offDevice) Close() error            { return nil }
