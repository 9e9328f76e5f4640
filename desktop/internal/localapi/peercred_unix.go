//go:build linux || darwin

package localapi

import (
	"fmt"
	"net"
	"syscall"
)

// CheckPeer returns nil if the process at the other end of c runs as uid
// (the kernel's peer credentials: peerUID), else why it is refused.
func CheckPeer(c net.Conn, uid int) error {
	sc, ok := c.(syscall.Conn)
	if !ok {
		return fmt.Errorf("not a unix socket connection (%T)", c)
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return fmt.Errorf("peer credentials: %w", err)
	}
	var peer int64
	var gerr error
	if err := raw.Control(func(fd uintptr) { peer, gerr = peerUID(int(fd)) }); err != nil {
		return fmt.Errorf("peer credentials: %w", err)
	}
	if gerr != nil {
		return fmt.Errorf("peer credentials: %w", gerr)
	}
	if peer != int64(uid) {
		return fmt.Errorf("peer uid %d is not the agent's user (uid %d)", peer, uid)
	}
	return nil
}
