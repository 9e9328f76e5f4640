// Package netstack is the userspace data plane of a Gatepass gateway: a
// subnet router that needs no root and no TUN device.
//
// A Stack is a gVisor network stack behind a wireguard-go tun.Device (TUN).
// wireguard-go decrypts the peers' packets and writes them into the stack;
// the stack's single NIC is promiscuous and may spoof source addresses, so a
// packet to any destination arrives here and the answer goes back from that
// destination's address. What happens to it:
//
//   - TCP to Address:80 reaches the status page, if the caller serves one on
//     ListenStatus; TCP to any other port of Address is reset, except 53.
//   - DNS: UDP and TCP to Address:53 are relayed to the upstream resolver
//     (Options.Resolver, by default the host's first nameserver), so peers
//     resolve names through the tunnel, as the host would.
//   - TCP to a destination inside Options.Routes is dialed from the host's own
//     network stack (Options.Dial) and spliced both ways. The dial happens
//     before the handshake is completed: a destination that refuses or does
//     not answer within 10 s is reset, as if the peer had reached it directly.
//   - UDP to a destination inside Options.Routes is relayed through one host
//     UDP socket per flow, closed after 60 s without traffic.
//   - ICMP echo to Address is answered.
//   - Everything else is refused: TCP is reset, UDP and ICMP are dropped.
//     Peers cannot reach each other (the network's own range is never
//     forwarded), nor any address the routes do not cover.
//
// Some destinations are never forwarded, even inside a route such as
// 0.0.0.0/0: loopback (clients, Linux's and gVisor's alike, drop replies from
// a loopback source, so New rejects a route inside 127.0.0.0/8 or ::1:
// expose a service of the gateway host through another of its addresses),
// multicast, broadcast and unspecified addresses; link-local ones (such as a
// cloud's metadata service at 169.254.169.254) only through a route that is
// itself link-local. Routes may be IPv6 whatever the family of Address.
//
// Forwarded connections come from the host's address, not the peer's: the
// destination sees the gateway. Stats counts what was forwarded and refused.
package netstack

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"strings"
	"sync"
	"sync/atomic"

	"golang.zx2c4.com/wireguard/tun"
	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/adapters/gonet"
	"gvisor.dev/gvisor/pkg/tcpip/header"
	"gvisor.dev/gvisor/pkg/tcpip/link/channel"
	"gvisor.dev/gvisor/pkg/tcpip/network/ipv4"
	"gvisor.dev/gvisor/pkg/tcpip/network/ipv6"
	"gvisor.dev/gvisor/pkg/tcpip/stack"
	"gvisor.dev/gvisor/pkg/tcpip/transport/icmp"
	"gvisor.dev/gvisor/pkg/tcpip/transport/tcp"
	"gvisor.dev/gvisor/pkg/tcpip/transport/udp"
)

// DefaultMTU is the MTU of the tunnel when Options.MTU is zero: WireGuard's
// usual 1420 (1500 minus the IPv6, UDP and WireGuard overheads).
const DefaultMTU = 1420

// nicID is the one NIC of the stack.
const nicID tcpip.NICID = 1

// Options configure New. Address and Prefix are required.
type Options struct {
	// Address is the gateway's tunnel address, e.g. 10.77.0.1.
	Address netip.Addr
	// Prefix is the network's range, e.g. 10.77.0.0/24; it contains Address.
	Prefix netip.Prefix
	// Routes are the destinations reachable through the gateway, dialed from
	// the host's own network stack. None: the gateway only answers itself.
	Routes []netip.Prefix
	// MTU of the tunnel; 0 means DefaultMTU.
	MTU int
	// Dial opens the host side of forwarded connections and flows
	// ("tcp" or "udp"), and reaches the resolver. nil means a net.Dialer.
	Dial func(ctx context.Context, network, addr string) (net.Conn, error)
	// Resolver is host:port of the upstream DNS server that Address:53
	// relays to. "" means the first nameserver of /etc/resolv.conf, else
	// 127.0.0.53:53.
	Resolver string
	// Logf receives dial failures and internal errors; nil discards them.
	Logf func(format string, args ...any)
}

// Stats are running totals since New.
type Stats struct {
	// ForwardedTCP counts TCP connections spliced to a host connection
	// (routes and DNS over TCP).
	ForwardedTCP uint64
	// ForwardedUDP counts UDP flows relayed through a host socket (routes
	// and DNS).
	ForwardedUDP uint64
	// Refused counts TCP connection attempts that were reset (destination
	// not allowed, or the host dial failed) and UDP datagrams dropped
	// because their destination is not allowed.
	Refused uint64
}

