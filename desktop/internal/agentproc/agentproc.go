// Package agentproc makes sure a Gatepass agent answers on the LocalAPI
// socket, starting a user-mode one when none does.
//
// The window (and the tray) start `gatepassd run` as a separate, detached
// process rather than an agent inside their own process: the agent then
// outlives the window (the tray and the CLI keep using it, tunnels are not
// cut when the window quits), a crash of the UI cannot take the tunnels
// down, and the window binary carries no WireGuard code. The binary is
// looked up beside the caller's executable first (how the packages install
// it), then on PATH. It runs in user mode (`--tunnel netstack`: no root,
// local SOCKS5/HTTP proxies) and logs to the user's cache directory
// (…/gatepass/gatepassd.log). A privileged system agent (the systemd unit)
// is used instead when it answers on the socket.
package agentproc

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"gatepass.dev/desktop/internal/localapi"
	"gatepass.dev/shared/backoff"
)

// Reconnect is how the window and the tray space their attempts to follow
// the agent's watch stream after a break: 0.5 s doubling to 10 s, back to
// 0.5 s once a stream worked (backoff.Loop).
var Reconnect = backoff.Policy{Min: 500 * time.Millisecond, Max: 10 * time.Second}

// Options say how to find and start the agent.
type Options struct {
	// Socket is the LocalAPI socket ("" : localapi.DefaultSocketPath()).
	Socket string
	// Binary is the gatepassd executable ("": beside os.Executable(), then PATH).
	Binary string
	// Args are extra arguments of `gatepassd run`.
	Args []string
	// LogFile receives the agent's output ("": UserCacheDir/gatepass/gatepassd.log).
	LogFile string
	// Timeout bounds the wait for a started agent to answer (default 15 s).
	Timeout time.Duration
}

// Ensure returns nil once an agent answers on the socket; it starts one
// if none does. started says whether it started it.
func Ensure(ctx context.Context, o Options) (started bool, err error) {
	c := localapi.NewClient(o.Socket)
	if answers(ctx, c) == nil {
		return false, nil
	}
	bin, err := Find(o.Binary)
	if err != nil {
		return false, err
	}
	args := append([]string{"run", "--socket", c.Path(), "--tunnel", localapi.ModeNetstack}, o.Args...)
	cmd := exec.Command(bin, args...)
	detach(cmd)
	logPath := o.LogFile
	if logPath == "" {
		logPath = DefaultLogFile()
	}
	var logf *os.File
	if logPath != "" {
		if err := os.MkdirAll(filepath.Dir(logPath), 0o700); err == nil {
			logf, _ = os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
		}
	}
	if logf != nil {
		cmd.Stdout, cmd.Stderr = logf, logf
		defer logf.Close()
	}
	if err := cmd.Start(); err != nil {
		return false, fmt.Errorf("start %s: %w", bin, err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }() // reaps it if it ends while we run
	timeout := o.Timeout
	if timeout == 0 {
		timeout = 15 * time.Second
	}
	deadline := time.Now().Add(timeout)
	for {
		if answers(ctx, c) == nil {
			return true, nil
		}
		select {
		case err := <-exited:
			// Another agent may have won the race for the socket.
			if answers(ctx, c) == nil {
				return false, nil
			}
			return false, fmt.Errorf("gatepassd exited at once (%v)%s", err, tail(logPath))
		case <-ctx.Done():
			return true, ctx.Err()
		case <-time.After(50 * time.Millisecond): // polling the socket with a deadline
		}
		if time.Now().After(deadline) {
			return true, fmt.Errorf("gatepassd started but does not answer on %s after %v%s", c.Path(), timeout, tail(logPath))
		}
	}
}

func answers(ctx context.Context, c *localapi.Client) error {
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	_, err := c.Status(ctx)
	return err
}

// NotRunning reports whether err says no agent listens.
func NotRunning(err error) bool { return errors.Is(err, localapi.ErrNotRunning) }

// Find returns the gatepassd executable: bin if given, else the one beside
// the running executable, else the one on PATH.
func Find(bin string) (string, error) {
	if bin != "" {
		return bin, nil
	}
	name := "gatepassd"
	if runtime.GOOS == "windows" {
		name += ".exe"
	}
	if exe, err := os.Executable(); err == nil {
		if real, err := filepath.EvalSymlinks(exe); err == nil {
			exe = real
		}
		p := filepath.Join(filepath.Dir(exe), name)
		if fi, err := os.Stat(p); err == nil && !fi.IsDir() {
			return p, nil
		}
	}
	if p, err := exec.LookPath(name); err == nil {
		return p, nil
	}
	return "", fmt.Errorf("gatepassd was not found beside this program or on PATH: install it, or start the agent with `gatepassd run`")
}

// Sibling returns the path of another Gatepass executable beside the
// running one (e.g. "gatepass-tray"), with ".exe" on Windows; "" if absent.
func Sibling(name string) string {
	if runtime.GOOS == "windows" {
		name += ".exe"
	}
	exe, err := os.Executable()
	if err != nil {
		return ""
	}
	if real, err := filepath.EvalSymlinks(exe); err == nil {
		exe = real
	}
	p := filepath.Join(filepath.Dir(exe), name)
	if fi, err := os.Stat(p); err == nil && !fi.IsDir() {
		return p
	}
	return ""
}

// Spawn starts a detached process (the tray, the window) and does not
// wait for it; it is reaped in the background.
func Spawn(bin string, args ...string) error {
	cmd := exec.Command(bin, args...)
	detach(cmd)
	if err := cmd.Start(); err != nil {
		return err
	}
	go cmd.Wait() //nolint:errcheck // only reaping
	return nil
}

// DefaultLogFile is where a started agent logs.
func DefaultLogFile() string {
	d, err := os.UserCacheDir()
	if err != nil {
		return ""
	}
	return filepath.Join(d, "gatepass", "gatepassd.log")
}

// tail returns the last lines of the log, for an error message.
func tail(path string) string {
	if path == "" {
		return ""
	}
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	if fi, err := f.Stat(); err == nil && fi.Size() > 2048 {
		f.Seek(-2048, io.SeekEnd) //nolint:errcheck
	}
	b, _ := io.ReadAll(f)
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) > 3 {
		lines = lines[len(lines)-3:]
	}
	if len(lines) == 0 || lines[0] == "" {
		return ""
	}
	return "; its log (" + path + ") ends with: " + strings.Join(lines, " | ")
}

// Resolve picks the socket to use: explicit if given; else the user's
// default socket if an agent answers there; else the socket of a
// privileged system agent for this user (SystemSocket, the gatepassd@
// systemd unit) if one answers there; else the default (where Ensure
// starts a user-mode agent).
func Resolve(ctx context.Context, explicit string) string {
	if explicit != "" {
		return explicit
	}
	def := localapi.DefaultSocketPath()
	if answers(ctx, localapi.NewClient(def)) == nil {
		return def
	}
	if sys := SystemSocket(); sys != "" {
		if answers(ctx, localapi.NewClient(sys)) == nil {
			return sys
		}
	}
	return def
}
