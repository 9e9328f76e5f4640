//go:build linux

package gatewaye2e

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// The machinery of the tests: network namespaces joined by veth pairs,
// sockets opened inside them, and the real binaries run inside them.

// requireRoot skips the test, saying why, when namespaces cannot be made.
func requireRoot(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("gateway end to end: skipped in -short mode")
	}
	if os.Geteuid() != 0 {
		t.Skip("gateway end to end: needs root (network namespaces, TUN devices); CI runs it as root")
	}
	for _, tool := range []string{"ip", "go"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("gateway end to end: %s not found", tool)
		}
	}
}

// requireStockWireGuard skips loudly without wireguard-go and wg (Debian
// packages wireguard-go and wireguard-tools; .ci/run installs them).
func requireStockWireGuard(t *testing.T) {
	t.Helper()
	for _, tool := range []string{"wireguard-go", "wg"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("SKIPPED: the stock WireGuard client is missing (%s not found): apt-get install wireguard-go wireguard-tools", tool)
		}
	}
	if _, err := os.Stat("/dev/net/tun"); err != nil {
		t.Skipf("SKIPPED: no /dev/net/tun for the stock WireGuard client: %v", err)
	}
}

// randomID is a short random hex string for names that must not clash
// with another test's.
func randomID() string {
	var b [3]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// netns creates a network namespace (deleted when the test ends) with
// loopback up.
func netns(t *testing.T, name string) string {
	t.Helper()
	if out, err := exec.Command("ip", "netns", "add", name).CombinedOutput(); err != nil {
		t.Skipf("gateway end to end: cannot create a network namespace (ip netns add: %v: %s)", err, bytes.TrimSpace(out))
	}
	t.Cleanup(func() {
		if out, err := exec.Command("ip", "netns", "delete", name).CombinedOutput(); err != nil {
			t.Errorf("ip netns delete %s: %v: %s", name, err, out)
		}
	})
	ipCmd(t, "-n", name, "link", "set", "lo", "up")
	return name
}

// link joins namespaces a and b with a veth pair: ifA with addrA (CIDR)
// in a, ifB with addrB in b.
func link(t *testing.T, a, ifA, addrA, b, ifB, addrB string) {
	t.Helper()
	ipCmd(t, "-n", a, "link", "add", ifA, "type", "veth", "peer", "name", ifB, "netns", b)
	ipCmd(t, "-n", a, "addr", "add", addrA, "dev", ifA)
	ipCmd(t, "-n", b, "addr", "add", addrB, "dev", ifB)
	ipCmd(t, "-n", a, "link", "set", ifA, "up")
	ipCmd(t, "-n", b, "link", "set", ifB, "up")
}

func ipCmd(t *testing.T, args ...string) {
	t.Helper()
	if out, err := exec.Command("ip", args...).CombinedOutput(); err != nil {
		t.Fatalf("ip %s: %v: %s", strings.Join(args, " "), err, out)
	}
}

// proc is a process started for the test.
type proc struct {
	name string
	cmd  *exec.Cmd
	out  syncBuffer
	done chan struct{}
	err  error
}

func (p *proc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

func (p *proc) logs() string {
	s := p.name + " log:\n" + p.out.String()
	if p.exited() {
		s += fmt.Sprintf("\n(%s exited: %v)", p.name, p.err)
	}
	return s
}

// exitCode waits (10 s at most) for the process to exit and returns its
// code.
func (p *proc) exitCode(t *testing.T) int {
	t.Helper()
	select {
	case <-p.done:
	case <-time.After(10 * time.Second):
		t.Fatalf("%s did not exit\n%s", p.name, p.logs())
	}
	var ee *exec.ExitError
	if errors.As(p.err, &ee) {
		return ee.ExitCode()
	}
	if p.err != nil {
		return -1
	}
	return 0
}

// signal sends sig to the process (its group).
func (p *proc) signal(sig syscall.Signal) { _ = syscall.Kill(-p.cmd.Process.Pid, sig) }

// stop ends the process with SIGTERM and waits for it.
func (p *proc) stop(t *testing.T) {
	t.Helper()
	if p.exited() {
		return
	}
	p.signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(10 * time.Second):
		t.Errorf("%s did not stop within 10 s of SIGTERM: killed", p.name)
		p.signal(syscall.SIGKILL)
		<-p.done
	}
}

// logLine returns the first line of the process's output that contains
// all of parts, after the first `after` bytes of it.
func (p *proc) logLine(after int, parts ...string) (string, bool) {
	s := p.out.String()
	if after > len(s) {
		after = len(s)
	}
	sc := bufio.NewScanner(strings.NewReader(s[after:]))
	for sc.Scan() {
		ok := true
		for _, part := range parts {
			if !strings.Contains(sc.Text(), part) {
				ok = false
				break
			}
		}
		if ok {
			return sc.Text(), true
		}
	}
	return "", false
}

// start starts a process in namespace ns with env added to a clean
// environment (no GATEPASS_* of the caller's); it is stopped when the test
// ends, and its output is logged if the test failed.
func start(t *testing.T, name, ns string, env []string, argv ...string) *proc {
	t.Helper()
	p := &proc{name: name, done: make(chan struct{})}
	p.cmd = exec.Command("ip", append([]string{"netns", "exec", ns}, argv...)...)
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "GATEPASS_") {
			p.cmd.Env = append(p.cmd.Env, kv)
		}
	}
	p.cmd.Env = append(p.cmd.Env, env...)
	p.cmd.Stdout, p.cmd.Stderr = &p.out, &p.out
	// Its own process group, and killed if the test process dies first
	// (`ip netns exec` execs the binary: the pid stays the same).
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	go func() {
		p.err = p.cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		p.stop(t)
		if t.Failed() {
			t.Log(p.logs())
		}
	})
	return p
}

