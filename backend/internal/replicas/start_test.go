package replicas_test

import (
	"bytes"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"

	"gatepass.dev/backend/backendtest"
)

// lockedBuffer is a process's output, read while it runs.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (w *lockedBuffer) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}

func (w *lockedBuffer) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.String()
}

// TestReplicasStartingTogetherOnAnEmptyDatabase: three gatepass-server
// processes started at the same instant on one empty database — one with
// the demo data, as an operator trying it out would — all come up: one
// creates the first admin (printed once), the others find it; the
// migrations and the demo data are applied once. (Before, the losers of the
// race to create the first admin refused to start: "a user with this
// email exists".)
func TestReplicasStartingTogetherOnAnEmptyDatabase(t *testing.T) {
	db := backendtest.NewDatabase(t)
	bin := buildServer(t)
	type proc struct {
		url    string
		out    *lockedBuffer
		exited chan struct{}
	}
	var procs []*proc
	for i := range 3 {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := ln.Addr().String()
		ln.Close()
		args := []string{"--listen", addr, "--data-dir", t.TempDir(), "--database", db, "--public-url", "http://" + addr, "--gateway", "off", "--log-level", "warn"}
		if i == 0 {
			args = append(args, "--demo")
		}
		p := &proc{url: "http://" + addr, out: &lockedBuffer{}, exited: make(chan struct{})}
		cmd := exec.Command(bin, args...)
		cmd.Env = os.Environ()
		cmd.Stdout, cmd.Stderr = p.out, p.out
		cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		go func() { _ = cmd.Wait(); close(p.exited) }()
		t.Cleanup(func() {
			_ = cmd.Process.Signal(syscall.SIGKILL)
			<-p.exited
		})
		procs = append(procs, p)
	}
	for i, p := range procs {
		backendtest.WaitFor(t, "every replica to answer /healthz (or exit)", func() bool {
			select {
			case <-p.exited:
				return true
			default:
			}
			r, err := backendtest.Send(nil, http.MethodGet, p.url+"/healthz", "", "", "")
			return err == nil && r.Status == http.StatusOK
		})
		select {
		case <-p.exited:
			t.Fatalf("replica %d exited at start:\n%s", i, p.out.String())
		default:
		}
	}
	created := 0
	for _, p := range procs {
		created += strings.Count(p.out.String(), "Created the first admin")
	}
	if created != 1 {
		for i, p := range procs {
			t.Logf("replica %d:\n%s", i, p.out.String())
		}
		t.Fatalf("the first admin was created %d times, want once", created)
	}
}
