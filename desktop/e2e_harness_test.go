package main

// End-to-end tests of the window's UI against a real agent and a real
// backend, in headless Chromium.
//
// The real window is WebKitGTK, which WebDriver cannot drive; `wails dev`
// could serve the app to a browser but needs the Wails CLI, GTK and Xvfb and
// takes a minute to build. These tests instead serve the built UI
// (frontend/dist, embedded) exactly as the window does, plus a small shim
// in place of the Wails runtime: /wails/runtime.js defines window.go.main.App
// (each method a POST /shim/call/NAME calling the same Go App method by
// reflection, as the Wails bindings do) and window.runtime.EventsOn (fed by
// an SSE stream of the App's emitted events). Everything behind the shim is
// real: the App type, its LocalAPI client over a unix socket, the agent
// (netstack WireGuard tunnels), and the backend (backendtest: SQLite, the
// gateway, a fake clock the test moves together with the agent's).
// The real window is checked separately under Xvfb (scripts/window-smoke.sh).

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/jonboulle/clockwork"

	"gatepass.dev/backend/backendtest"
	"gatepass.dev/desktop/internal/agent"
	"gatepass.dev/desktop/internal/localapi"
	"gatepass.dev/desktop/internal/notify"
	"gatepass.dev/desktop/internal/tunnel"
	"gatepass.dev/frontend"
	"gatepass.dev/shared/api"
	"gatepass.dev/shared/client"
	"gatepass.dev/shared/sse"
)

const (
	e2eUser     = "contractor@example.com"
	e2eNet      = "office-network"
	serviceBody = "hello from behind the gateway"
	xss         = "<img src=x onerror=alert(1)>"
)

// ---- the shim in place of the Wails runtime ----

type shim struct {
	app  *App
	mu   sync.Mutex
	subs map[chan []byte]struct{}
}

func (s *shim) Emit(event string, data any) {
	b, err := json.Marshal(map[string]any{"event": event, "data": data})
	if err != nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for ch := range s.subs {
		select {
		case ch <- b:
		default: // a stuck browser misses events; the tests would notice
		}
	}
}
func (s *shim) Show()                  {}
func (s *shim) Quit()                  {}
func (s *shim) WindowSize() (int, int) { return defaultWidth, defaultHeight }

const shimJS = `(function () {
  var listeners = {};
  var es = new EventSource('/shim/events');
  es.onmessage = function (m) {
    var msg = JSON.parse(m.data);
    (listeners[msg.event] || []).slice().forEach(function (cb) { cb(msg.data); });
  };
  window.runtime = {
    EventsOn: function (name, cb) {
      (listeners[name] = listeners[name] || []).push(cb);
      return function () { listeners[name] = (listeners[name] || []).filter(function (x) { return x !== cb; }); };
    }
  };
  function call(name) {
    return function () {
      var args = Array.prototype.slice.call(arguments);
      return fetch('/shim/call/' + name, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(args) })
        .then(function (r) { return r.json().then(function (b) { if (!r.ok) throw new Error(b.error); return b.result; }); });
    };
  }
  var app = {};
  METHODS.forEach(function (m) { app[m] = call(m); });
  window.go = { main: { App: app } };
})();
`

