package main

import (
	"context"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"unicode/utf16"

	"gatepass.dev/desktop/internal/localapi"
	"gatepass.dev/shared/api"
)

func TestAppOptions(t *testing.T) {
	app := newApp(appConfig{Window: &windowStore{path: filepath.Join(t.TempDir(), "window.json")}})
	opts := appOptions(app, flags{})
	if opts.Title != "Gatepass" {
		t.Errorf("Title = %q, want %q", opts.Title, "Gatepass")
	}
	if opts.AssetServer == nil || opts.AssetServer.Assets == nil {
		t.Fatal("no embedded assets configured")
	}
	if _, err := fs.Stat(opts.AssetServer.Assets, "index.html"); err != nil {
		t.Errorf("assets have no index.html at their root: %v", err)
	}
	if opts.OnStartup == nil || len(opts.Bind) != 1 || opts.Bind[0] != app {
		t.Errorf("App not wired: OnStartup set %v, %d bound objects", opts.OnStartup != nil, len(opts.Bind))
	}
	if !opts.HideWindowOnClose || opts.SingleInstanceLock == nil {
		t.Errorf("HideWindowOnClose %v, SingleInstanceLock %v", opts.HideWindowOnClose, opts.SingleInstanceLock)
	}
	if opts.Width != defaultWidth || opts.Height != defaultHeight || opts.StartHidden {
		t.Errorf("size %dx%d hidden %v", opts.Width, opts.Height, opts.StartHidden)
	}
	if !appOptions(app, flags{hidden: true}).StartHidden {
		t.Error("--hidden does not start hidden")
	}
}

func TestParseFlags(t *testing.T) {
	f := parseFlags([]string{"--socket", "/s", "--request", "zero-path"})
	if f.socket != "/s" || !f.request || f.network != "zero-path" {
		t.Errorf("%+v", f)
	}
	if f := parseFlags([]string{"--extend", "zero-path"}); !f.extend || f.request || f.network != "zero-path" {
		t.Errorf("%+v", f)
	}
	if f := parseFlags([]string{"--quit"}); !f.quit {
		t.Errorf("%+v", f)
	}
	// An unknown flag (a toolkit's) does not stop the window from starting.
	if f := parseFlags([]string{"--hidden", "--gtk-debug"}); !f.hidden {
		t.Errorf("%+v", f)
	}
}

func TestWindowSizeIsRemembered(t *testing.T) {
	s := &windowStore{path: filepath.Join(t.TempDir(), "gatepass", "window.json")}
	if got := s.Load(); got != (windowSize{defaultWidth, defaultHeight}) {
		t.Errorf("default = %v", got)
	}
	if err := s.Save(windowSize{800, 900}); err != nil {
		t.Fatal(err)
	}
	if got := s.Load(); got != (windowSize{800, 900}) {
		t.Errorf("after save = %v", got)
	}
	// A minimised window's 0×0 is not kept; a huge size is clamped.
	s.Save(windowSize{0, 0})
	if got := s.Load(); got != (windowSize{800, 900}) {
		t.Errorf("after 0x0 = %v", got)
	}
	os.WriteFile(s.path, []byte(`{"width":100,"height":99999}`), 0o600)
	if got := s.Load(); got != (windowSize{minWidth, maxSide}) {
		t.Errorf("clamped = %v", got)
	}
	// The App saves what the window says when the UI reports a resize.
	rt := &recRuntime{w: 640, h: 720}
	app := newApp(appConfig{Runtime: rt, Window: s})
	app.WindowResized()
	if got := s.Load(); got != (windowSize{640, 720}) {
		t.Errorf("after WindowResized = %v", got)
	}
}

type recRuntime struct {
	w, h   int
	events []string
	shown  int
	quit   bool
}

func (r *recRuntime) Emit(event string, data any) { r.events = append(r.events, event) }
func (r *recRuntime) Show()                       { r.shown++ }
func (r *recRuntime) Quit()                       { r.quit = true }
func (r *recRuntime) WindowSize() (int, int)      { return r.w, r.h }