// waitFor polls cond until it returns nil, failing the test with cond's
// last error at the deadline, or as soon as one of procs has exited.
func waitFor(t *testing.T, timeout time.Duration, what string, cond func() error, procs ...*proc) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		err := cond()
		if err == nil {
			return
		}
		for _, q := range procs {
			if q.exited() {
				t.Fatalf("waiting for %s: %s exited: %v\n%s", what, q.name, q.err, q.logs())
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s: %v", timeout, what, err)
		}
		time.Sleep(20 * time.Millisecond) // the poll interval, not a wait for an event
	}
}

// syncBuffer is a bytes.Buffer safe for a process's output.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (w *syncBuffer) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}

func (w *syncBuffer) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.String()
}

func (w *syncBuffer) Len() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Len()
}

// binaries are built once per test binary, into binDir.
var (
	buildOnce sync.Once
	binDir    string
	buildErr  error
)

// buildBinaries builds gatepass-server (cgo: SQLite), gatepass-gateway
// (pure Go, CGO_ENABLED=0 as shipped) and gatepassd with the go command on
// PATH; the packages come from the build cache of the other tests.
func buildBinaries(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		binDir, buildErr = os.MkdirTemp("", "gpgw-bin")
		if buildErr != nil {
			return
		}
		builds := []struct{ out, pkg, cgo string }{
			{"gatepass-server", "gatepass.dev/backend/cmd/gatepass-server", "1"},
			{"gatepass-gateway", "gatepass.dev/backend/cmd/gatepass-gateway", "0"},
			{"gatepassd", "gatepass.dev/desktop/cmd/gatepassd", "0"},
		}
		errs := make([]error, len(builds))
		var wg sync.WaitGroup
		for i, bd := range builds {
			wg.Go(func() {
				cmd := exec.Command("go", "build", "-ldflags", "-X main.version=e2e", "-o", filepath.Join(binDir, bd.out), bd.pkg)
				cmd.Env = append(os.Environ(), "CGO_ENABLED="+bd.cgo)
				if out, err := cmd.CombinedOutput(); err != nil {
					errs[i] = fmt.Errorf("go build %s: %v\n%s", bd.pkg, err, out)
				}
			})
		}
		wg.Wait()
		buildErr = errors.Join(errs...)
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binDir
}