func (s *shim) handler(t *testing.T) http.Handler {
	typ := reflect.TypeOf(s.app)
	var names []string
	for i := 0; i < typ.NumMethod(); i++ {
		names = append(names, typ.Method(i).Name)
	}
	methods, _ := json.Marshal(names)
	js := strings.Replace(shimJS, "METHODS", string(methods), 1)
	assets := frontend.Dist()
	mux := http.NewServeMux()
	mux.HandleFunc("GET /wails/runtime.js", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/javascript")
		io.WriteString(w, js)
	})
	mux.HandleFunc("GET /wails/ipc.js", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/javascript")
	})
	mux.HandleFunc("GET /shim/events", func(w http.ResponseWriter, r *http.Request) {
		ch := make(chan []byte, 64)
		s.mu.Lock()
		s.subs[ch] = struct{}{}
		s.mu.Unlock()
		defer func() { s.mu.Lock(); delete(s.subs, ch); s.mu.Unlock() }()
		sw, err := sse.Start(w)
		if err != nil {
			return
		}
		for {
			select {
			case <-r.Context().Done():
				return
			case b := <-ch:
				if sw.Event(sse.Event{Data: string(b)}) != nil {
					return
				}
			}
		}
	})
	mux.HandleFunc("POST /shim/call/{method}", func(w http.ResponseWriter, r *http.Request) {
		m := reflect.ValueOf(s.app).MethodByName(r.PathValue("method"))
		reply := func(code int, v any) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(code)
			json.NewEncoder(w).Encode(v)
		}
		if !m.IsValid() {
			reply(404, map[string]string{"error": "no method " + r.PathValue("method")})
			return
		}
		var raw []json.RawMessage
		if err := json.NewDecoder(r.Body).Decode(&raw); err != nil || len(raw) != m.Type().NumIn() {
			reply(400, map[string]string{"error": fmt.Sprintf("bad arguments for %s: %v", r.PathValue("method"), err)})
			return
		}
		args := make([]reflect.Value, len(raw))
		for i, a := range raw {
			p := reflect.New(m.Type().In(i))
			if err := json.Unmarshal(a, p.Interface()); err != nil {
				reply(400, map[string]string{"error": err.Error()})
				return
			}
			args[i] = p.Elem()
		}
		out := m.Call(args)
		var result any
		for _, o := range out {
			if o.Type() == reflect.TypeOf((*error)(nil)).Elem() {
				if !o.IsNil() {
					reply(500, map[string]string{"error": o.Interface().(error).Error()})
					return
				}
				continue
			}
			result = o.Interface()
		}
		reply(200, map[string]any{"result": result})
	})
	mux.HandleFunc("GET /", func(w http.ResponseWriter, r *http.Request) {
		p := strings.TrimPrefix(r.URL.Path, "/")
		if p == "" {
			p = "index.html"
		}
		b, err := fs.ReadFile(assets, p)
		if err != nil {
			http.NotFound(w, r)
			return
		}
		if p == "index.html" {
			// As the Wails asset server does: the runtime scripts first in <head>.
			b = []byte(strings.Replace(string(b), "<head>", `<head><script src="/wails/ipc.js"></script><script src="/wails/runtime.js"></script>`, 1))
		}
		switch filepath.Ext(p) {
		case ".html":
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
		case ".js":
			w.Header().Set("Content-Type", "text/javascript")
		case ".css":
			w.Header().Set("Content-Type", "text/css")
		case ".svg":
			w.Header().Set("Content-Type", "image/svg+xml")
		}
		w.Write(b)
	})
	return mux
}

// ---- the harness ----

type e2e struct {
	t     *testing.T
	srv   *backendtest.Server
	admin *client.Client
	clock *clockwork.FakeClock // the agent's
	// appClock is the App's (its back-off and its "ends in 10 minutes"
	// timer); advance moves it with the others.
	appClock *clockwork.FakeClock
	ns       *tunnel.Netstack
	lc       *localapi.Client
	app      *App
	url      string
	ctx      context.Context // the browser tab
	target   string          // the service behind the gateway
	alerts   *int
}

func needBrowser(t *testing.T) string {
	t.Helper()
	b, err := fs.ReadFile(frontend.Dist(), "index.html")
	if err != nil || !strings.Contains(string(b), "/assets/") {
		if os.Getenv("CI") != "" {
			t.Fatal("frontend/dist holds no built UI: run `make frontend` (npm ci && npm run build) first")
		}
		t.Skip("frontend/dist holds the placeholder, not the built UI: run `make frontend` first")
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") != "" {
		t.Fatal("no chromium: install Debian's chromium (make deps-desktop)")
	}
	t.Skip("no chromium installed")
	return ""
}

func newE2E(t *testing.T) *e2e {
	chromium := needBrowser(t)
	h := newStack(t, nil)
	h.startBrowser(chromium)
	return h
}

