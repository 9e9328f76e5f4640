//go:build darwin

package localapi

import "golang.org/x/sys/unix"

// peerUID reads the peer's uid of a unix socket (LOCAL_PEERCRED).
func peerUID(fd int) (int64, error) {
	cred, err := unix.GetsockoptXucred(fd, unix.SOL_LOCAL, unix.LOCAL_PEERCRED)
	if err != nil {
		return 0, err
	}
	return int64(cred.Uid), nil
}