func TestSecondInstance(t *testing.T) {
	rt := &recRuntime{}
	app := newApp(appConfig{Runtime: rt})
	app.secondInstance([]string{})
	if rt.shown != 1 {
		t.Errorf("a second start does not raise the window")
	}
	app.secondInstance([]string{"--request", "office-network"})
	if got := app.TakeOpenRequest(); !got.Open || got.Kind != DialogRequest || got.Network != "office-network" {
		t.Errorf("TakeOpenRequest = %+v", got)
	}
	if got := app.TakeOpenRequest(); got.Open {
		t.Errorf("TakeOpenRequest twice = %+v", got)
	}
	if len(rt.events) != 1 || rt.events[0] != EventOpenRequest {
		t.Errorf("events %v", rt.events)
	}
	// The tray's "Extend access…": the Extend dialog of a network.
	app.secondInstance([]string{"--extend", "zero-path"})
	if got := app.TakeOpenRequest(); !got.Open || got.Kind != DialogExtend || got.Network != "zero-path" {
		t.Errorf("TakeOpenRequest after --extend = %+v", got)
	}
	if len(rt.events) != 2 || rt.events[1] != EventOpenExtend || rt.shown != 3 {
		t.Errorf("events %v, shown %d", rt.events, rt.shown)
	}
	app.secondInstance([]string{"--quit"})
	if !rt.quit {
		t.Error("--quit does not quit")
	}
}

// reasonVector is one case of frontend/src/testdata/reason-vectors.json,
// which validate.test.ts runs against the window's twin.
type reasonVector struct {
	In     *string  `json:"in"`
	UTF16  []uint16 `json:"utf16"`
	Prefix string   `json:"prefix"`
	Repeat string   `json:"repeat"`
	Times  int      `json:"times"`
	Suffix string   `json:"suffix"`
	Error  string   `json:"error"`
	Value  *string  `json:"value"`
}

func (v reasonVector) input() string {
	if v.In != nil {
		return *v.In
	}
	if v.UTF16 != nil {
		return string(utf16.Decode(v.UTF16)) // a lone surrogate becomes U+FFFD
	}
	return v.Prefix + strings.Repeat(v.Repeat, v.Times) + v.Suffix
}

