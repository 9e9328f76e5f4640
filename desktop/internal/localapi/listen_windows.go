//go:build windows

package localapi

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"os/user"
	"strings"

	"github.com/Microsoft/go-winio"
	"golang.org/x/sys/windows"
)

// DefaultSocketPath is the agent's named pipe: \\.\pipe\gatepass-<user>.
func DefaultSocketPath() string {
	name := "user"
	if u, err := user.Current(); err == nil {
		name = u.Username
	} else if v := os.Getenv("USERNAME"); v != "" {
		name = v
	}
	name = strings.Map(func(r rune) rune {
		if r == '\\' || r == '/' || r == ':' || r < ' ' {
			return '-'
		}
		return r
	}, name)
	return `\\.\pipe\gatepass-` + name
}

// Listen creates the named pipe at path with a security descriptor that
// grants access to the current user alone (owner and DACL: that user's
// SID; no one else, not even Administrators). A pipe of that name already
// served is ErrAlreadyRunning (winio creates the first instance
// exclusively, so nobody can squat the name under us unnoticed).
func Listen(path string) (net.Listener, error) {
	tok := windows.GetCurrentProcessToken()
	tu, err := tok.GetTokenUser()
	if err != nil {
		return nil, fmt.Errorf("localapi: current user: %w", err)
	}
	sid := tu.User.Sid.String()
	sd := "O:" + sid + "D:P(A;;GA;;;" + sid + ")"
	ln, err := winio.ListenPipe(path, &winio.PipeConfig{SecurityDescriptor: sd, InputBufferSize: 64 << 10, OutputBufferSize: 64 << 10})
	if err != nil {
		if errors.Is(err, windows.ERROR_ACCESS_DENIED) || errors.Is(err, windows.ERROR_PIPE_BUSY) {
			return nil, fmt.Errorf("%w (pipe %s)", ErrAlreadyRunning, path)
		}
		return nil, fmt.Errorf("localapi: listen on pipe: %w", err)
	}
	return ln, nil
}

func dial(ctx context.Context, path string) (net.Conn, error) {
	c, err := winio.DialPipeContext(ctx, path)
	if err != nil && (errors.Is(err, fs.ErrNotExist) || errors.Is(err, windows.ERROR_FILE_NOT_FOUND)) {
		return nil, fmt.Errorf("%w (%v)", ErrNotRunning, err)
	}
	return c, err
}

// CheckPeer accepts every connection: the pipe's security descriptor
// already lets only the owner open it.
func CheckPeer(c net.Conn, uid int) error { return nil }

func currentUID() int { return -1 }
