// Package tunnel brings WireGuard tunnels up and down on the device, with
// wireguard-go in-process. Two kinds of Backend:
//
//   - netstack (any OS, no privileges): each tunnel is a userspace network
//     stack; applications reach the networks through local proxies (SOCKS5
//     and HTTP CONNECT on 127.0.0.1) that route each connection into the
//     tunnel whose allowed IPs hold the destination, and resolve names only
//     through the tunnels' DNS servers, never the host's resolver;
//   - TUN (privileged): a real interface per tunnel with its address and
//     routes (Linux via netlink; Windows via wintun and winipcfg; macOS utun).
//
// The private key is generated and kept on the device; it is handed to the
// backend in Config and never leaves the process.
package tunnel

import (
	"context"
	"net/netip"
	"time"
)

// Key is a Curve25519 key (private or public).
type Key [32]byte

// Config is one tunnel's WireGuard configuration.
type Config struct {
	PrivateKey          Key
	Address             netip.Prefix // the device's address, e.g. 10.77.0.2/32
	GatewayPublicKey    Key
	Endpoint            string         // host:port of the gateway
	AllowedIPs          []netip.Prefix // routed into the tunnel
	DNS                 []netip.Addr   // resolvers inside the tunnel
	PersistentKeepalive time.Duration
	MTU                 int // 0: 1420
}

// Status is a tunnel's state as its device sees it.
type Status struct {
	Name          string
	Up            bool
	LastHandshake time.Time
	RxBytes       int64
	TxBytes       int64
}

// Tunnel is one running tunnel.
type Tunnel interface {
	Status() Status
	// Close tears the tunnel down; connections through it fail at once.
	Close() error
}

// Backend creates tunnels.
type Backend interface {
	// Kind is "netstack" or "tun".
	Kind() string
	// Up brings up a tunnel named name (a network name; unique among the
	// backend's tunnels) with cfg.
	Up(ctx context.Context, name string, cfg Config) (Tunnel, error)
	// Proxies returns the local proxy addresses (netstack only; empty strings otherwise).
	Proxies() (socks5, httpProxy string)
	// Close tears every tunnel down and stops the proxies.
	Close() error
}
