package tunnel

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"time"

	"golang.org/x/net/dns/dnsmessage"
	"golang.zx2c4.com/wireguard/tun/netstack"
)

// dnsRetransmit is how long a DNS query waits before it is sent again.
const dnsRetransmit = time.Second

// lookup resolves a name for the proxies, only through the DNS servers of
// the up tunnels (Config.DNS), by DNS over UDP inside each tunnel; the
// host's resolver is never consulted. Every tunnel's servers are asked for
// A and AAAA at once; the first address that falls inside the allowed IPs
// of the tunnel whose server gave it wins.
func (b *Netstack) lookup(ctx context.Context, host string) (netip.Addr, *nsTunnel, error) {
	host = strings.TrimSuffix(host, ".")
	if ip, err := netip.ParseAddr(host); err == nil {
		return ip.Unmap().WithZone(""), nil, nil
	}
	name, err := dnsmessage.NewName(host + ".")
	if err != nil || host == "" {
		return netip.Addr{}, nil, fmt.Errorf("lookup %q: invalid name", host)
	}
	ctx, cancel := context.WithTimeout(ctx, lookupTimeout)
	defer cancel()

	type answer struct {
		ip  netip.Addr
		t   *nsTunnel
		err error
	}
	answers := make(chan answer) // unbuffered: the losers see ctx.Done
	n := 0
	for _, t := range b.upTunnels() {
		for _, server := range t.cfg.DNS {
			for _, qtype := range []dnsmessage.Type{dnsmessage.TypeA, dnsmessage.TypeAAAA} {
				n++
				go func() {
					ips, err := dnsQuery(ctx, t.tnet, server, name, qtype)
					a := answer{t: t, err: err}
					if err == nil {
						err = fmt.Errorf("tunnel %s: %s has no address inside the tunnel", t.name, host)
						if len(ips) == 0 {
							err = fmt.Errorf("tunnel %s: %s: no %v record", t.name, host, qtype)
						}
						a.err = err
						for _, ip := range ips {
							if t.contains(ip) {
								a.ip, a.err = ip, nil
								break
							}
						}
					}
					select {
					case answers <- a:
					case <-ctx.Done():
					}
				}()
			}
		}
	}
	if n == 0 {
		return netip.Addr{}, nil, fmt.Errorf("lookup %s: no tunnel with a DNS server is up: %w", host, ErrNotFound)
	}
	var errs []error
	for range n {
		select {
		case a := <-answers:
			if a.err == nil {
				return a.ip, a.t, nil
			}
			errs = append(errs, a.err)
		case <-ctx.Done():
			return netip.Addr{}, nil, fmt.Errorf("lookup %s: %w: %w", host, ErrNotFound, ctx.Err())
		}
	}
	return netip.Addr{}, nil, fmt.Errorf("lookup %s: %w (%w)", host, ErrNotFound, errors.Join(errs...))
}

var errNXDomain = errors.New("no such host")

// dnsQuery asks server (port 53) through tnet for name's records of type
// qtype, resending every dnsRetransmit until ctx ends.
func dnsQuery(ctx context.Context, tnet *netstack.Net, server netip.Addr, name dnsmessage.Name, qtype dnsmessage.Type) ([]netip.Addr, error) {
	var idb [2]byte
	if _, err := rand.Read(idb[:]); err != nil {
		return nil, err
	}
	id := binary.BigEndian.Uint16(idb[:])
	q := dnsmessage.Question{Name: name, Type: qtype, Class: dnsmessage.ClassINET}
	msg := dnsmessage.Message{
		Header:    dnsmessage.Header{ID: id, RecursionDesired: true},
		Questions: []dnsmessage.Question{q},
	}
	query, err := msg.Pack()
	if err != nil {
		return nil, err
	}
	c, err := tnet.DialUDPAddrPort(netip.AddrPort{}, netip.AddrPortFrom(server, 53))
	if err != nil {
		return nil, err
	}
	defer c.Close()
	stop := context.AfterFunc(ctx, func() { c.SetReadDeadline(time.Unix(1, 0)) }) //nolint:errcheck
	defer stop()

	buf := make([]byte, 1500)
	for {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if _, err := c.Write(query); err != nil {
			return nil, err
		}
		next := time.Now().Add(dnsRetransmit)
		if d, ok := ctx.Deadline(); ok && d.Before(next) {
			next = d
		}
		c.SetReadDeadline(next) //nolint:errcheck
		for {
			n, err := c.Read(buf)
			if err != nil {
				var ne net.Error
				if errors.As(err, &ne) && ne.Timeout() {
					break // resend, or give up if ctx is done
				}
				return nil, err
			}
			ips, ok, err := parseDNSAnswer(buf[:n], id, q)
			if !ok {
				continue // not our answer
			}
			return ips, err
		}
	}
}

// parseDNSAnswer reads a reply to q; ok is false if it is not one.
func parseDNSAnswer(b []byte, id uint16, q dnsmessage.Question) (ips []netip.Addr, ok bool, err error) {
	var p dnsmessage.Parser
	h, err := p.Start(b)
	if err != nil || !h.Response || h.ID != id {
		return nil, false, nil
	}
	qs, err := p.AllQuestions()
	if err != nil || len(qs) != 1 || qs[0].Type != q.Type || !strings.EqualFold(qs[0].Name.String(), q.Name.String()) {
		return nil, false, nil
	}
	switch h.RCode {
	case dnsmessage.RCodeSuccess:
	case dnsmessage.RCodeNameError:
		return nil, true, errNXDomain
	default:
		return nil, true, fmt.Errorf("dns server answered %v", h.RCode)
	}
	for {
		ah, err := p.AnswerHeader()
		if errors.Is(err, dnsmessage.ErrSectionDone) {
			return ips, true, nil
		}
		if err != nil {
			return nil, true, fmt.Errorf("dns answer: %w", err)
		}
		switch {
		case ah.Type == dnsmessage.TypeA && q.Type == dnsmessage.TypeA:
			r, err := p.AResource()
			if err != nil {
				return nil, true, err
			}
			ips = append(ips, netip.AddrFrom4(r.A))
		case ah.Type == dnsmessage.TypeAAAA && q.Type == dnsmessage.TypeAAAA:
			r, err := p.AAAAResource()
			if err != nil {
				return nil, true, err
			}
			ips = append(ips, netip.AddrFrom16(r.AAAA).Unmap())
		default:
			if err := p.SkipAnswer(); err != nil {
				return nil, true, err
			}
		}
	}
}
