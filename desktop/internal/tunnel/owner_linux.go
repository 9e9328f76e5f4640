//go:build linux

package tunnel

import (
	"encoding/binary"
	"errors"
	"io/fs"
	"net"
	"os"
)

// ownerCheck: Linux tells who opened a loopback connection.
const ownerCheck = true

func euid() int { return os.Geteuid() }

// connOwner returns the uid that owns the client's socket of c, a
// connection accepted by a proxy, from the kernel's socket tables
// (/proc/net/tcp, then /proc/net/tcp6, where IPv6 sockets connected to an
// IPv4 address appear v4-mapped). The tables are those of this process's
// network namespace, the only one whose loopback reaches the proxies.
func connOwner(c net.Conn) (uint32, error) {
	client, err := addrPort(c.RemoteAddr())
	if err != nil {
		return 0, err
	}
	proxy, err := addrPort(c.LocalAddr())
	if err != nil {
		return 0, err
	}
	files := []string{"/proc/net/tcp6"}
	if client.Addr().Is4() {
		files = []string{"/proc/net/tcp", "/proc/net/tcp6"}
	}
	for _, f := range files {
		table, err := os.ReadFile(f)
		if errors.Is(err, fs.ErrNotExist) && f == "/proc/net/tcp6" {
			continue // IPv6 is off
		}
		if err != nil {
			return 0, err
		}
		uid, err := socketOwner(table, binary.NativeEndian, client, proxy)
		if !errors.Is(err, errNoSocket) {
			return uid, err
		}
	}
	return 0, errNoSocket
}
