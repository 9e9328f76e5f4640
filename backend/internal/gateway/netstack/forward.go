package netstack

import (
	"context"
	"errors"
	"io"
	"net"
	"net/netip"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/adapters/gonet"
	"gvisor.dev/gvisor/pkg/tcpip/transport/tcp"
	"gvisor.dev/gvisor/pkg/tcpip/transport/udp"
	"gvisor.dev/gvisor/pkg/waiter"
)

const (
	// maxInFlight bounds the TCP connection attempts being dialed at once;
	// further SYNs are ignored (the peer retries).
	maxInFlight = 1024
	// dialTimeout bounds a host dial; the peer's connection is reset after.
	dialTimeout = 10 * time.Second
	// maxUDPFlows bounds the UDP flows relayed at once; datagrams that would
	// start another are dropped.
	maxUDPFlows = 1024
	// udpIdle closes a UDP flow without traffic either way; dnsIdle the
	// same for a flow to the resolver.
	udpIdle = 60 * time.Second
	dnsIdle = 15 * time.Second
	// maxDatagram is the largest UDP payload relayed.
	maxDatagram = 65535

	// Keepalive of forwarded TCP connections on the tunnel side, so that
	// the connections of a peer that went away (its peer was removed) end.
	keepaliveIdle     = 60 * time.Second
	keepaliveInterval = 15 * time.Second
	keepaliveCount    = 4
	// userTimeout ends a connection whose sent data stays unacknowledged.
	userTimeout = 2 * time.Minute
)

// flow is a forwarded connection or UDP flow: its tunnel side and host side.
type flow struct {
	client netip.Addr
	conns  []net.Conn
}

func (f *flow) close() {
	for _, c := range f.conns {
		c.Close()
	}
}

// begin accounts for a forwarding goroutine; false once the stack is closing.
func (s *Stack) begin() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return false
	}
	s.wg.Add(1)
	return true
}

// hold registers f so that Close closes it; false (and f closed) once the
// stack is closing. release unregisters it.
func (s *Stack) hold(f *flow) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		f.close()
		return false
	}
	s.flows[f] = struct{}{}
	return true
}

func (s *Stack) release(f *flow) {
	s.mu.Lock()
	delete(s.flows, f)
	s.mu.Unlock()
	f.close()
}

// CloseClient closes every forwarded connection and flow of the peer with
// tunnel address client and returns how many. Call it after removing the
// peer from the device: its traffic already stops there, this frees the
// host sockets at once instead of at the next timeout.
func (s *Stack) CloseClient(client netip.Addr) int {
	client = client.Unmap()
	s.mu.Lock()
	var victims []*flow
	for f := range s.flows {
		if f.client == client {
			victims = append(victims, f)
		}
	}
	s.mu.Unlock()
	for _, f := range victims {
		f.close()
	}
	return len(victims)
}

// target is the host address a TCP connection or UDP flow to dst is
// forwarded to, or "" to refuse it.
func (s *Stack) target(dst netip.AddrPort) string {
	switch {
	case dst.Addr() == s.addr && dst.Port() == 53:
		return s.resolver
	case s.prefix.Contains(dst.Addr()):
		// Ourselves (the status page's listener gets port 80 before the
		// forwarder does) or another peer: not forwarded.
		return ""
	case s.routed(dst.Addr()):
		return dst.String()
	}
	return ""
}

// routed reports whether ip is inside a route and may be forwarded to.
func (s *Stack) routed(ip netip.Addr) bool {
	if ip.IsLoopback() || ip.IsMulticast() || ip.IsUnspecified() || ip == limitedBroadcast {
		return false
	}
	for _, r := range s.routes {
		if r.Contains(ip) && (!ip.IsLinkLocalUnicast() || isLinkLocal(r)) {
			return true
		}
	}
	return false
}

var limitedBroadcast = netip.AddrFrom4([4]byte{255, 255, 255, 255})

// isLinkLocal reports whether all of r is link-local (169.254.0.0/16,
// fe80::/10): a route that asks for link-local destinations explicitly.
func isLinkLocal(r netip.Prefix) bool {
	if r.Addr().Is4() {
		return r.Bits() >= 16 && r.Addr().IsLinkLocalUnicast()
	}
	return r.Bits() >= 10 && r.Addr().IsLinkLocalUnicast()
}

// handleTCP gets each SYN nothing in the stack listens for, in a goroutine
// of its own. It dials the target first and completes the handshake only if
// that works, so the peer sees a refusal as a reset.
func (s *Stack) handleTCP(r *tcp.ForwarderRequest) {
	id := r.ID()
	src, dst := addrPort(id.RemoteAddress, id.RemotePort), addrPort(id.LocalAddress, id.LocalPort)
	target := s.target(dst)
	if target == "" || !s.begin() {
		s.refused.Add(1)
		r.Complete(true)
		return
	}
	defer s.wg.Done()

	ctx, cancel := context.WithTimeout(s.ctx, dialTimeout)
	host, err := s.dial(ctx, "tcp", target)
	cancel()
	if err != nil {
		s.logf("netstack: tcp %s -> %s: %v", src, target, err)
		s.refused.Add(1)
		r.Complete(true)
		return
	}

	var wq waiter.Queue
	ep, tcpErr := r.CreateEndpoint(&wq)
	if tcpErr != nil {
		// The peer went away during the dial, or the stack is closing.
		r.Complete(true)
		host.Close()
		return
	}
	r.Complete(false)
	setKeepalive(ep)

	f := &flow{client: src.Addr(), conns: []net.Conn{gonet.NewTCPConn(&wq, ep), host}}
	if !s.hold(f) {
		return
	}
	defer s.release(f)
	s.forwardedTCP.Add(1)
	splice(f.conns[0], f.conns[1])
}

