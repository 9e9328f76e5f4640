package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"gatepass.dev/backend/backendtest"
	"gatepass.dev/desktop/internal/tunnel"
	"gatepass.dev/shared/api"
	"gatepass.dev/shared/client"
)

func TestRun(t *testing.T) {
	noAgent := filepath.Join(t.TempDir(), "none.sock")
	tests := []struct {
		name   string
		args   []string
		code   int
		stdout string // substring expected on stdout ("" = must be empty)
		stderr string // substring expected on stderr ("" = must be empty)
	}{
		{"no command", nil, 2, "", "usage: gatepassd run|login|status"},
		{"unknown command", []string{"frobnicate"}, 2, "", `unknown command "frobnicate"`},
		{"help", []string{"--help"}, 0, "usage: gatepassd", ""},
		{"version", []string{"version"}, 0, "gatepassd dev", ""},
		{"command help", []string{"request", "--help"}, 0, "request      NETWORK --reason R", ""},
		{"devices help", []string{"devices", "remove", "--help"}, 0, "devices remove ID|NAME [--yes]", ""},
		{"agent not running", []string{"status", "--json", "--socket", noAgent}, 1, "", "gatepassd is not running: start it with `gatepassd run`"},
		{"agent not running (connect)", []string{"connect", "office", "--socket", noAgent}, 1, "", "gatepassd is not running"},
		{"unknown flag", []string{"status", "--frob"}, 2, "", "flag provided but not defined: -frob"},
		{"request without network", []string{"request", "--reason", "x", "--socket", noAgent}, 2, "", "name one network"},
		{"request without reason", []string{"request", "office", "--socket", noAgent}, 2, "", "--reason is required"},
		{"bad duration", []string{"request", "office", "--reason", "x", "--duration", "8 hours", "--socket", noAgent}, 2, "", "--duration"},
		{"login without --password-stdin", []string{"login", "--email", "a@b.c", "--socket", noAgent}, 2, "", "--password-stdin is required"},
		{"login without email", []string{"login", "--password-stdin", "--socket", noAgent}, 2, "", "--email is required"},
		{"run with a bad mode", []string{"run", "--tunnel", "carrier-pigeon", "--state-dir", t.TempDir(), "--socket", noAgent}, 2, "", `--tunnel: "carrier-pigeon"`},
		{"run with a stray argument", []string{"run", "extra"}, 2, "", `unexpected argument "extra"`},
		{"proxy password in TUN mode", []string{"run", "--tunnel", "tun", "--proxy-password", "--state-dir", t.TempDir(), "--socket", noAgent}, 2, "", "--proxy-password are for --tunnel netstack"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			if code := run(t.Context(), tt.args, strings.NewReader(""), &out, &errOut); code != tt.code {
				t.Errorf("exit code = %d, want %d (stderr %q)", code, tt.code, errOut.String())
			}
			check(t, "stdout", out.String(), tt.stdout)
			check(t, "stderr", errOut.String(), tt.stderr)
		})
	}
}

func check(t *testing.T, name, got, want string) {
	t.Helper()
	if want == "" {
		if got != "" {
			t.Errorf("%s = %q, want empty", name, got)
		}
		return
	}
	if !strings.Contains(got, want) {
		t.Errorf("%s = %q, want it to contain %q", name, got, want)
	}
}

