//go:build darwin

package localapi

import (
	"fmt"
	"net"
	"syscall"

	"golang.org/x/sys/unix"
)

// CheckPeer returns nil if the process at the other end of c runs as uid
// (LOCAL_PEERCRED), else why it is refused.
func CheckPeer(c net.Conn, uid int) error {
	sc, ok := c.(syscall.Conn)
	if !ok {
		return fmt.Errorf("not a unix socket connection (%T)", c)
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return fmt.Errorf("peer credentials: %w", err)
	}
	var cred *unix.Xucred
	var gerr error
	if err := raw.Control(func(fd uintptr) {
		cred, gerr = unix.GetsockoptXucred(int(fd), unix.SOL_LOCAL, unix.LOCAL_PEERCRED)
	}); err != nil {
		return fmt.Errorf("peer credentials: %w", err)
	}
	if gerr != nil {
		return fmt.Errorf("peer credentials: %w", gerr)
	}
	if int64(cred.Uid) != int64(uid) {
		return fmt.Errorf("peer uid %d is not the agent's user (uid %d)", cred.Uid, uid)
	}
	return nil
}
