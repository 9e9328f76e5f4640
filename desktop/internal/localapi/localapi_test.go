//go:build !windows

package localapi_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"gatepass.dev/desktop/internal/agent"
	"gatepass.dev/desktop/internal/localapi"
	"gatepass.dev/desktop/internal/tunnel"
	"gatepass.dev/shared/api"
	"gatepass.dev/shared/client"
)

// socketDir returns a short private temp dir (unix socket paths are
// limited to about 100 bytes).
func socketDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "gp")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

// serve runs a LocalAPI server of a fresh (signed-out) agent on ln.
func serve(t *testing.T, ln net.Listener) *agent.Agent {
	t.Helper()
	ns, err := tunnel.NewNetstack(tunnel.NetstackOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ns.Close() })
	a, err := agent.New(agent.Options{StateDir: t.TempDir(), Backend: ns,
		Credentials: &agent.FileStore{Path: filepath.Join(t.TempDir(), "c.json")}, DefaultServer: "http://127.0.0.1:1"})
	if err != nil {
		t.Fatal(err)
	}
	srv := localapi.NewServer(a, nil)
	done := make(chan struct{})
	go func() { defer close(done); srv.Serve(ln) }()
	t.Cleanup(func() { srv.Close(); <-done; a.Close() })
	return a
}

func TestListenModesAndStaleSocket(t *testing.T) {
	path := filepath.Join(socketDir(t), "run", "gatepassd.sock")
	ln, err := localapi.Listen(path)
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Lstat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode()&os.ModeSocket == 0 || fi.Mode().Perm() != 0o600 {
		t.Errorf("socket mode %v, want a socket with 0600", fi.Mode())
	}
	if di, _ := os.Stat(filepath.Dir(path)); di.Mode().Perm() != 0o700 {
		t.Errorf("socket dir mode %v, want 0700", di.Mode().Perm())
	}
	// A second agent is refused while the first one serves.
	if _, err := localapi.Listen(path); !errors.Is(err, localapi.ErrAlreadyRunning) {
		t.Errorf("second Listen: %v, want ErrAlreadyRunning", err)
	}
	// A dead agent's socket file is replaced.
	ln.(*net.UnixListener).SetUnlinkOnClose(false)
	ln.Close()
	if _, err := os.Lstat(path); err != nil {
		t.Fatalf("stale socket not left for the test: %v", err)
	}
	ln, err = localapi.Listen(path)
	if err != nil {
		t.Fatalf("Listen over a stale socket: %v", err)
	}
	ln.Close()
	// A file that is not a socket is never removed.
	if err := os.WriteFile(path, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := localapi.Listen(path); err == nil || !strings.Contains(err.Error(), "not a socket") {
		t.Errorf("Listen over a regular file: %v", err)
	}
}

func TestListenRefusesAnotherUsersDirectory(t *testing.T) {
	if os.Getuid() != 0 {
		t.Skip("needs root to make a directory of another user")
	}
	dir := filepath.Join(socketDir(t), "theirs")
	if err := os.Mkdir(dir, 0o777); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(dir, 65534, 65534); err != nil {
		t.Fatal(err)
	}
	if _, err := localapi.Listen(filepath.Join(dir, "gatepassd.sock")); err == nil || !strings.Contains(err.Error(), "belongs to another user") {
		t.Errorf("Listen in another user's directory: %v", err)
	}
	// Even with the sticky bit: only root's sticky dirs (/tmp) are trusted.
	if err := os.Chmod(dir, 0o777|os.ModeSticky); err != nil {
		t.Fatal(err)
	}
	if _, err := localapi.Listen(filepath.Join(dir, "gatepassd.sock")); err == nil {
		t.Error("Listen in another user's sticky directory was accepted")
	}
}

func TestDefaultSocketPath(t *testing.T) {
	t.Setenv("XDG_RUNTIME_DIR", "/run/user/1000")
	if got := localapi.DefaultSocketPath(); got != "/run/user/1000/gatepass/gatepassd.sock" {
		t.Errorf("with XDG_RUNTIME_DIR: %s", got)
	}
	t.Setenv("XDG_RUNTIME_DIR", "")
	want := filepath.Join(os.TempDir(), fmt.Sprintf("gatepass-%d", os.Getuid()), "gatepassd.sock")
	if got := localapi.DefaultSocketPath(); got != want {
		t.Errorf("without: %s, want %s", got, want)
	}
}

func TestCheckPeer(t *testing.T) {
	path := filepath.Join(socketDir(t), "p.sock")
	ln, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, err := ln.Accept()
		if err == nil {
			accepted <- c
		}
		close(accepted)
	}()
	c, err := net.Dial("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	sc, ok := <-accepted
	if !ok {
		t.Fatal("no connection accepted")
	}
	defer sc.Close()
	if err := localapi.CheckPeer(sc, os.Getuid()); err != nil {
		t.Errorf("own uid refused: %v", err)
	}
	if err := localapi.CheckPeer(sc, os.Getuid()+1); err == nil {
		t.Error("a connection was accepted for another uid")
	}
	// Not a unix socket: refused.
	tl, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer tl.Close()
	go func() {
		if c, err := net.Dial("tcp", tl.Addr().String()); err == nil {
			defer c.Close()
			io.Copy(io.Discard, c) //nolint:errcheck
		}
	}()
	tc, err := tl.Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer tc.Close()
	if err := localapi.CheckPeer(tc, os.Getuid()); err == nil {
		t.Error("a TCP connection passed the peer check")
	}
}

// TestOtherUserRefused connects from another uid (a child process running
// as nobody) to an agent whose socket is world-accessible on purpose, so
// only the peer check stands in the way. Needs root.
func TestOtherUserRefused(t *testing.T) {
	if os.Getuid() != 0 {
		t.Skip("needs root to run a client as another user")
	}
	const nobody = 65534
	dir := socketDir(t)
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	sockDir := filepath.Join(dir, "open")
	if err := os.Mkdir(sockDir, 0o777); err != nil {
		t.Fatal(err)
	}
	os.Chmod(sockDir, 0o777) //nolint:errcheck // past the umask
	path := filepath.Join(sockDir, "gatepassd.sock")
	ln, err := localapi.Listen(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, 0o666); err != nil { // only for this test: let the other user reach the peer check
		t.Fatal(err)
	}
	serve(t, ln)

	// The owner is served.
	if _, err := localapi.NewClient(path).Status(t.Context()); err != nil {
		t.Fatalf("owner: %v", err)
	}
	// Another user is refused by the peer check.
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "client.test")
	b, err := os.ReadFile(exe)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bin, b, 0o755); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "-test.run=^TestHelperClient$")
	cmd.Dir = dir
	cmd.Env = []string{"GATEPASS_HELPER_SOCKET=" + path, "PATH=/usr/bin:/bin"}
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: nobody, Gid: nobody}}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("helper: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "HELPER status=403 code=forbidden") {
		t.Errorf("another user's request was not refused:\n%s", out)
	}
	if !strings.Contains(string(out), "HELPER client err=localapi: "+path+" belongs to another user (uid 0)") {
		t.Errorf("the typed client talked to another user's socket:\n%s", out)
	}
}

