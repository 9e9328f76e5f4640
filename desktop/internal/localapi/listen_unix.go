//go:build !windows

package localapi

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"time"
)

// DefaultSocketPath is where the agent listens unless told otherwise:
// $XDG_RUNTIME_DIR/gatepass/gatepassd.sock, else
// os.TempDir()/gatepass-<uid>/gatepassd.sock.
func DefaultSocketPath() string {
	if d := os.Getenv("XDG_RUNTIME_DIR"); d != "" && filepath.IsAbs(d) {
		return filepath.Join(d, "gatepass", "gatepassd.sock")
	}
	return filepath.Join(os.TempDir(), "gatepass-"+strconv.Itoa(os.Getuid()), "gatepassd.sock")
}

// Listen listens on the unix socket at path. Its directory is created
// 0700 if missing and must not belong to another user (unless it is one of
// root's sticky directories, such as /tmp); a stale socket left by a dead agent is
// removed, a live one is ErrAlreadyRunning; the socket is made 0600.
func Listen(path string) (net.Listener, error) {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("localapi: socket directory: %w", err)
	}
	st, err := os.Lstat(dir)
	if err != nil {
		return nil, fmt.Errorf("localapi: socket directory: %w", err)
	}
	// Another user's directory would let them swap our socket for theirs
	// (and collect passwords); only root's sticky dirs such as /tmp are fine.
	if sys, ok := st.Sys().(*syscall.Stat_t); ok && int(sys.Uid) != os.Getuid() && (sys.Uid != 0 || st.Mode()&fs.ModeSticky == 0) {
		return nil, fmt.Errorf("localapi: socket directory %s belongs to another user (uid %d)", dir, sys.Uid)
	}
	if fi, err := os.Lstat(path); err == nil {
		if fi.Mode()&fs.ModeSocket == 0 {
			return nil, fmt.Errorf("localapi: %s exists and is not a socket", path)
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		c, err := new(net.Dialer).DialContext(ctx, "unix", path)
		cancel()
		if err == nil {
			c.Close()
			return nil, fmt.Errorf("%w (socket %s)", ErrAlreadyRunning, path)
		}
		if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("localapi: remove stale socket: %w", err)
		}
	}
	ln, err := net.Listen("unix", path)
	if err != nil {
		return nil, fmt.Errorf("localapi: listen: %w", err)
	}
	if err := os.Chmod(path, 0o600); err != nil {
		ln.Close()
		return nil, fmt.Errorf("localapi: socket mode: %w", err)
	}
	return ln, nil
}

func dial(ctx context.Context, path string) (net.Conn, error) {
	// Talk only to an agent of our own: a socket of another user's could be
	// an impostor collecting passwords.
	if fi, err := os.Lstat(path); err == nil {
		if sys, ok := fi.Sys().(*syscall.Stat_t); ok && int(sys.Uid) != os.Getuid() {
			return nil, fmt.Errorf("localapi: %s belongs to another user (uid %d), not to you", path, sys.Uid)
		}
	}
	c, err := new(net.Dialer).DialContext(ctx, "unix", path)
	if err != nil && (errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ECONNREFUSED)) {
		return nil, fmt.Errorf("%w (%v)", ErrNotRunning, err)
	}
	return c, err
}

func currentUID() int { return os.Getuid() }
