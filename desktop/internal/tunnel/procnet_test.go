package tunnel

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"testing"
)

// Rows as a little-endian Linux prints them (captured, uids changed).
const (
	tcpHeader  = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"
	tcp6Header = "  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"
	// The proxy listening on 127.0.0.1:55207 (0xD7A7).
	rowListen = "   0: 0100007F:D7A7 00000000:0000 0A 00000000:00000001 00:00000000 00000000     0        0 79248 2 000000006b6adac5 100 0 0 10 0\n"
	// The proxy's side of a connection from 127.0.0.1:52740 (0xCE04), not accepted yet: uid 0.
	rowServer = "  24: 0100007F:D7A7 0100007F:CE04 01 00000000:00000000 00:00000000 00000000     0        0 0 1 00000000d01a5588 20 0 0 10 -1\n"
	// The client's side, uid 1000.
	rowClient = "  25: 0100007F:CE04 0100007F:D7A7 01 00000000:00000000 00:00000000 00000000  1000        0 79249 2 00000000a851c869 20 0 0 10 -1\n"
	// An IPv6 socket of uid 1001 connected to ::ffff:127.0.0.1:55207 from port 52741 (0xCE05).
	row6Mapped = "   1: 0000000000000000FFFF00000100007F:CE05 0000000000000000FFFF00000100007F:D7A7 01 00000000:00000000 00:00000000 00000000  1001        0 79250 2 00000000a851c869 20 0 0 10 -1\n"
	// An IPv6 socket of uid 1002 from [::1]:45998 (0xB3AE) to a proxy on [::1]:52405 (0xCCB5).
	row6Loop = "   3: 00000000000000000000000001000000:B3AE 00000000000000000000000001000000:CCB5 01 00000000:00000000 00:00000000 00000000  1002        0 79251 2 00000000b2e12413 20 0 0 10 -1\n"
)

func ap(s string) netip.AddrPort { return netip.MustParseAddrPort(s) }

func TestSocketOwner(t *testing.T) {
	proxy4 := ap("127.0.0.1:55207")
	tests := []struct {
		name          string
		table         string
		client, proxy netip.AddrPort
		uid           uint32
		err           error
	}{
		{"IPv4 client", tcpHeader + rowListen + rowServer + rowClient, ap("127.0.0.1:52740"), proxy4, 1000, nil},
		{"the proxy's own side never answers", tcpHeader + rowListen + rowServer, ap("127.0.0.1:52740"), proxy4, 0, errNoSocket},
		{"gone (race: the client closed)", tcpHeader + rowListen, ap("127.0.0.1:52740"), proxy4, 0, errNoSocket},
		{"another port", tcpHeader + rowClient, ap("127.0.0.1:52741"), proxy4, 0, errNoSocket},
		{"another proxy", tcpHeader + rowClient, ap("127.0.0.1:52740"), ap("127.0.0.1:8080"), 0, errNoSocket},
		{"IPv6 socket to a v4-mapped address", tcp6Header + row6Mapped, ap("127.0.0.1:52741"), proxy4, 1001, nil},
		{"v4-mapped on both sides of the lookup", tcp6Header + row6Mapped, ap("[::ffff:127.0.0.1]:52741"), ap("[::ffff:127.0.0.1]:55207"), 1001, nil},
		{"IPv6 loopback", tcp6Header + row6Loop, ap("[::1]:45998"), ap("[::1]:52405"), 1002, nil},
		{"IPv6 is not IPv4", tcp6Header + row6Loop, ap("127.0.0.1:45998"), ap("127.0.0.1:52405"), 0, errNoSocket},
		{"TIME_WAIT prints uid 0: skipped", tcpHeader + strings.Replace(rowClient, " 01 ", " 06 ", 1), ap("127.0.0.1:52740"), proxy4, 0, errNoSocket},
		{"SYN_RECV skipped", tcpHeader + strings.Replace(rowClient, " 01 ", " 03 ", 1), ap("127.0.0.1:52740"), proxy4, 0, errNoSocket},
		{"FIN_WAIT2 still owned", tcpHeader + strings.Replace(rowClient, " 01 ", " 05 ", 1), ap("127.0.0.1:52740"), proxy4, 1000, nil},
		{"a TIME_WAIT twin does not matter", tcpHeader + strings.Replace(strings.Replace(rowClient, " 01 ", " 06 ", 1), "  1000 ", "     0 ", 1) + rowClient, ap("127.0.0.1:52740"), proxy4, 1000, nil},
		{"two owners: refuse", tcpHeader + rowClient + strings.Replace(rowClient, "  1000 ", "     0 ", 1), ap("127.0.0.1:52740"), proxy4, 0, errAmbiguous},
		{"the same row twice", tcpHeader + rowClient + rowClient, ap("127.0.0.1:52740"), proxy4, 1000, nil},
		{"lower-case hex", tcpHeader + strings.ToLower(rowClient), ap("127.0.0.1:52740"), proxy4, 1000, nil},
		{"no trailing newline", tcpHeader + strings.TrimSuffix(rowClient, "\n"), ap("127.0.0.1:52740"), proxy4, 1000, nil},
		{"garbage around", "x\n\n:::: :: 01 a b c 7\n" + rowClient + "\x00\xff\n", ap("127.0.0.1:52740"), proxy4, 1000, nil},
		{"uid not a number", tcpHeader + strings.Replace(rowClient, "  1000 ", " -1000 ", 1), ap("127.0.0.1:52740"), proxy4, 0, errNoSocket},
		{"uid too large", tcpHeader + strings.Replace(rowClient, "  1000 ", " 4294967296 ", 1), ap("127.0.0.1:52740"), proxy4, 0, errNoSocket},
		{"short address", tcpHeader + strings.Replace(rowClient, "0100007F:CE04", "00007F:CE04", 1), ap("127.0.0.1:52740"), proxy4, 0, errNoSocket},
		{"empty", "", ap("127.0.0.1:52740"), proxy4, 0, errNoSocket},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			uid, err := socketOwner([]byte(tt.table), binary.LittleEndian, tt.client, tt.proxy)
			if !errors.Is(err, tt.err) || uid != tt.uid {
				t.Fatalf("socketOwner = %d, %v; want %d, %v", uid, err, tt.uid, tt.err)
			}
		})
	}
}

