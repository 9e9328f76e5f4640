//go:build !windows

package instance

import (
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"

	"gatepass.dev/desktop/internal/localapi"
)

func lock(name string) (func(), bool, error) {
	dir := filepath.Dir(localapi.DefaultSocketPath())
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, false, err
	}
	f, err := os.OpenFile(filepath.Join(dir, name+".lock"), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, false, err
	}
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
		f.Close()
		if err == unix.EWOULDBLOCK {
			return nil, false, nil
		}
		return nil, false, err
	}
	return func() { f.Close() }, true, nil
}
