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
// Who may use the proxies: they listen on loopback only, but every account
// of the machine shares loopback, and a connection through a proxy uses the
// grant of the user who runs the agent. So:
//
//   - Linux: only that user and root (who could read the agent's memory
//     anyway). When a client connects, its socket is looked up in the
//     kernel's socket tables (/proc/net/tcp, then tcp6, where IPv6 sockets
//     to IPv4 addresses appear v4-mapped) by its address pair, and its
//     owner's uid read, as identd does. Another uid, or a socket that is
//     not found (it closed meanwhile), is refused before anything of its
//     request is acted on (no name lookup, no dial): SOCKS5 reply 0x02
//     "connection not allowed by ruleset", HTTP 403 with a one-line
//     reason; each refused uid is logged once.
//   - Windows and macOS have no such exact and cheap lookup: both proxies
//     demand a user name and password instead (NetstackOptions.Auth, kept
//     per install by the agent; random ones for the backend's life when
//     none is given, so the proxies never run open): SOCKS5
//     username/password authentication (RFC 1929) and HTTP
//     "Proxy-Authorization: Basic" (407 without). On Linux they can be
//     demanded in addition to the owner check.
//
// The private key is generated and kept on the device; it is handed to the
// backend in Config and never leaves the process.
package tunnel

import (
	"context"
	"net/netip"
	"time"

	"gatepass.dev/shared/wgkey"
)

// Config is one tunnel's WireGuard configuration.
type Config struct {
	PrivateKey          wgkey.Key
	Address             netip.Prefix // the device's address, e.g. 10.77.0.2/32
	GatewayPublicKey    wgkey.Key
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
	// ProxyAuth returns the credentials the proxies demand; nil when they
	// demand none, or there are no proxies.
	ProxyAuth() *ProxyAuth
	// Close tears every tunnel down and stops the proxies.
	Close() error
}
