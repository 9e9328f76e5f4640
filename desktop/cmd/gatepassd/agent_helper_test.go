package main

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"testing"

	"gatepass.dev/backend/backendtest"
)

// startAgent runs `gatepassd run` (netstack) with stateDir and extra flags
// until stop is called (or the test ends); it returns the socket.
func startAgent(t *testing.T, server, stateDir string, extra ...string) (sock string, stop func()) {
	t.Helper()
	sockDir, err := os.MkdirTemp("", "gp")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(sockDir) })
	sock = filepath.Join(sockDir, "gatepassd.sock")
	ctx, cancel := context.WithCancel(context.Background())
	logs := &syncWriter{}
	done := make(chan int, 1)
	args := append([]string{"run", "--server", server, "--socket", sock, "--state-dir", stateDir,
		"--tunnel", "netstack", "--credential-store", "file"}, extra...)
	go func() { done <- run(ctx, args, nil, io.Discard, logs) }()
	stopped := false
	stop = func() {
		if !stopped {
			stopped = true
			cancel()
			if code := <-done; code != 0 {
				t.Errorf("gatepassd run exited %d:\n%s", code, logs.String())
			}
		}
	}
	t.Cleanup(stop)
	backendtest.WaitFor(t, "the agent's socket", func() bool {
		code, _, _ := cli(t, "", "status", "--socket", sock)
		return code == 0
	})
	return sock, stop
}