// On a big-endian host the kernel prints each word the other way round.
func TestSocketOwnerBigEndian(t *testing.T) {
	row := "   1: 7F000001:CE04 7F000001:D7A7 01 00000000:00000000 00:00000000 00000000  1000        0 79249 2 0 20 0 0 10 -1\n"
	if uid, err := socketOwner([]byte(tcpHeader+row), binary.BigEndian, ap("127.0.0.1:52740"), ap("127.0.0.1:55207")); err != nil || uid != 1000 {
		t.Fatalf("socketOwner = %d, %v", uid, err)
	}
	row6 := "   1: 00000000000000000000FFFF7F000001:CE04 00000000000000000000FFFF7F000001:D7A7 01 00000000:00000000 00:00000000 00000000  1000        0 1 2 0 20 0 0 10 -1\n"
	if uid, err := socketOwner([]byte(tcp6Header+row6), binary.BigEndian, ap("127.0.0.1:52740"), ap("127.0.0.1:55207")); err != nil || uid != 1000 {
		t.Fatalf("socketOwner (tcp6) = %d, %v", uid, err)
	}
}

// procRow formats a row as the kernel does on a little-endian host.
func procRow(local, remote netip.AddrPort, v6 bool, state uint8, uid uint32) string {
	addr := func(a netip.AddrPort) string {
		ip := a.Addr()
		if v6 {
			ip = netip.AddrFrom16(ip.As16())
		}
		b := ip.AsSlice()
		var s strings.Builder
		for w := 0; w < len(b); w += 4 {
			fmt.Fprintf(&s, "%08X", binary.LittleEndian.Uint32(b[w:w+4]))
		}
		return fmt.Sprintf("%s:%04X", s.String(), a.Port())
	}
	return fmt.Sprintf("  7: %s %s %02X 00000000:00000000 00:00000000 00000000 %5d        0 4242 1 0000000000000000 20 4 30 10 -1\n",
		addr(local), addr(remote), state, uid)
}

// FuzzSocketOwner: any text is read without a panic, and a row of the
// client's socket, put among any other lines, is found with its uid,
// unless another line claims the same socket for another owner (then
// refused, never a wrong answer).
func FuzzSocketOwner(f *testing.F) {
	f.Add([]byte(tcpHeader+rowListen+rowServer), uint32(0x0100007F), uint16(52740), uint16(55207), uint32(1000), false, uint8(1))
	f.Add([]byte(tcp6Header+row6Loop), uint32(0x0200007F), uint16(1), uint16(2), uint32(0), true, uint8(5))
	f.Add([]byte("\x00:\n 0: 0100007F:CE04 0100007F:D7A7 01 0 0 0 0\n"), uint32(1), uint16(0), uint16(65535), uint32(1<<32-1), true, uint8(6))
	f.Fuzz(func(t *testing.T, other []byte, ip uint32, cport, pport uint16, uid uint32, v6 bool, state uint8) {
		var a4 [4]byte
		binary.BigEndian.PutUint32(a4[:], ip)
		client := netip.AddrPortFrom(netip.AddrFrom4(a4), cport)
		proxy := netip.AddrPortFrom(netip.AddrFrom4([4]byte{127, 0, 0, 1}), pport)

		// Whatever the text: no panic, and a "found" uid is one the text holds.
		if got, err := socketOwner(other, binary.LittleEndian, client, proxy); err == nil && !strings.Contains(string(other), fmt.Sprint(got)) {
			t.Fatalf("uid %d is nowhere in the table", got)
		}

		table := append(append([]byte{}, other...), "\n"+procRow(client, proxy, v6, state, uid)...)
		got, err := socketOwner(table, binary.LittleEndian, client, proxy)
		if !ownedState(uint64(state)) {
			if err == nil && got == uid && !strings.Contains(string(other), fmt.Sprint(uid)) {
				t.Fatalf("the uid of a socket in state %#x was taken", state)
			}
			return
		}
		switch {
		case errors.Is(err, errAmbiguous):
			// other claims the socket too, for another owner.
		case err != nil:
			t.Fatalf("the client's row was not found: %v\n%q", err, table)
		case got != uid:
			t.Fatalf("uid %d, want %d", got, uid)
		}
	})
}