// TestHelperClient is the other user's client of TestOtherUserRefused: the
// typed client refuses a socket that is not its user's; a raw HTTP client
// gets through to the agent, whose peer check answers 403.
func TestHelperClient(t *testing.T) {
	path := os.Getenv("GATEPASS_HELPER_SOCKET")
	if path == "" {
		t.Skip("helper process only")
	}
	_, err := localapi.NewClient(path).Status(context.Background())
	fmt.Printf("HELPER client err=%v\n", err)
	hc := &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		return new(net.Dialer).DialContext(ctx, "unix", path)
	}}}
	resp, err := hc.Get("http://gatepassd/localapi/v1/status")
	if err != nil {
		fmt.Printf("HELPER raw err=%v\n", err)
		return
	}
	defer resp.Body.Close()
	var eb api.ErrorBody
	json.NewDecoder(resp.Body).Decode(&eb) //nolint:errcheck
	fmt.Printf("HELPER status=%d code=%s message=%s\n", resp.StatusCode, eb.Error.Code, eb.Error.Message)
}

func TestClientErrors(t *testing.T) {
	dir := socketDir(t)
	// No agent: ErrNotRunning.
	_, err := localapi.NewClient(filepath.Join(dir, "none.sock")).Status(t.Context())
	if !errors.Is(err, localapi.ErrNotRunning) {
		t.Errorf("no agent: %v, want ErrNotRunning", err)
	}
	path := filepath.Join(dir, "a.sock")
	ln, err := localapi.Listen(path)
	if err != nil {
		t.Fatal(err)
	}
	serve(t, ln)
	c := localapi.NewClient(path)
	st, err := c.Status(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if st.SignedIn || st.Networks == nil || st.Server != "http://127.0.0.1:1" || !st.Prefs.ConnectOnApproval {
		t.Errorf("signed-out status: %+v", st)
	}
	// Errors are {"error":{"code","message"}} with the right status.
	for _, tc := range []struct {
		name   string
		call   func() error
		status int
	}{
		{"request while signed out", func() error { _, err := c.Request(t.Context(), "n", "why", 0); return err }, 401},
		{"login without email", func() error { _, err := c.Login(t.Context(), "", "", "pw"); return err }, 400},
		{"login to a bad URL", func() error { _, err := c.Login(t.Context(), "ftp://x", "a@b", "pw"); return err }, 400},
		{"login to a dead server", func() error { _, err := c.Login(t.Context(), "", "a@b.c", "pw"); return err }, 503},
	} {
		if err := tc.call(); client.StatusOf(err) != tc.status {
			t.Errorf("%s: %v, want status %d", tc.name, err, tc.status)
		}
	}
	// Raw HTTP: unknown endpoints and bad bodies.
	hc := &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		return new(net.Dialer).DialContext(ctx, "unix", path)
	}}}
	for _, tc := range []struct {
		method, path, body string
		status             int
		code               api.ErrorCode
	}{
		{"GET", "/localapi/v1/nope", "", 404, api.CodeNotFound},
		{"POST", "/localapi/v1/login", "{not json", 400, api.CodeBadRequest},
		{"POST", "/localapi/v1/login", `{"email":"a","password":"b","extra":1}`, 400, api.CodeBadRequest},
		{"POST", "/localapi/v1/networks/x/frobnicate", "", 404, api.CodeNotFound},
		{"PUT", "/localapi/v1/prefs", `{"connect_on_approval":"yes"}`, 400, api.CodeBadRequest},
	} {
		req, _ := http.NewRequest(tc.method, "http://gatepassd"+tc.path, strings.NewReader(tc.body))
		resp, err := hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var eb api.ErrorBody
		derr := json.NewDecoder(resp.Body).Decode(&eb)
		resp.Body.Close()
		if resp.StatusCode != tc.status || derr != nil || eb.Error.Code != tc.code || eb.Error.Message == "" {
			t.Errorf("%s %s: %d %+v (%v), want %d %s", tc.method, tc.path, resp.StatusCode, eb, derr, tc.status, tc.code)
		}
	}
	// Prefs round trip.
	off := false
	st, err = c.SetPrefs(t.Context(), localapi.PrefsInput{ConnectOnApproval: &off})
	if err != nil || st.Prefs.ConnectOnApproval {
		t.Fatalf("SetPrefs: %+v %v", st.Prefs, err)
	}
	if p, err := c.Prefs(t.Context()); err != nil || p.ConnectOnApproval {
		t.Errorf("Prefs: %+v %v", p, err)
	}
}

