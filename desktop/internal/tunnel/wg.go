package tunnel

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.zx2c4.com/wireguard/conn"
	"golang.zx2c4.com/wireguard/device"
	"golang.zx2c4.com/wireguard/tun"
)

// DefaultMTU is the MTU of a tunnel whose Config.MTU is 0.
const DefaultMTU = 1420

// ErrClosed is returned by Up after the backend was closed.
var ErrClosed = errors.New("tunnel: backend closed")

func (c Config) mtu() int {
	if c.MTU > 0 {
		return c.MTU
	}
	return DefaultMTU
}

// validate checks what every backend needs from a Config.
func (c Config) validate() error {
	switch {
	case c.PrivateKey.IsZero():
		return errors.New("tunnel: config: no private key")
	case c.GatewayPublicKey.IsZero():
		return errors.New("tunnel: config: no gateway public key")
	case !c.Address.IsValid():
		return errors.New("tunnel: config: no address")
	case c.Endpoint == "":
		return errors.New("tunnel: config: no endpoint")
	case len(c.AllowedIPs) == 0:
		return errors.New("tunnel: config: no allowed IPs")
	case c.PersistentKeepalive < 0:
		return errors.New("tunnel: config: negative persistent keepalive")
	}
	for _, p := range c.AllowedIPs {
		if !p.IsValid() {
			return fmt.Errorf("tunnel: config: invalid allowed IP %v", p)
		}
	}
	return nil
}

// resolveEndpoint turns the gateway's host:port into an IP and port. This
// is the one place the host's resolver is used: for the endpoint, which is
// reached outside the tunnel by definition.
func resolveEndpoint(ctx context.Context, endpoint string) (netip.AddrPort, error) {
	host, sport, err := net.SplitHostPort(endpoint)
	if err != nil {
		return netip.AddrPort{}, fmt.Errorf("tunnel: endpoint %q: %w", endpoint, err)
	}
	port, err := strconv.ParseUint(sport, 10, 16)
	if err != nil || port == 0 {
		return netip.AddrPort{}, fmt.Errorf("tunnel: endpoint %q: bad port", endpoint)
	}
	if ip, err := netip.ParseAddr(host); err == nil {
		return netip.AddrPortFrom(ip.Unmap().WithZone(""), uint16(port)), nil
	}
	ips, err := net.DefaultResolver.LookupNetIP(ctx, "ip", host)
	if err != nil {
		return netip.AddrPort{}, fmt.Errorf("tunnel: endpoint %q: %w", endpoint, err)
	}
	if len(ips) == 0 {
		return netip.AddrPort{}, fmt.Errorf("tunnel: endpoint %q: no address", endpoint)
	}
	ip := ips[0]
	for _, a := range ips { // prefer IPv4: it works on more networks
		if a.Unmap().Is4() {
			ip = a
			break
		}
	}
	return netip.AddrPortFrom(ip.Unmap(), uint16(port)), nil
}

// uapiConfig is the IpcSet text of a device with one peer, the gateway.
func uapiConfig(cfg Config, endpoint netip.AddrPort) string {
	var b strings.Builder
	fmt.Fprintf(&b, "private_key=%s\n", cfg.PrivateKey.Hex())
	fmt.Fprintf(&b, "public_key=%s\n", cfg.GatewayPublicKey.Hex())
	fmt.Fprintf(&b, "endpoint=%s\n", endpoint)
	fmt.Fprintf(&b, "persistent_keepalive_interval=%d\n", int(cfg.PersistentKeepalive/time.Second))
	for _, p := range cfg.AllowedIPs {
		fmt.Fprintf(&b, "allowed_ip=%s\n", p.Masked())
	}
	return b.String()
}

func newDeviceLogger(name string, logf func(string, ...any)) *device.Logger {
	l := &device.Logger{Verbosef: device.DiscardLogf, Errorf: device.DiscardLogf}
	if logf != nil {
		l.Errorf = func(format string, args ...any) {
			logf("tunnel %s: "+format, append([]any{name}, args...)...)
		}
	}
	return l
}

// startDevice runs wireguard-go on tdev with cfg. On error tdev is closed.
func startDevice(name string, tdev tun.Device, cfg Config, endpoint netip.AddrPort, logf func(string, ...any)) (*device.Device, error) {
	dev := device.NewDevice(tdev, conn.NewDefaultBind(), newDeviceLogger(name, logf))
	if err := dev.IpcSet(uapiConfig(cfg, endpoint)); err != nil {
		dev.Close()
		return nil, fmt.Errorf("tunnel %s: configure device: %w", name, err)
	}
	if err := dev.Up(); err != nil {
		dev.Close()
		return nil, fmt.Errorf("tunnel %s: device up: %w", name, err)
	}
	return dev, nil
}

// deviceStatus reads the gateway peer's counters from the device.
func deviceStatus(name string, dev *device.Device) Status {
	st := Status{Name: name, Up: true}
	text, err := dev.IpcGet()
	if err != nil {
		return st
	}
	var sec, nsec int64
	for _, line := range strings.Split(text, "\n") {
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			continue
		}
		n, _ := strconv.ParseInt(v, 10, 64)
		switch k {
		case "last_handshake_time_sec":
			sec = n
		case "last_handshake_time_nsec":
			nsec = n
		case "rx_bytes":
			st.RxBytes += n
		case "tx_bytes":
			st.TxBytes += n
		}
	}
	if sec != 0 || nsec != 0 {
		st.LastHandshake = time.Unix(sec, nsec)
	}
	return st
}

// wgTunnel is the part of a tunnel common to both backends: the device
// and its teardown. onClose runs once, before the device closes.
type wgTunnel struct {
	name    string
	dev     *device.Device
	onClose func()

	mu     sync.Mutex
	closed bool
}

func (t *wgTunnel) Status() Status {
	t.mu.Lock()
	closed := t.closed
	t.mu.Unlock()
	if closed {
		return Status{Name: t.name}
	}
	return deviceStatus(t.name, t.dev)
}

func (t *wgTunnel) Close() error {
	t.mu.Lock()
	if t.closed {
		t.mu.Unlock()
		return nil
	}
	t.closed = true
	t.mu.Unlock()
	if t.onClose != nil {
		t.onClose()
	}
	t.dev.Close()
	return nil
}

func (t *wgTunnel) isClosed() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.closed
}