func setKeepalive(ep tcpip.Endpoint) {
	ep.SocketOptions().SetKeepAlive(true)
	idle := tcpip.KeepaliveIdleOption(keepaliveIdle)
	ep.SetSockOpt(&idle)
	interval := tcpip.KeepaliveIntervalOption(keepaliveInterval)
	ep.SetSockOpt(&interval)
	ep.SetSockOptInt(tcpip.KeepaliveCountOption, keepaliveCount)
	ut := tcpip.TCPUserTimeoutOption(userTimeout)
	ep.SetSockOpt(&ut)
}

// closeWriter is a connection that can half-close (both *net.TCPConn and
// *gonet.TCPConn can).
type closeWriter interface{ CloseWrite() error }

// splice copies both ways until both sides are done. An end of stream is
// passed on as a half-close, so a peer that shuts down its sending side
// still gets the answer; an error closes both connections.
func splice(a, b net.Conn) {
	done := make(chan error, 2)
	pipe := func(dst, src net.Conn) {
		_, err := io.Copy(dst, src)
		if err == nil {
			if cw, ok := dst.(closeWriter); ok {
				err = cw.CloseWrite()
			} else {
				err = errors.ErrUnsupported
			}
		}
		done <- err
	}
	go pipe(a, b)
	go pipe(b, a)
	for range 2 {
		if err := <-done; err != nil {
			a.Close()
			b.Close()
		}
	}
	a.Close()
	b.Close()
}

// handleUDP gets each datagram no endpoint in the stack is bound to, on the
// packet path itself: it must not block. An allowed datagram starts a flow
// (an endpoint for its 4-tuple, which receives the flow's later datagrams)
// relayed by a goroutine.
func (s *Stack) handleUDP(r *udp.ForwarderRequest) {
	id := r.ID()
	src, dst := addrPort(id.RemoteAddress, id.RemotePort), addrPort(id.LocalAddress, id.LocalPort)
	target := s.target(dst)
	if target == "" {
		s.refused.Add(1)
		return
	}
	if s.udpFlows.Add(1) > maxUDPFlows {
		s.udpFlows.Add(-1)
		s.logf("netstack: udp %s -> %s: too many flows, dropped", src, dst)
		return
	}
	if !s.begin() {
		s.udpFlows.Add(-1)
		return
	}
	var wq waiter.Queue
	ep, tcpErr := r.CreateEndpoint(&wq)
	if tcpErr != nil {
		s.logf("netstack: udp %s -> %s: %v", src, dst, tcpErr)
		s.udpFlows.Add(-1)
		s.wg.Done()
		return
	}
	idle := udpIdle
	if target == s.resolver {
		idle = dnsIdle
	}
	go func() {
		defer s.wg.Done()
		defer s.udpFlows.Add(-1)
		s.relayUDP(src, gonet.NewUDPConn(&wq, ep), target, idle)
	}()
}

// relayUDP dials target from the host and relays datagrams between it and
// the tunnel side until neither has sent anything for idle.
func (s *Stack) relayUDP(src netip.AddrPort, tunnel net.Conn, target string, idle time.Duration) {
	ctx, cancel := context.WithTimeout(s.ctx, dialTimeout)
	host, err := s.dial(ctx, "udp", target)
	cancel()
	if err != nil {
		s.logf("netstack: udp %s -> %s: %v", src, target, err)
		tunnel.Close()
		return
	}
	f := &flow{client: src.Addr(), conns: []net.Conn{tunnel, host}}
	if !s.hold(f) {
		return
	}
	defer s.release(f)
	s.forwardedUDP.Add(1)

	var last atomic.Int64 // unix nanoseconds of the last datagram either way
	last.Store(time.Now().UnixNano())
	pump := func(dst, src net.Conn) {
		buf := make([]byte, maxDatagram)
		for {
			src.SetReadDeadline(time.Now().Add(idle))
			n, err := src.Read(buf)
			if errors.Is(err, os.ErrDeadlineExceeded) &&
				time.Since(time.Unix(0, last.Load())) < idle {
				continue // the other way was busy
			}
			if err != nil {
				return
			}
			last.Store(time.Now().UnixNano())
			// A datagram that cannot be sent is lost, as UDP allows; a
			// closed side ends the flow through its reads.
			dst.Write(buf[:n])
		}
	}
	var wg sync.WaitGroup
	wg.Go(func() {
		pump(host, tunnel)
		f.close()
	})
	pump(tunnel, host)
	f.close()
	wg.Wait()
}
