package tunnel

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"net/netip"
	"strconv"
)

var (
	// errNoSocket: no row of the table is the connecting socket (it may
	// have closed already).
	errNoSocket = errors.New("the connecting socket is not in the socket table")
	// errAmbiguous: two rows claim the connecting socket with different
	// owners. The kernel never prints that; refuse rather than guess.
	errAmbiguous = errors.New("the socket table names two owners for the connecting socket")
)

// socketOwner finds, in the text of /proc/net/tcp or /proc/net/tcp6, the
// socket whose local address is local and whose remote address is remote
// (the client side of a connection to a proxy: local is the accepted
// connection's remote address, remote the proxy's listen address), and
// returns its owner's uid, as identd does.
//
// Addresses compare unmapped: the tcp6 row of an IPv6 socket that
// connected to ::ffff:127.0.0.1 matches 127.0.0.1. The kernel prints each
// 32-bit word of an address as a number in host byte order (order; the
// caller passes binary.NativeEndian), the port as a plain number.
//
// Only rows of full sockets count (established or closing): the kernel
// prints uid 0 for sockets that have no owner any more (TIME_WAIT) or not
// yet (SYN_RECV), and a root answer must never come from those. Lines that
// do not parse are skipped.
func socketOwner(table []byte, order binary.ByteOrder, local, remote netip.AddrPort) (uint32, error) {
	local = unmapAddrPort(local)
	remote = unmapAddrPort(remote)
	var uid uint32
	found := false
	for line := range bytes.Lines(table) {
		f := bytes.Fields(line)
		if len(f) < 8 {
			continue
		}
		st, err := strconv.ParseUint(string(f[3]), 16, 8)
		if err != nil || !ownedState(st) {
			continue
		}
		l, ok := parseProcAddrPort(f[1], order)
		if !ok || l != local {
			continue
		}
		r, ok := parseProcAddrPort(f[2], order)
		if !ok || r != remote {
			continue
		}
		u, err := strconv.ParseUint(string(f[7]), 10, 32)
		if err != nil {
			continue
		}
		if found && uint32(u) != uid {
			return 0, errAmbiguous
		}
		uid, found = uint32(u), true
	}
	if !found {
		return 0, errNoSocket
	}
	return uid, nil
}

// ownedState reports whether a row in TCP state st belongs to a full
// socket with an owner: ESTABLISHED, FIN_WAIT1, FIN_WAIT2, CLOSE,
// CLOSE_WAIT, LAST_ACK, CLOSING (not SYN_SENT/SYN_RECV, TIME_WAIT, LISTEN,
// NEW_SYN_RECV).
func ownedState(st uint64) bool {
	switch st {
	case 0x01, 0x04, 0x05, 0x07, 0x08, 0x09, 0x0B:
		return true
	}
	return false
}

// parseProcAddrPort parses "0100007F:1F90" (IPv4) or
// "0000000000000000FFFF00000100007F:1F90" (IPv6), unmapped.
func parseProcAddrPort(b []byte, order binary.ByteOrder) (netip.AddrPort, bool) {
	i := bytes.LastIndexByte(b, ':')
	if i < 0 || len(b)-i-1 != 4 {
		return netip.AddrPort{}, false
	}
	port, err := strconv.ParseUint(string(b[i+1:]), 16, 16)
	if err != nil {
		return netip.AddrPort{}, false
	}
	h := b[:i]
	if len(h) != 8 && len(h) != 32 {
		return netip.AddrPort{}, false
	}
	raw := make([]byte, len(h)/2)
	if _, err := hex.Decode(raw, h); err != nil {
		return netip.AddrPort{}, false
	}
	// hex.Decode read each word big-endian; the kernel printed it as a
	// number in host order: restore the bytes as they were in memory.
	for w := 0; w < len(raw); w += 4 {
		order.PutUint32(raw[w:w+4], binary.BigEndian.Uint32(raw[w:w+4]))
	}
	ip, _ := netip.AddrFromSlice(raw)
	return netip.AddrPortFrom(ip.Unmap(), uint16(port)), true
}

func unmapAddrPort(ap netip.AddrPort) netip.AddrPort {
	return netip.AddrPortFrom(ap.Addr().Unmap().WithZone(""), ap.Port())
}
