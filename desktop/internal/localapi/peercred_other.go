//go:build !linux && !darwin && !windows

package localapi

import (
	"errors"
	"net"
)

// CheckPeer refuses every connection: this OS has no peer credential check
// implemented, and the LocalAPI serves only its owner.
func CheckPeer(c net.Conn, uid int) error {
	return errors.New("peer credentials are not supported on this OS")
}
