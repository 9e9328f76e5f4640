package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"gatepass.dev/backend/backendtest"
	"gatepass.dev/desktop/internal/agent"
	"gatepass.dev/desktop/internal/localapi"
	"gatepass.dev/desktop/internal/tunnel"
)

// serveAgent serves a fresh signed-out agent's LocalAPI on sock until the
// returned function is called.
func serveAgent(t *testing.T, sock string) (stop func()) {
	t.Helper()
	ns, err := tunnel.NewNetstack(tunnel.NetstackOptions{})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	a, err := agent.New(agent.Options{StateDir: dir, Backend: ns, Credentials: &agent.FileStore{Path: filepath.Join(dir, "c.json")}})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := localapi.Listen(sock)
	if err != nil {
		t.Fatal(err)
	}
	srv := localapi.NewServer(a, nil)
	done := make(chan struct{})
	go func() { defer close(done); srv.Serve(ln) }()
	var stopped bool
	stop = func() {
		if stopped {
			return
		}
		stopped = true
		srv.Close()
		<-done
		a.Close()
		ns.Close()
	}
	t.Cleanup(stop)
	return stop
}

// The window follows the agent with the desktop's one back-off, on its
// injected clock: while no agent answers it waits (0.5 s, then 1 s, …)
// and tries again; a working stream starts the back-off over.
func TestAppReconnectsWithBackoff(t *testing.T) {
	dir, err := os.MkdirTemp("", "gp-app")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	sock := filepath.Join(dir, "s", "gatepassd.sock")
	clock := clockwork.NewFakeClock()
	app := newApp(appConfig{Socket: sock, Clock: clock})
	ctx, cancel := context.WithCancel(t.Context())
	app.start(ctx)
	t.Cleanup(func() { cancel(); app.stop() })
	waiting := func(what string) {
		t.Helper()
		wctx, wcancel := context.WithTimeout(ctx, 10*time.Second)
		defer wcancel()
		if err := clock.BlockUntilContext(wctx, 1); err != nil {
			t.Fatalf("the window is not waiting to reconnect (%s): %v", what, err)
		}
	}

	// No agent: the window says so and waits on its clock.
	backendtest.WaitFor(t, "the agent error shown", func() bool {
		return strings.Contains(app.State().Agent.Error, "Lost the connection to the Gatepass agent")
	})
	waiting("no agent")
	clock.Advance(500 * time.Millisecond) // the first wait
	waiting("still no agent")
	stop := serveAgent(t, sock)
	clock.Advance(time.Second) // the second wait, doubled
	backendtest.WaitFor(t, "following the agent", func() bool { return app.State().Agent.Connected })

	// The agent goes away: after a working stream the wait is 0.5 s again.
	stop()
	backendtest.WaitFor(t, "the break shown", func() bool { return app.State().Agent.Error != "" })
	waiting("after the break")
	serveAgent(t, sock)
	clock.Advance(500 * time.Millisecond)
	backendtest.WaitFor(t, "following the new agent", func() bool { return app.State().Agent.Connected })
}