// newStack starts the backend, the agent and the App (with notifier n),
// without a browser.
func newStack(t *testing.T, n notify.Notifier) *e2e {
	svc := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, serviceBody) }))
	t.Cleanup(svc.Close)
	srv := backendtest.NewServer(t, backendtest.WithGatewayDial(backendtest.MapTo(svc.Listener.Addr().String())))
	h := &e2e{t: t, srv: srv, admin: srv.Admin(t)}
	_, port, _ := strings.Cut(svc.Listener.Addr().String(), ":")
	h.target = "http://" + backendtest.ServiceAddr + ":" + port + "/"
	srv.NewUser(t, e2eUser, api.RoleUser)
	srv.NewNetwork(t, e2eNet, func(in *api.NetworkInput) {
		r := []string{backendtest.ServiceRoute}
		in.Routes = &r
		d := "The office LAN"
		in.Description = &d
	})

	// The agent, on its own fake clock, serving the LocalAPI on a socket.
	h.clock = clockwork.NewFakeClockAt(srv.Now())
	ns, err := tunnel.NewNetstack(tunnel.NetstackOptions{Logf: t.Logf})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ns.Close() })
	h.ns = ns
	stateDir := t.TempDir()
	a, err := agent.New(agent.Options{StateDir: stateDir, Backend: ns, Clock: h.clock, DeviceName: "laptop",
		Credentials: &agent.FileStore{Path: filepath.Join(stateDir, "credentials.json")}, ConnectTimeout: 15 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	sockDir, err := os.MkdirTemp("", "gp-e2e")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(sockDir) })
	sock := filepath.Join(sockDir, "s", "gatepassd.sock")
	ln, err := localapi.Listen(sock)
	if err != nil {
		t.Fatal(err)
	}
	ls := localapi.NewServer(a, nil)
	done := make(chan struct{})
	go func() { defer close(done); ls.Serve(ln) }()
	t.Cleanup(func() { ls.Close(); <-done })
	h.lc = localapi.NewClient(sock)

	// The App, as in the window, with the shim as its runtime.
	sh := &shim{subs: map[chan []byte]struct{}{}}
	h.appClock = clockwork.NewFakeClockAt(srv.Now())
	h.app = newApp(appConfig{Socket: sock, Runtime: sh, Notifier: n, Clock: h.appClock})
	sh.app = h.app
	actx, cancelApp := context.WithCancel(context.Background())
	h.app.start(actx)
	t.Cleanup(func() { cancelApp(); h.app.stop() })
	web := httptest.NewServer(sh.handler(t))
	t.Cleanup(web.Close)
	h.url = web.URL
	return h
}

// startBrowser opens the UI in headless Chromium.
func (h *e2e) startBrowser(chromium string) {
	t := h.t
	// The browser, with a fresh profile.
	profile, err := os.MkdirTemp("", "gp-chromium")
	if err != nil {
		t.Fatal(err)
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromium),
		chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.Flag("disable-quic", true), chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.UserDataDir(profile), chromedp.WindowSize(defaultWidth, defaultHeight),
	}
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	tab, cancelTab := chromedp.NewContext(allocCtx, chromedp.WithLogf(t.Logf))
	t.Cleanup(func() {
		cancelTab()
		cancelAlloc() // waits for chromium to exit
		os.RemoveAll(profile)
	})
	alerts := 0
	h.alerts = &alerts
	chromedp.ListenTarget(tab, func(ev any) {
		if _, ok := ev.(*page.EventJavascriptDialogOpening); ok {
			alerts++
			go chromedp.Run(tab, page.HandleJavaScriptDialog(true))
		}
	})
	h.ctx = tab
	// The first Run starts the browser, tied to the tab's own context (a
	// deadline context would end the browser with it).
	if err := chromedp.Run(tab); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	h.run("open the window", chromedp.Navigate(h.url))
}

// run runs browser actions with a deadline.
func (h *e2e) run(what string, actions ...chromedp.Action) {
	h.t.Helper()
	ctx, cancel := context.WithTimeout(h.ctx, 20*time.Second)
	defer cancel()
	if err := chromedp.Run(ctx, actions...); err != nil {
		var html string
		chromedp.Run(h.ctx, chromedp.OuterHTML("#app", &html, chromedp.ByQuery))
		h.t.Fatalf("%s: %v\npage: %s", what, err, html)
	}
}

// shot saves a screenshot to $GATEPASS_E2E_SHOTS/name.png when that is set
// (to look at the UI; the tests do not compare pictures).
func (h *e2e) shot(name string) {
	dir := os.Getenv("GATEPASS_E2E_SHOTS")
	if dir == "" {
		return
	}
	var png []byte
	h.run("screenshot", chromedp.FullScreenshot(&png, 90))
	os.MkdirAll(dir, 0o755)
	os.WriteFile(filepath.Join(dir, name+".jpg"), png, 0o644)
}