// Stack is a gateway's userspace network stack. Create it with New, give
// TUN to device.NewDevice, and Close it after the device.
type Stack struct {
	addr     netip.Addr
	prefix   netip.Prefix
	routes   []netip.Prefix
	resolver string
	dial     func(ctx context.Context, network, addr string) (net.Conn, error)
	logf     func(format string, args ...any)

	gs   *stack.Stack
	link *channel.Endpoint
	dev  *tunDevice

	ctx    context.Context // cancelled by Close: aborts dials
	cancel context.CancelFunc

	mu        sync.Mutex
	closed    bool
	flows     map[*flow]struct{}
	listeners []net.Listener
	wg        sync.WaitGroup // forwarding goroutines
	closeOnce sync.Once

	udpFlows     atomic.Int64
	forwardedTCP atomic.Uint64
	forwardedUDP atomic.Uint64
	refused      atomic.Uint64
}

// New creates the stack and starts forwarding. It does not touch the host's
// network configuration.
func New(opts Options) (*Stack, error) {
	s, err := configure(opts)
	if err != nil {
		return nil, err
	}
	if err := s.start(opts.MTU); err != nil {
		s.gs.Destroy()
		return nil, err
	}
	return s, nil
}

// configure validates opts and fills in the defaults.
func configure(opts Options) (*Stack, error) {
	if !opts.Address.IsValid() {
		return nil, errors.New("netstack: Address is required")
	}
	if !opts.Prefix.IsValid() {
		return nil, errors.New("netstack: Prefix is required")
	}
	addr := opts.Address.Unmap()
	prefix := opts.Prefix.Masked()
	if !prefix.Contains(addr) {
		return nil, fmt.Errorf("netstack: address %s is outside the network %s", addr, prefix)
	}
	var routes []netip.Prefix
	for _, r := range opts.Routes {
		if !r.IsValid() {
			return nil, fmt.Errorf("netstack: invalid route %v", r)
		}
		r = r.Masked()
		if r.Addr().IsLoopback() && r.Bits() >= 8 {
			return nil, fmt.Errorf("netstack: route %s: loopback destinations cannot be reached through a tunnel (clients drop replies from loopback addresses); use another address of the host", r)
		}
		routes = append(routes, r)
	}
	switch {
	case opts.MTU == 0:
		opts.MTU = DefaultMTU
	case opts.MTU < 576 || opts.MTU > 65535:
		return nil, fmt.Errorf("netstack: MTU %d out of range", opts.MTU)
	}
	if opts.Dial == nil {
		opts.Dial = (&net.Dialer{}).DialContext
	}
	if opts.Resolver == "" {
		opts.Resolver = systemResolver("/etc/resolv.conf")
	}
	if _, _, err := net.SplitHostPort(opts.Resolver); err != nil {
		return nil, fmt.Errorf("netstack: resolver %q: %w", opts.Resolver, err)
	}
	if opts.Logf == nil {
		opts.Logf = func(string, ...any) {}
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &Stack{
		addr:     addr,
		prefix:   prefix,
		routes:   routes,
		resolver: opts.Resolver,
		dial:     opts.Dial,
		logf:     opts.Logf,
		gs: stack.New(stack.Options{
			NetworkProtocols:   []stack.NetworkProtocolFactory{ipv4.NewProtocol, ipv6.NewProtocol},
			TransportProtocols: []stack.TransportProtocolFactory{tcp.NewProtocol, udp.NewProtocol, icmp.NewProtocol4, icmp.NewProtocol6},
		}),
		link:   channel.New(linkQueueLen, uint32(opts.MTU), ""),
		ctx:    ctx,
		cancel: cancel,
		flows:  make(map[*flow]struct{}),
	}, nil
}

// start creates the NIC, the routes and the forwarders.
func (s *Stack) start(mtu int) error {
	sack := tcpip.TCPSACKEnabled(true)
	if err := s.gs.SetTransportProtocolOption(tcp.ProtocolNumber, &sack); err != nil {
		return fmt.Errorf("netstack: enable SACK: %v", err)
	}
	if err := s.gs.CreateNIC(nicID, s.link); err != nil {
		return fmt.Errorf("netstack: create NIC: %v", err)
	}
	// Promiscuous: accept packets to any address, not only ours. Spoofing:
	// answer from that address.
	if err := s.gs.SetPromiscuousMode(nicID, true); err != nil {
		return fmt.Errorf("netstack: promiscuous mode: %v", err)
	}
	if err := s.gs.SetSpoofing(nicID, true); err != nil {
		return fmt.Errorf("netstack: spoofing: %v", err)
	}
	proto := ipv4.ProtocolNumber
	if s.addr.Is6() {
		proto = ipv6.ProtocolNumber
	}
	err := s.gs.AddProtocolAddress(nicID, tcpip.ProtocolAddress{
		Protocol: proto,
		AddressWithPrefix: tcpip.AddressWithPrefix{
			Address:   tcpip.AddrFromSlice(s.addr.AsSlice()),
			PrefixLen: s.prefix.Bits(),
		},
	}, stack.AddressProperties{})
	if err != nil {
		return fmt.Errorf("netstack: add address %s: %v", s.addr, err)
	}
	s.gs.SetRouteTable([]tcpip.Route{
		{Destination: header.IPv4EmptySubnet, NIC: nicID},
		{Destination: header.IPv6EmptySubnet, NIC: nicID},
	})

	tcpFwd := tcp.NewForwarder(s.gs, 0, maxInFlight, s.handleTCP)
	s.gs.SetTransportProtocolHandler(tcp.ProtocolNumber, tcpFwd.HandlePacket)
	udpFwd := udp.NewForwarder(s.gs, s.handleUDP)
	s.gs.SetTransportProtocolHandler(udp.ProtocolNumber, udpFwd.HandlePacket)

	s.dev = newTunDevice(s.link, mtu)
	return nil
}

// TUN is the device to give to device.NewDevice. Closing it (the wireguard
// device does on Close) stops the packet flow; Close the Stack as well.
func (s *Stack) TUN() tun.Device { return s.dev }

// ListenStatus listens on Address:80 inside the tunnel, for the status page.
// While it is open, TCP to Address:80 reaches it; after it is closed (or
// before it exists) such connections are reset. Close closes it.
func (s *Stack) ListenStatus() (net.Listener, error) {
	fa, proto := fullAddress(netip.AddrPortFrom(s.addr, 80))
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, net.ErrClosed
	}
	ln, err := gonet.ListenTCP(s.gs, fa, proto)
	if err != nil {
		return nil, fmt.Errorf("netstack: listen on %s:80: %w", s.addr, err)
	}
	s.listeners = append(s.listeners, ln)
	return ln, nil
}

