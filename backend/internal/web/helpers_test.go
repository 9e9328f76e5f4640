package web_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	stdlog "log"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"gatepass.dev/backend/backendtest"
	"gatepass.dev/backend/internal/config"
	"gatepass.dev/shared/api"
	"gatepass.dev/shared/client"
)

// demoServer starts a test server (fake clock, real SQLite, SMTP catcher)
// loaded with the demo data of the product description.
func demoServer(t testing.TB, opts ...backendtest.Option) *backendtest.Server {
	t.Helper()
	opts = append([]backendtest.Option{backendtest.WithConfig(func(c *config.Config) { c.Demo = true })}, opts...)
	return backendtest.NewServer(t, opts...)
}

// contractor signs in the demo contractor through the API.
func contractor(t testing.TB, srv *backendtest.Server) *client.Client {
	t.Helper()
	email, pw := demoCredential(t, srv, "contractor", "")
	return srv.Login(t, email, pw)
}

// Demo approvers: Dana approves production-db by name, Erik through the
// group db-admins.
const (
	dana = "lead@example.com"
	erik = "dba@example.com"
)

// demoCredential reads an account of the demo's credentials file: the
// first of role (contractor, approver …), or the one with email.
func demoCredential(t testing.TB, srv *backendtest.Server, role, email string) (string, string) {
	t.Helper()
	f, err := os.Open(filepath.Join(srv.Dir, "demo-credentials.txt"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if rest, ok := strings.CutPrefix(line, role+":"); ok {
			e, pw, _ := strings.Cut(strings.TrimSpace(rest), " / ")
			if email == "" || e == email {
				return e, pw
			}
		}
	}
	t.Fatalf("no %s %s in the demo credentials", role, email)
	return "", ""
}

// demoApprover signs in a demo approver (dana, erik) on the web page.
func demoApprover(t testing.TB, srv *backendtest.Server, email string) *webClient {
	t.Helper()
	_, pw := demoCredential(t, srv, "approver", email)
	c := newWebClient(t, srv)
	c.signIn(email, pw)
	return c
}

// networkByName finds a network through the admin API.
func networkByName(t testing.TB, srv *backendtest.Server, name string) api.Network {
	t.Helper()
	nets, err := srv.Admin(t).Networks(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range nets {
		if n.Name == name {
			return n
		}
	}
	t.Fatalf("no network %s", name)
	return api.Network{}
}

// ---- a browser-less session: net/http with a cookie jar -----------------

// webClient is a signed-in browser session without a browser.
type webClient struct {
	t    testing.TB
	srv  *backendtest.Server
	hc   *http.Client
	csrf string
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// newWebClient returns a session that does not follow redirects.
func newWebClient(t testing.TB, srv *backendtest.Server) *webClient {
	jar, _ := cookiejar.New(nil)
	hc := &http.Client{Jar: jar, Timeout: 30 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	return &webClient{t: t, srv: srv, hc: hc}
}

type page_ struct {
	Status int
	Header http.Header
	Body   string
}

func (c *webClient) do(method, path string, form url.Values, header map[string]string) page_ {
	c.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, c.srv.URL+path, body)
	if err != nil {
		c.t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	p := page_{Status: resp.StatusCode, Header: resp.Header, Body: string(b)}
	if m := csrfField.FindStringSubmatch(p.Body); m != nil {
		c.csrf = m[1]
	}
	return p
}

func (c *webClient) get(path string) page_ { c.t.Helper(); return c.do("GET", path, nil, nil) }

// post sends a form the way a browser on this site does: same origin, with
// the page's CSRF token.
func (c *webClient) post(path string, form url.Values) page_ {
	c.t.Helper()
	if form == nil {
		form = url.Values{}
	}
	if form.Get("csrf") == "" {
		form.Set("csrf", c.csrf)
	}
	return c.do("POST", path, form, map[string]string{"Origin": c.srv.URL, "Sec-Fetch-Site": "same-origin"})
}

// signIn signs in through the form and fails the test unless it worked.
func (c *webClient) signIn(email, password string) {
	c.t.Helper()
	c.get("/admin/login")
	token := c.csrf
	if ck := c.cookie("gatepass_form"); ck != nil { // signed in already: the form's token is its cookie
		token = ck.Value
	}
	p := c.post("/admin/login", url.Values{"csrf": {token}, "email": {email}, "password": {password}, "next": {"/admin/requests"}})
	if p.Status != http.StatusSeeOther {
		c.t.Fatalf("sign in as %s: status %d\n%s", email, p.Status, p.Body)
	}
	c.get("/admin/requests") // picks up the session's CSRF token
}

func (c *webClient) cookie(name string) *http.Cookie {
	u, _ := url.Parse(c.srv.URL)
	for _, ck := range c.hc.Jar.Cookies(u) {
		if ck.Name == name {
			return ck
		}
	}
	return nil
}

// ---- the browser ---------------------------------------------------------

// chromiumPath finds Chromium, or skips the test.
func chromiumPath(t testing.TB) string {
	t.Helper()
	if p := os.Getenv("GATEPASS_CHROMIUM"); p != "" {
		return p
	}
	for _, p := range []string{"/usr/bin/chromium", "/usr/bin/chromium-browser"} {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	if p, err := exec.LookPath("chromium"); err == nil {
		return p
	}
	t.Skip("browser test skipped: Chromium not found (Debian: apt-get install -y chromium; CI installs it, or set GATEPASS_CHROMIUM)")
	return ""
}

// browser is a headless Chromium tab driven by chromedp. It records what a
// page must never do: open a JavaScript dialog (an injected alert), throw,
// or break the Content-Security-Policy.
type browser struct {
	t   testing.TB
	srv *backendtest.Server
	ctx context.Context

	mu       sync.Mutex
	dialogs  []string
	problems []string
}

func newBrowser(t testing.TB, srv *backendtest.Server) *browser {
	t.Helper()
	path := chromiumPath(t)
	// The profile is removed after the browser has exited (t.TempDir's
	// cleanup can run while Chromium still writes to it).
	profile, err := os.MkdirTemp("", "gatepass-chromium-")
	if err != nil {
		t.Fatal(err)
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("no-default-browser-check", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("disable-features", "Translate,MediaRouter,OptimizationHints"),
		chromedp.UserDataDir(profile),
		chromedp.WindowSize(1280, 900),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(actx, chromedp.WithErrorf(func(format string, args ...any) {
		if msg := fmt.Sprintf(format, args...); !strings.Contains(msg, "unhandled") {
			stdlog.Print("chromedp: " + msg)
		}
	}))
	ctx, cancelTimeout := context.WithTimeout(ctx, 3*time.Minute)
	t.Cleanup(func() {
		_ = chromedp.Cancel(ctx) // closes the browser and waits for it
		cancelTimeout()
		cancelCtx()
		cancelAlloc()
		for range 5 {
			if os.RemoveAll(profile) == nil {
				break
			}
			time.Sleep(50 * time.Millisecond) // Chromium's helpers may still be exiting
		}
	})
	b := &browser{t: t, srv: srv, ctx: ctx}
	chromedp.ListenTarget(ctx, func(ev any) {
		switch e := ev.(type) {
		case *page.EventJavascriptDialogOpening:
			b.mu.Lock()
			b.dialogs = append(b.dialogs, string(e.Type)+": "+e.Message)
			b.mu.Unlock()
			go func() { _ = chromedp.Run(ctx, page.HandleJavaScriptDialog(false)) }()
		case *runtime.EventExceptionThrown:
			b.problem("exception: " + e.ExceptionDetails.Error())
		case *log.EventEntryAdded:
			if e.Entry.Source == log.SourceSecurity || strings.Contains(e.Entry.Text, "Content Security Policy") {
				b.problem("security: " + e.Entry.Text)
			}
		}
	})
	if err := chromedp.Run(ctx); err != nil { // start the browser
		t.Fatalf("start Chromium: %v", err)
	}
	return b
}

func (b *browser) problem(s string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.problems = append(b.problems, s)
}

// clean fails the test if a JavaScript dialog opened or the page threw or
// broke the CSP.
func (b *browser) clean() {
	b.t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.dialogs) > 0 {
		b.t.Errorf("JavaScript dialogs opened (injected script ran?): %q", b.dialogs)
	}
	if len(b.problems) > 0 {
		b.t.Errorf("page problems: %q", b.problems)
	}
}

// run runs actions and fails the test with the page's state on error.
func (b *browser) run(actions ...chromedp.Action) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	if err := chromedp.Run(ctx, actions...); err != nil {
		var loc, text string
		_ = chromedp.Run(b.ctx, chromedp.Location(&loc), chromedp.Evaluate(`document.body ? document.body.innerText.slice(0, 1500) : ""`, &text))
		b.t.Fatalf("browser: %v\nat %s\n%s", err, loc, text)
	}
}

// open navigates to a path of the server.
func (b *browser) open(path string) {
	b.t.Helper()
	b.run(chromedp.Navigate(b.srv.URL + path))
}

// signIn signs in through the sign-in page the browser is on.
func (b *browser) signIn(email, password string) {
	b.t.Helper()
	b.run(
		chromedp.WaitVisible(`#email`, chromedp.ByQuery),
		chromedp.SendKeys(`#email`, email, chromedp.ByQuery),
		chromedp.SendKeys(`#password`, password, chromedp.ByQuery),
		chromedp.Click(`form[action="/admin/login"] button[type=submit]`, chromedp.ByQuery),
		chromedp.WaitNotPresent(`#password`, chromedp.ByQuery),
	)
}

// location is the current path and query.
func (b *browser) location() string {
	b.t.Helper()
	var loc string
	b.run(chromedp.Location(&loc))
	return strings.TrimPrefix(loc, b.srv.URL)
}

// eval evaluates JavaScript into out.
func (b *browser) eval(js string, out any) {
	b.t.Helper()
	b.run(chromedp.Evaluate(js, out))
}

// text is the visible text of the first element matching sel.
func (b *browser) text(sel string) string {
	b.t.Helper()
	var s string
	b.run(chromedp.Text(sel, &s, chromedp.ByQuery, chromedp.NodeReady))
	return strings.TrimSpace(s)
}

// waitFor polls a JavaScript predicate until it is true (10 s at most).
// A navigation ends a poll in the page; it is then polled again in the new
// page.
func (b *browser) waitFor(what, predicate string) {
	b.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	var err error
	for time.Now().Before(deadline) {
		ctx, cancel := context.WithDeadline(b.ctx, deadline)
		err = chromedp.Run(ctx, chromedp.Poll(predicate, nil, chromedp.WithPollingInterval(20*time.Millisecond), chromedp.WithPollingTimeout(time.Until(deadline))))
		cancel()
		if err == nil {
			return
		}
		if !strings.Contains(err.Error(), "navigated") && !strings.Contains(err.Error(), "context with specified id") {
			break
		}
	}
	var text string
	_ = chromedp.Run(b.ctx, chromedp.Evaluate(`document.body ? document.body.innerText.slice(0, 2000) : ""`, &text))
	b.t.Fatalf("waiting for %s: %v\n%s", what, err, text)
}

// waitText waits until the element sel contains want.
func (b *browser) waitText(sel, want string) {
	b.t.Helper()
	b.waitFor(fmt.Sprintf("%q in %s", want, sel),
		fmt.Sprintf(`(() => { const e = document.querySelector(%q); return !!e && e.textContent.includes(%q); })()`, sel, want))
}

// signedInBrowser opens a browser signed in as the first admin on the
// requests page.
func signedInBrowser(t testing.TB, srv *backendtest.Server) *browser {
	t.Helper()
	b := newBrowser(t, srv)
	b.open("/admin/requests")
	b.signIn(backendtest.AdminEmail, backendtest.AdminPassword)
	b.run(chromedp.WaitVisible(`#requests-live`, chromedp.ByQuery))
	return b
}
