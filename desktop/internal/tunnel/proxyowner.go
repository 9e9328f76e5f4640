package tunnel

import (
	"bufio"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"sync"
	"time"

	"github.com/things-go/go-socks5"
	"github.com/things-go/go-socks5/statute"
)

// ProxyOwnerCheck reports whether the proxies of this OS admit a client by
// the user that opened its connection (Linux). Where not, they demand
// credentials (NetstackOptions.Auth).
const ProxyOwnerCheck = ownerCheck

// refuseTimeout bounds the exchange with a refused SOCKS5 client.
const refuseTimeout = 5 * time.Second

// ownerGate admits a proxy client only if the process that opened the
// connection runs as the proxies' owner or as root (ownerCheck OSes).
type ownerGate struct {
	on    bool   // false where the OS cannot tell (credentials stand in)
	owner uint32 // the uid admitted besides root
	logf  func(string, ...any)

	mu     sync.Mutex
	logged map[int64]bool // uids (-1: unknown) whose refusal was logged
}

func newOwnerGate(ownerUID int, logf func(string, ...any)) *ownerGate {
	g := &ownerGate{on: ownerCheck, logf: logf, logged: map[int64]bool{}}
	if g.on {
		if ownerUID <= 0 {
			ownerUID = euid()
		}
		g.owner = uint32(ownerUID)
	}
	return g
}

// refusedError is why a client may not use the proxies; its text is the
// one line the client is told.
type refusedError struct{ msg string }

func (e *refusedError) Error() string { return e.msg }

// check returns nil if c's owner may use the proxies, else the refusal
// (logged once per uid).
func (g *ownerGate) check(c net.Conn) error {
	if !g.on {
		return nil
	}
	uid, err := connOwner(c)
	if err != nil {
		g.logOnce(-1, "proxy: refused a connection from %s: cannot tell which user opened it: %v (logged once)", c.RemoteAddr(), err)
		return &refusedError{"gatepass proxy: cannot tell which user opened this connection; refused"}
	}
	if uid == 0 || uid == g.owner {
		return nil
	}
	who := fmt.Sprintf("uid %d (the user running gatepassd) and root", g.owner)
	if g.owner == 0 {
		who = "root (the user running gatepassd)"
	}
	g.logOnce(int64(uid), "proxy: refused connections from uid %d: only %s may use the proxies (logged once per uid)", uid, who)
	return &refusedError{fmt.Sprintf("gatepass proxy: only %s may use this proxy; this connection is from uid %d", who, uid)}
}

func (g *ownerGate) logOnce(key int64, format string, args ...any) {
	g.mu.Lock()
	seen := g.logged[key]
	g.logged[key] = true
	g.mu.Unlock()
	if !seen {
		g.logf(format, args...)
	}
}

// admit decides once per client connection whether it may use the
// proxies, before anything of its request is acted on.
func (b *Netstack) admit(c *clientConn) error {
	c.admitOnce.Do(func() { c.admitErr = b.gate.check(c.Conn) })
	return c.admitErr
}

// refuseSOCKS answers a refused SOCKS5 client within the protocol, so it
// sees "connection not allowed by ruleset" (0x02), without acting on its
// request (no name lookup, no dial): the method negotiation (no
// authentication; none acceptable if the client does not offer it), the
// request read, the refusal.
func refuseSOCKS(c net.Conn) {
	c.SetDeadline(time.Now().Add(refuseTimeout)) //nolint:errcheck
	br := bufio.NewReader(c)
	mr, err := statute.ParseMethodRequest(br)
	if err != nil || mr.Ver != statute.VersionSocks5 {
		return
	}
	if !slices.Contains(mr.Methods, statute.MethodNoAuth) {
		c.Write([]byte{statute.VersionSocks5, statute.MethodNoAcceptable}) //nolint:errcheck
		return
	}
	if _, err := c.Write([]byte{statute.VersionSocks5, statute.MethodNoAuth}); err != nil {
		return
	}
	if _, err := statute.ParseRequest(br); err != nil {
		return
	}
	socks5.SendReply(c, statute.RepRuleFailure, nil) //nolint:errcheck
}

// addrPort returns a's IP address (unmapped) and port.
func addrPort(a net.Addr) (netip.AddrPort, error) {
	if ta, ok := a.(*net.TCPAddr); ok {
		return unmapAddrPort(ta.AddrPort()), nil
	}
	ap, err := netip.ParseAddrPort(a.String())
	if err != nil {
		return netip.AddrPort{}, err
	}
	return unmapAddrPort(ap), nil
}