func TestWishedDuration(t *testing.T) {
	for in, want := range map[string]time.Duration{
		"8h": 8 * time.Hour, "90m": 90 * time.Minute, "1h30m": 90 * time.Minute, "2d": 48 * time.Hour,
		"1w": 7 * 24 * time.Hour, "1d12h": 36 * time.Hour, "45s": 45 * time.Second, "1d 12h": 36 * time.Hour, "1.5h": 90 * time.Minute,
	} {
		if got, err := wishedDuration(in); err != nil || got != want {
			t.Errorf("wishedDuration(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for bad, why := range map[string]string{
		"": "empty", "h": "a number and a unit", "8": "unit is missing", "8x": `unknown unit "x"`, "-1h": "a second or more",
		"0h": "a second or more", "300ms": "a second or more", "99999999999999999999d": "too long",
	} {
		if _, err := wishedDuration(bad); err == nil || !strings.Contains(err.Error(), why) {
			t.Errorf("wishedDuration(%q) = %v, want an error saying %q", bad, err, why)
		}
	}
}

// The status's time left reads as the window's countdown: never "12m 5s".
func TestTimeLeft(t *testing.T) {
	for d, want := range map[time.Duration]string{
		30*24*time.Hour - time.Second:  "29d 23h",
		8*time.Hour - time.Millisecond: "7h 59m",
		12*time.Minute + 5*time.Second: "12m",
		40 * time.Second:               "40s",
		0:                              "expired",
		-time.Hour:                     "expired",
	} {
		if got := timeLeft(d); got != want {
			t.Errorf("timeLeft(%v) = %q, want %q", d, got, want)
		}
	}
}

// syncWriter is an io.Writer safe for the agent's log goroutines.
type syncWriter struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (w *syncWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}

func (w *syncWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.String()
}

// cli runs one client command and returns its exit code and output.
func cli(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := run(t.Context(), args, strings.NewReader(stdin), &out, &errOut)
	return code, out.String(), errOut.String()
}

// TestAgentAndCLI runs `gatepassd run` (netstack, real WireGuard) against a
// real backend and drives it with the client commands.
func TestAgentAndCLI(t *testing.T) {
	svc := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "behind the gateway")
	}))
	t.Cleanup(svc.Close)
	srv := backendtest.NewServer(t, backendtest.WithGatewayDial(backendtest.MapTo(svc.Listener.Addr().String())))
	admin := srv.Admin(t)
	srv.NewUser(t, "carol@example.com", api.RoleUser)
	network := srv.NewNetwork(t, "office-network", func(in *api.NetworkInput) {
		r := []string{backendtest.ServiceRoute}
		in.Routes = &r
	})
	srv.NewNetwork(t, "staging-internal")

	sockDir, err := os.MkdirTemp("", "gp")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(sockDir) })
	sock := filepath.Join(sockDir, "gatepassd.sock")
	stateDir := t.TempDir()

	ctx, cancel := context.WithCancel(context.Background())
	logs := &syncWriter{}
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"run", "--server", srv.URL, "--socket", sock, "--state-dir", stateDir,
			"--tunnel", "netstack", "--credential-store", "file", "--log-level", "debug"}, nil, io.Discard, logs)
	}()
	stopped := false
	stop := func() {
		if !stopped {
			stopped = true
			cancel()
			if code := <-done; code != 0 {
				t.Errorf("gatepassd run exited %d:\n%s", code, logs.String())
			}
		}
	}
	t.Cleanup(stop)
	defer func() {
		if t.Failed() {
			t.Logf("agent log:\n%s", logs.String())
		}
	}()
	backendtest.WaitFor(t, "the agent's socket", func() bool {
		code, _, _ := cli(t, "", "status", "--socket", sock)
		return code == 0
	})

	// One agent per socket: a second one stops at once.
	if code, _, errOut := cli(t, "", "run", "--socket", sock, "--state-dir", t.TempDir(), "--tunnel", "netstack"); code != 1 || !strings.Contains(errOut, "already running") {
		t.Errorf("second agent: %d %q", code, errOut)
	}
	code, out, errOut := cli(t, "", "status", "--socket", sock)
	if code != 0 || !strings.Contains(out, "Not signed in.") {
		t.Fatalf("status before login: %d %q %q", code, out, errOut)
	}
	if code, _, errOut := cli(t, "wrong\n", "login", "--socket", sock, "--email", "carol@example.com", "--password-stdin"); code != 1 || errOut == "" {
		t.Errorf("wrong password: %d %q", code, errOut)
	}
	code, out, errOut = cli(t, backendtest.UserPassword+"\n", "login", "--socket", sock, "--email", "carol@example.com", "--password-stdin")
	if code != 0 || !strings.Contains(out, "Signed in to "+srv.URL+" as carol@example.com") {
		t.Fatalf("login: %d %q %q", code, out, errOut)
	}
	code, out, _ = cli(t, "", "status", "--socket", sock)
	if code != 0 || !regexpLine(out, "office-network", "request", "-", "no") || !regexpLine(out, "staging-internal", "request") {
		t.Fatalf("status after login:\n%s", out)
	}

	code, out, errOut = cli(t, "", "request", "office-network", "--reason", "deploy hotfix", "--duration", "8h", "--socket", sock)
	if code != 0 || !strings.Contains(out, "pending") {
		t.Fatalf("request: %d %q %q", code, out, errOut)
	}
	if code, _, errOut := cli(t, "", "connect", "office-network", "--socket", sock); code != 1 || !strings.Contains(errOut, "not active yet") {
		t.Errorf("connect while pending: %d %q", code, errOut)
	}
	code, out, _ = cli(t, "", "status", "--socket", sock)
	if !regexpLine(out, "office-network", "pending", "-", "no") {
		t.Fatalf("status while pending:\n%s", out)
	}
	reqs, err := admin.AdminRequests(t.Context(), client.RequestQuery{Status: "pending"})
	if err != nil || len(reqs.Requests) != 1 || reqs.Requests[0].Reason != "deploy hotfix" || reqs.Requests[0].DurationSeconds != 8*3600 {
		t.Fatalf("the backend's pending requests: %+v %v", reqs.Requests, err)
	}
	if _, err := admin.Approve(t.Context(), reqs.Requests[0].ID, 8*time.Hour); err != nil {
		t.Fatal(err)
	}

	// status --json: the contract shape, once connected (on approval) and
	// the gateway answered (the first handshake).
	var st map[string]any
	backendtest.WaitFor(t, "connected in status --json", func() bool {
		code, out, _ := cli(t, "", "status", "--json", "--socket", sock)
		st = nil
		if code != 0 || json.Unmarshal([]byte(out), &st) != nil {
			return false
		}
		for _, n := range st["networks"].([]any) {
			if m := n.(map[string]any); m["name"] == "office-network" && m["connected"] == true && m["tunnel_state"] == "connected" {
				return true
			}
		}
		return false
	})
	for _, k := range []string{"signed_in", "server", "user", "networks", "socks5", "http_proxy", "proxy_auth", "socks5_url", "http_proxy_url", "tunnel_mode", "backend_reachable", "clock_offset_ms", "server_time"} {
		if _, ok := st[k]; !ok {
			t.Errorf("status --json lacks %q", k)
		}
	}
	if st["signed_in"] != true || st["server"] != srv.URL || st["tunnel_mode"] != "netstack" || st["socks5"] == "" || st["http_proxy"] == "" || st["backend_reachable"] != true {
		t.Errorf("status --json: %v", st)
	}
	if tunnel.ProxyOwnerCheck && (st["proxy_auth"] != nil || st["socks5_url"] != "socks5h://"+st["socks5"].(string)) {
		t.Errorf("the proxies ask for credentials without --proxy-password: %v %v", st["proxy_auth"], st["socks5_url"])
	}
	if u, _ := st["user"].(map[string]any); u["email"] != "carol@example.com" {
		t.Errorf("user: %v", st["user"])
	}
	var office map[string]any
	for _, n := range st["networks"].([]any) {
		if m := n.(map[string]any); m["name"] == "office-network" {
			office = m
		}
	}
	for _, k := range []string{"id", "name", "description", "state", "connected", "want_connected", "expires_at", "request", "address", "tunnel"} {
		if _, ok := office[k]; !ok {
			t.Errorf("network lacks %q", k)
		}
	}
	if office["id"] != network.ID || office["state"] != "active" || office["want_connected"] != true || office["address"] == "" {
		t.Errorf("office-network: %v", office)
	}
	if exp, err := time.Parse(time.RFC3339, fmt.Sprint(office["expires_at"])); err != nil || !exp.Equal(srv.Now().Add(8*time.Hour)) {
		t.Errorf("expires_at %v (%v), want %v", office["expires_at"], err, srv.Now().Add(8*time.Hour))
	}
	if r, _ := office["request"].(map[string]any); r["status"] != "approved" {
		t.Errorf("request: %v", office["request"])
	}
	for _, k := range []string{"last_handshake", "rx_bytes", "tx_bytes"} {
		if tun, _ := office["tunnel"].(map[string]any); tun == nil || tun[k] == nil && k != "last_handshake" {
			t.Errorf("tunnel lacks %q: %v", k, office["tunnel"])
		}
	}
	_, out, _ = cli(t, "", "status", "--socket", sock)
	if !regexpLine(out, "office-network", "active", "7h 59m", "yes") {
		t.Errorf("status while active:\n%s", out)
	}
	if tunnel.ProxyOwnerCheck && !strings.Contains(out, "Only your user (and root) can use them.") {
		t.Errorf("status does not say who may use the proxies:\n%s", out)
	}

	// Through the agent's HTTP proxy (its URL carries the credentials
	// where the proxies ask for them), into the tunnel, to the service.
	proxy, _ := url.Parse(st["http_proxy_url"].(string))
	hc := &http.Client{Transport: &http.Transport{Proxy: http.ProxyURL(proxy), DisableKeepAlives: true}, Timeout: 10 * time.Second}
	_, port, _ := strings.Cut(svc.Listener.Addr().String(), ":")
	target := "http://" + backendtest.ServiceAddr + ":" + port + "/"
	get := func() (int, string, error) {
		resp, err := hc.Get(target)
		if err != nil {
			return 0, "", err
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b), nil
	}
	if code, body, err := get(); err != nil || code != 200 || body != "behind the gateway" {
		t.Fatalf("GET through the tunnel: %d %q %v", code, body, err)
	}

	// disconnect / connect / release.
	if code, out, errOut := cli(t, "", "disconnect", "office-network", "--socket", sock); code != 0 || !strings.Contains(out, "Disconnected") {
		t.Fatalf("disconnect: %d %q %q", code, out, errOut)
	}
	if code, _, _ := get(); code == 200 {
		t.Error("GET works after disconnect")
	}
	code, out, errOut = cli(t, "", "connect", "office-network", "--socket", sock)
	if code != 0 || !strings.Contains(out, "Connected to office-network as 10.") || !strings.Contains(out, "access expires in 7h 59m") {
		t.Fatalf("connect: %d %q %q", code, out, errOut)
	}
	if code, body, err := get(); err != nil || code != 200 {
		t.Fatalf("GET after reconnect: %d %q %v", code, body, err)
	}
	if code, out, errOut := cli(t, "", "release", "office-network", "--socket", sock); code != 0 || !strings.Contains(out, "Released") {
		t.Fatalf("release: %d %q %q", code, out, errOut)
	}
	if code, _, _ := get(); code == 200 {
		t.Error("GET works after release")
	}
	_, out, _ = cli(t, "", "status", "--socket", sock)
	if !regexpLine(out, "office-network", "request", "-", "no") {
		t.Errorf("status after release:\n%s", out)
	}
	// cancel.
	cli(t, "", "request", "staging-internal", "--reason", "look", "--socket", sock)
	if code, out, errOut := cli(t, "", "cancel", "staging-internal", "--socket", sock); code != 0 || !strings.Contains(out, "Cancelled") {
		t.Fatalf("cancel: %d %q %q", code, out, errOut)
	}
	if code, _, errOut := cli(t, "", "cancel", "staging-internal", "--socket", sock); code != 1 || !strings.Contains(errOut, "no pending request") {
		t.Errorf("second cancel: %d %q", code, errOut)
	}
	if code, _, errOut := cli(t, "", "release", "nope", "--socket", sock); code != 1 || !strings.Contains(errOut, `no network named "nope"`) {
		t.Errorf("unknown network: %d %q", code, errOut)
	}
	// Nothing secret in the output or the logs.
	keys, _ := filepath.Glob(filepath.Join(stateDir, "keys", "*.key"))
	if len(keys) != 1 {
		t.Fatalf("key files %v", keys)
	}
	priv, _ := os.ReadFile(keys[0])
	_, js, _ := cli(t, "", "status", "--json", "--socket", sock)
	creds, _ := os.ReadFile(filepath.Join(stateDir, "credentials.json"))
	var tokens map[string]string
	json.Unmarshal(creds, &tokens) //nolint:errcheck
	for _, secret := range append([]string{strings.TrimSpace(string(priv))}, values(tokens)...) {
		if secret == "" {
			t.Fatal("no secret to look for")
		}
		if strings.Contains(js, secret) || strings.Contains(logs.String(), secret) {
			t.Error("a secret appears in the status or the log")
		}
	}

	if code, out, _ := cli(t, "", "logout", "--socket", sock); code != 0 || !strings.Contains(out, "Signed out.") {
		t.Fatalf("logout: %d %q", code, out)
	}
	_, out, _ = cli(t, "", "status", "--socket", sock)
	if !strings.Contains(out, "Not signed in.") {
		t.Errorf("status after logout:\n%s", out)
	}
	stop()
	if _, err := os.Lstat(sock); !os.IsNotExist(err) {
		t.Errorf("socket left behind: %v", err)
	}
	if code, _, errOut := cli(t, "", "status", "--socket", sock); code != 1 || !strings.Contains(errOut, "gatepassd is not running") {
		t.Errorf("status after stop: %d %q", code, errOut)
	}
}

func values(m map[string]string) []string {
	var out []string
	for _, v := range m {
		out = append(out, v)
	}
	return out
}

// regexpLine reports whether some line of out holds the fields in order,
// separated by spaces.
func regexpLine(out string, fields ...string) bool {
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		if len(f) == 0 || f[0] != fields[0] {
			continue
		}
		joined := strings.Join(f, " ")
		if strings.HasPrefix(joined, strings.Join(fields, " ")) {
			return true
		}
	}
	return false
}