func TestWatchSendsStatusFirstAndChanges(t *testing.T) {
	path := filepath.Join(socketDir(t), "w.sock")
	ln, err := localapi.Listen(path)
	if err != nil {
		t.Fatal(err)
	}
	serve(t, ln)
	c := localapi.NewClient(path)
	got := make(chan localapi.Status, 8)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	errc := make(chan error, 1)
	go func() { errc <- c.Watch(ctx, func(st localapi.Status) error { got <- st; return nil }) }()
	next := func() localapi.Status {
		select {
		case st := <-got:
			return st
		case err := <-errc:
			t.Fatalf("watch ended: %v", err)
		case <-time.After(10 * time.Second):
			t.Fatal("no watch message")
		}
		return localapi.Status{}
	}
	if st := next(); !st.Prefs.ConnectOnApproval {
		t.Fatalf("first message: %+v", st)
	}
	off := false
	if _, err := c.SetPrefs(t.Context(), localapi.PrefsInput{ConnectOnApproval: &off}); err != nil {
		t.Fatal(err)
	}
	if st := next(); st.Prefs.ConnectOnApproval {
		t.Fatalf("change not sent: %+v", st)
	}
	cancel()
	if err := <-errc; !errors.Is(err, context.Canceled) {
		t.Errorf("watch ended with %v", err)
	}
}

// The client reads /watch by the event-stream rules, whoever wrote it: CR
// line ends, comments, a Status split over data lines, events of other
// types skipped.
func TestWatchClientReadsAnyConformingStream(t *testing.T) {
	path := filepath.Join(socketDir(t), "f.sock")
	ln, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		io.WriteString(w, ": hello\r\r"+
			"event: other\rdata: [1\rdata: 2]\r\r"+
			"event: status\rdata: {\"signed_in\": true,\rdata:  \"server\": \"https://gp.example\"}\r\r")
	})}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	var got []localapi.Status
	err = localapi.NewClient(path).Watch(t.Context(), func(st localapi.Status) error { got = append(got, st); return nil })
	if !errors.Is(err, io.EOF) {
		t.Errorf("end of the stream: %v", err)
	}
	if len(got) != 1 || !got[0].SignedIn || got[0].Server != "https://gp.example" {
		t.Fatalf("statuses %+v", got)
	}
}