// DialContext dials from the gateway's tunnel address to addr, an IP:port
// inside the network's range (a peer), through the tunnel. network is tcp,
// tcp4, tcp6, udp, udp4 or udp6. Names are not resolved.
func (s *Stack) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	opErr := func(err error) error { return &net.OpError{Op: "dial", Net: network, Err: err} }
	ap, err := netip.ParseAddrPort(addr)
	if err != nil {
		return nil, opErr(err)
	}
	ap = netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
	if !s.prefix.Contains(ap.Addr()) {
		return nil, opErr(fmt.Errorf("%s is outside the network %s", ap.Addr(), s.prefix))
	}
	if s.isClosed() {
		return nil, opErr(net.ErrClosed)
	}
	remote, proto := fullAddress(ap)
	local, _ := fullAddress(netip.AddrPortFrom(s.addr, 0))
	switch network {
	case "tcp", "tcp4", "tcp6":
		return gonet.DialTCPWithBind(ctx, s.gs, local, remote, proto)
	case "udp", "udp4", "udp6":
		return gonet.DialUDP(s.gs, &local, &remote, proto)
	}
	return nil, opErr(net.UnknownNetworkError(network))
}

// Stats returns the running totals.
func (s *Stack) Stats() Stats {
	return Stats{
		ForwardedTCP: s.forwardedTCP.Load(),
		ForwardedUDP: s.forwardedUDP.Load(),
		Refused:      s.refused.Load(),
	}
}

// Close stops the stack: the status listener, every forwarded connection
// and flow, the TUN device. It waits for the forwarding goroutines to end.
// Calling it again does nothing.
func (s *Stack) Close() error {
	s.closeOnce.Do(func() {
		s.mu.Lock()
		s.closed = true
		listeners := s.listeners
		flows := s.flows
		s.listeners, s.flows = nil, nil
		s.mu.Unlock()

		s.cancel()
		for _, ln := range listeners {
			ln.Close()
		}
		for f := range flows {
			f.close()
		}
		s.dev.Close()
		s.gs.Close() // aborts the endpoints: pending handshakes and reads return
		s.wg.Wait()
		s.gs.Wait() // removes the NIC, ends gVisor's goroutines
		s.link.Close()
	})
	return nil
}

func (s *Stack) isClosed() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closed
}

// fullAddress converts ap to gVisor's address on our NIC.
func fullAddress(ap netip.AddrPort) (tcpip.FullAddress, tcpip.NetworkProtocolNumber) {
	proto := ipv4.ProtocolNumber
	if ap.Addr().Is6() {
		proto = ipv6.ProtocolNumber
	}
	return tcpip.FullAddress{NIC: nicID, Addr: tcpip.AddrFromSlice(ap.Addr().AsSlice()), Port: ap.Port()}, proto
}

// addrPort converts a gVisor address and port.
func addrPort(a tcpip.Address, port uint16) netip.AddrPort {
	ip, _ := netip.AddrFromSlice(a.AsSlice())
	return netip.AddrPortFrom(ip.Unmap(), port)
}

// systemResolver is the first nameserver of the resolv.conf at path, as
// host:53, or 127.0.0.53:53 (systemd-resolved's stub) when there is none.
func systemResolver(path string) string {
	const fallback = "127.0.0.53:53"
	f, err := os.Open(path)
	if err != nil {
		return fallback
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 2 || fields[0] != "nameserver" {
			continue
		}
		if ip, err := netip.ParseAddr(fields[1]); err == nil {
			return net.JoinHostPort(ip.String(), "53")
		}
	}
	return fallback
}