func (h *e2e) text(sel string) string {
	h.t.Helper()
	var s string
	h.run("read "+sel, chromedp.Text(sel, &s, chromedp.ByQuery))
	return s
}

func (h *e2e) eval(js string, out any) {
	h.t.Helper()
	h.run("eval "+js, chromedp.Evaluate(js, out))
}

// clear empties an input the way a user's select-all + delete does (an input event).
func clear(sel string) chromedp.Action {
	return chromedp.Evaluate(fmt.Sprintf(`(() => { const e = document.querySelector(%q); e.value = ''; e.dispatchEvent(new Event('input', {bubbles: true})); })()`, sel), nil)
}

func rowSel(name, state string) string {
	return fmt.Sprintf(`li[data-network=%q][data-state=%q]`, name, state)
}

func (h *e2e) waitRow(state string) {
	h.t.Helper()
	h.run("the row turns "+state, chromedp.WaitVisible(rowSel(e2eNet, state), chromedp.ByQuery))
}

// signIn signs in through the sign-in screen.
func (h *e2e) signIn() {
	h.t.Helper()
	h.run("sign in",
		chromedp.WaitVisible(`[data-testid="signin"] [data-testid="signin-submit"]:not([disabled])`, chromedp.ByQuery),
		clear(`#server`),
		chromedp.SendKeys(`#server`, h.srv.URL, chromedp.ByQuery),
		clear(`#email`), chromedp.SendKeys(`#email`, e2eUser, chromedp.ByQuery),
		clear(`#password`), chromedp.SendKeys(`#password`, backendtest.UserPassword, chromedp.ByQuery),
		chromedp.Click(`[data-testid="signin-submit"]`, chromedp.ByQuery),
	)
	h.waitRow(string(api.StateRequest))
}

// requestInUI sends a request through the Request dialog.
func (h *e2e) requestInUI(reason string) {
	h.t.Helper()
	h.run("request", chromedp.Click(rowSel(e2eNet, "request")+` [data-testid="request"]`, chromedp.ByQuery),
		chromedp.WaitVisible(`[data-testid="request-dialog"] textarea`, chromedp.ByQuery),
		chromedp.SendKeys(`#reason`, reason, chromedp.ByQuery),
		chromedp.Evaluate(`(() => { const s = document.querySelector('#duration'); s.value = '3600'; s.dispatchEvent(new Event('change', {bubbles: true})); })()`, nil),
	)
	h.shot("request-dialog")
	h.run("send the request",
		chromedp.Click(`[data-testid="submit"]`, chromedp.ByQuery),
		chromedp.WaitNotPresent(`[data-testid="request-dialog"]`, chromedp.ByQuery),
	)
	h.waitRow(string(api.StatePending))
}

func (h *e2e) status() localapi.Status {
	h.t.Helper()
	st, err := h.lc.Status(h.t.Context())
	if err != nil {
		h.t.Fatal(err)
	}
	return st
}

func (h *e2e) requestID() string {
	h.t.Helper()
	n, _ := h.status().NetworkByName(e2eNet)
	if n.Request == nil {
		h.t.Fatalf("no request on %s", e2eNet)
	}
	return n.Request.ID
}

// advance moves the backend's, the agent's and the App's clocks together.
func (h *e2e) advance(d time.Duration) {
	h.clock.Advance(d)
	h.srv.Advance(d)
	h.appClock.Advance(d)
}

// get fetches the service behind the gateway through the agent's HTTP proxy.
func (h *e2e) get() (string, error) {
	_, hp := h.ns.Proxies()
	proxy, _ := url.Parse("http://" + hp)
	hc := &http.Client{Transport: &http.Transport{Proxy: http.ProxyURL(proxy), DisableKeepAlives: true}, Timeout: 5 * time.Second}
	resp, err := hc.Get(h.target)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("%s", resp.Status)
	}
	return string(b), nil
}

func (h *e2e) noMarkupInjected() {
	h.t.Helper()
	var imgs int
	h.eval(`document.querySelectorAll('img:not(.logo)').length`, &imgs)
	if imgs != 0 || *h.alerts != 0 {
		h.t.Fatalf("user text was rendered as HTML: %d <img>, %d alert dialogs", imgs, *h.alerts)
	}
}