func TestCheckReasonVectors(t *testing.T) {
	b, err := os.ReadFile("../frontend/src/testdata/reason-vectors.json")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Reasons []reasonVector `json:"reasons"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Reasons) < 20 {
		t.Fatalf("%d vectors", len(doc.Reasons))
	}
	for _, v := range doc.Reasons {
		in := v.input()
		got, err := checkReason(in)
		switch {
		case v.Error != "":
			if err == nil || err.Error() != v.Error {
				t.Errorf("checkReason(%.30q) = %q, %v; want the error %q", in, got, err, v.Error)
			}
		case err != nil:
			t.Errorf("checkReason(%.30q): %v", in, err)
		case v.Value != nil && got != *v.Value:
			t.Errorf("checkReason(%.30q) = %q, want %q", in, got, *v.Value)
		}
	}
	// Bytes that are not UTF-8 at all (no JSON string can hold them).
	if _, err := checkReason("a\xffb"); err == nil || !strings.Contains(err.Error(), "not valid text") {
		t.Errorf("invalid UTF-8: %v", err)
	}
}

func TestFriendlyError(t *testing.T) {
	const srv = "https://gp.example.com"
	cases := []struct {
		op   string
		err  error
		want string
	}{
		{"login", &api.Error{Status: 401, Code: api.CodeUnauthorized, Message: "wrong email or password"}, "Wrong email or password."},
		{"login", &api.Error{Status: 429, Code: api.CodeRateLimited, Message: "too many"}, "Too many attempts"},
		{"request", &api.Error{Status: 429, Code: api.CodeRateLimited, Message: "you have made 6 access requests in the last 15 minutes, the most allowed: try again in 9 minutes"},
			"You have made 6 access requests in the last 15 minutes, the most allowed: try again in 9 minutes"},
		{"login", &api.Error{Status: 503, Code: api.CodeUnavailable, Message: "cannot reach the Gatepass server at https://gp.example.com: Post \"…\": dial tcp 127.0.0.1:1: connect: connection refused"}, "Can't reach the Gatepass server at https://gp.example.com (connection refused)."},
		{"login", &api.Error{Status: 503, Code: api.CodeUnavailable, Message: "cannot reach the Gatepass server at x: tls: failed to verify certificate: x509: certificate signed by unknown authority"}, "The certificate of the Gatepass server at https://gp.example.com is not trusted (certificate signed by unknown authority)."},
		{"login", &api.Error{Status: 504, Code: api.CodeUnavailable, Message: "the Gatepass server at x did not answer in time"}, "The Gatepass server at https://gp.example.com did not answer in time."},
		{"connect", &api.Error{Status: 409, Code: api.CodeConflict, Message: "office-network is not active: request access first"}, "Office-network is not active: request access first"},
		{"refresh", errors.Join(localapi.ErrNotRunning, errors.New("dial")), "The Gatepass agent is not running."},
		{"refresh", context.DeadlineExceeded, "did not answer in time"},
	}
	for _, c := range cases {
		server := ""
		if c.op == "login" {
			server = srv
		}
		got := friendlyError(c.op, server, c.err).Error()
		if !strings.Contains(got, c.want) {
			t.Errorf("friendlyError(%s, %v) = %q, want it to contain %q", c.op, c.err, got, c.want)
		}
	}
	if friendlyError("x", "", nil) != nil {
		t.Error("nil error is not nil")
	}
}

// TestBridgeMatchesApp checks the hand-written TypeScript bridge
// (frontend/src/bridge.ts) against the Go App: every method the UI calls
// exists, exported, with as many parameters, and every exported App method
// is in the bridge.
func TestBridgeMatchesApp(t *testing.T) {
	b, err := os.ReadFile("../frontend/src/bridge.ts")
	if err != nil {
		t.Fatal(err)
	}
	src := string(b)
	start := strings.Index(src, "export interface AppMethods {")
	end := strings.Index(src[start:], "\n}")
	body := src[start : start+end]
	re := regexp.MustCompile(`(?m)^\s+([A-Z]\w*)\(([^)]*)\): Promise<`)
	ts := map[string]int{}
	for _, m := range re.FindAllStringSubmatch(body, -1) {
		n := 0
		if strings.TrimSpace(m[2]) != "" {
			n = len(strings.Split(m[2], ","))
		}
		ts[m[1]] = n
	}
	if len(ts) < 10 {
		t.Fatalf("parsed only %d methods from bridge.ts", len(ts))
	}
	typ := reflect.TypeOf(&App{})
	for name, n := range ts {
		m, ok := typ.MethodByName(name)
		if !ok {
			t.Errorf("bridge.ts calls App.%s, which the Go App does not have", name)
			continue
		}
		if got := m.Type.NumIn() - 1; got != n {
			t.Errorf("App.%s takes %d arguments, bridge.ts passes %d", name, got, n)
		}
	}
	for i := 0; i < typ.NumMethod(); i++ {
		if _, ok := ts[typ.Method(i).Name]; !ok {
			t.Errorf("App.%s is bound but missing from bridge.ts", typ.Method(i).Name)
		}
	}
}

func TestStartAtLogin(t *testing.T) {
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	app := newApp(appConfig{})
	if s := app.Settings(); s.StartAtLogin || !s.StartAtLoginSupported {
		t.Fatalf("settings before: %+v", s)
	}
	s, err := app.SetStartAtLogin(true)
	if err != nil || !s.StartAtLogin {
		t.Fatalf("SetStartAtLogin(true) = %+v, %v", s, err)
	}
	b, err := os.ReadFile(filepath.Join(os.Getenv("XDG_CONFIG_HOME"), "autostart", "gatepass.desktop"))
	if err != nil || !strings.Contains(string(b), "--hidden") {
		t.Fatalf("autostart file: %s %v", b, err)
	}
	if s, _ := app.SetStartAtLogin(false); s.StartAtLogin {
		t.Error("still on")
	}
}
