//go:build linux

package localapi

import "golang.org/x/sys/unix"

// peerUID reads the peer's uid of a unix socket (SO_PEERCRED).
func peerUID(fd int) (int64, error) {
	cred, err := unix.GetsockoptUcred(fd, unix.SOL_SOCKET, unix.SO_PEERCRED)
	if err != nil {
		return 0, err
	}
	return int64(cred.Uid), nil
}
