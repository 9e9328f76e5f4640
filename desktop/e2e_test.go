package main

// The window's scenarios in headless Chromium (the harness: e2e_harness_test.go).

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"gatepass.dev/backend/backendtest"
	"gatepass.dev/desktop/internal/localapi"
	"gatepass.dev/desktop/internal/notify"
	"gatepass.dev/shared/api"
)

// TestE2ERequestApproveConnectExpire: sign in → Request with a reason →
// the admin approves through the API → the row turns active with a
// countdown without a reload → connect → the clock passes expiry → back to
// Request, the tunnel down.
func TestE2ERequestApproveConnectExpire(t *testing.T) {
	h := newE2E(t)
	h.signIn()
	if got := h.text(rowSel(e2eNet, "request") + ` .description`); got != "The office LAN" {
		t.Errorf("description = %q", got)
	}

	// Connect by hand in this scenario: turn "connect on approval" off in the settings.
	h.run("settings: connect on approval off",
		chromedp.Click(`[data-testid="open-settings"]`, chromedp.ByQuery),
		chromedp.WaitVisible(`[data-testid="connect-on-approval"]:checked`, chromedp.ByQuery),
	)
	h.shot("settings")
	h.run("settings: untick",
		chromedp.Click(`[data-testid="connect-on-approval"]`, chromedp.ByQuery),
		chromedp.WaitVisible(`[data-testid="connect-on-approval"]:not(:checked):not([disabled])`, chromedp.ByQuery),
		chromedp.Click(`button[aria-label="Back to networks"]`, chromedp.ByQuery),
	)
	if h.status().Prefs.ConnectOnApproval {
		t.Fatal("connect on approval still on in the agent")
	}

	reason := "deploy the hotfix " + xss
	h.requestInUI(reason)
	if got := h.text(`[data-testid="reason"]`); got != reason {
		t.Errorf("pending row shows reason %q, want %q", got, reason)
	}
	if got := h.text(rowSel(e2eNet, "pending") + ` .pending-label`); got != "Access request pending" {
		t.Errorf("pending label %q", got)
	}
	if got := h.text(`[data-testid="pending-meta"]`); got != "Sent just now · asked for 1h" {
		t.Errorf("pending row: %q", got)
	}
	h.noMarkupInjected()

	// The admin approves for one hour through the API; no reload.
	var before string
	h.eval(`String(performance.timeOrigin)`, &before)
	if _, err := h.admin.Approve(t.Context(), h.requestID(), time.Hour); err != nil {
		t.Fatal(err)
	}
	h.waitRow("active")
	cd := h.text(rowSel(e2eNet, "active") + ` [data-testid="countdown"]`)
	if cd != "Access expires in 1h 0m" && cd != "Access expires in 59m" {
		t.Errorf("countdown %q", cd)
	}
	var after string
	h.eval(`String(performance.timeOrigin)`, &after)
	if before != after {
		t.Error("the page was reloaded")
	}

	// Connect with the toggle: the tunnel comes up and carries traffic.
	h.run("connect", chromedp.Click(rowSel(e2eNet, "active")+` [role="switch"][aria-checked="false"]`, chromedp.ByQuery),
		chromedp.WaitVisible(rowSel(e2eNet, "active")+` [role="switch"][aria-checked="true"]`, chromedp.ByQuery))
	h.run("connected", chromedp.Poll(`document.querySelector('[data-testid="connection"]').textContent.startsWith('Connected')`, nil, chromedp.WithPollingTimeout(15*time.Second)))
	if n, _ := h.status().NetworkByName(e2eNet); n.TunnelState != localapi.TunnelConnected || n.Tunnel == nil || n.Tunnel.LastHandshake == nil {
		t.Errorf("the window says Connected, the agent: %s, tunnel %+v", n.TunnelState, n.Tunnel)
	}
	if body, err := h.get(); err != nil || body != serviceBody {
		t.Fatalf("GET through the tunnel: %q %v", body, err)
	}
	// The details: address, proxies, handshake, bytes.
	h.run("details", chromedp.Click(`[data-testid="details-toggle"]`, chromedp.ByQuery), chromedp.WaitVisible(`[data-testid="details"]`, chromedp.ByQuery))
	_, hp := h.ns.Proxies()
	if got := h.text(`[data-testid="http-proxy"]`); got != hp {
		t.Errorf("details HTTP proxy %q, want %q", got, hp)
	}
	h.shot("active-details")
	h.run("bytes counted", chromedp.Poll(`!document.querySelector('[data-testid="details"]').textContent.includes('Received0 B')`, nil, chromedp.WithPollingTimeout(10*time.Second)))

	// Ten minutes before the end the countdown turns amber, in minutes
	// alone ("9m", never "9m 29s"); the last minute shows seconds.
	h.advance(50*time.Minute + 30*time.Second)
	h.run("refresh (the agent sends changes, not time)", chromedp.Click(`[data-testid="refresh"]`, chromedp.ByQuery))
	h.run("amber", chromedp.WaitVisible(rowSel(e2eNet, "active")+` [data-testid="countdown"].ending`, chromedp.ByQuery))
	if got := h.text(`[data-testid="countdown"]`); got != "Access expires in 9m" {
		t.Errorf("countdown ten minutes before the end: %q", got)
	}
	var color string
	h.eval(`getComputedStyle(document.querySelector('[data-testid="countdown"]')).color`, &color)
	if color != "rgb(138, 75, 6)" { // the palette's amber (shared/brand pending-fg, light)
		t.Errorf("countdown colour %q, want the amber rgb(138, 75, 6)", color)
	}
	h.shot("ending")
	h.advance(9*time.Minute + 1*time.Second)
	h.run("refresh", chromedp.Click(`[data-testid="refresh"]`, chromedp.ByQuery))
	h.run("seconds in the last minute", chromedp.Poll(`/^Access expires in [0-5]?[0-9]s$/.test(document.querySelector('[data-testid="countdown"]').textContent)`, nil, chromedp.WithPollingTimeout(10*time.Second)))

	// The clock passes expiry: the row goes back to Request by itself.
	h.advance(time.Minute)
	h.waitRow("request")
	h.run("request button", chromedp.WaitVisible(rowSel(e2eNet, "request")+` [data-testid="request"]`, chromedp.ByQuery))
	if got := h.text(`[data-testid="outcome"]`); got != "Your access expired." {
		t.Errorf("outcome %q", got)
	}
	// The details list the user's requests on the network; "Request
	// again" starts from the last reason (markup stays text).
	if got := h.text(rowSel(e2eNet, "request") + ` [data-testid="request"]`); got != "Request again" {
		t.Errorf("request button %q", got)
	}
	// (The details opened above stay open as the row changes state.)
	h.run("history", chromedp.WaitVisible(rowSel(e2eNet, "request")+` [data-testid="details-toggle"][aria-expanded="true"]`, chromedp.ByQuery),
		chromedp.WaitVisible(`[data-testid="history-item"]`, chromedp.ByQuery))
	if got := h.text(`[data-testid="history-item"][data-status="expired"]`); !strings.HasPrefix(got, "Expired 1h ago · 1h") || !strings.HasSuffix(got, reason) {
		t.Errorf("history item %q", got)
	}
	h.shot("history")
	h.run("request again", chromedp.Click(rowSel(e2eNet, "request")+` [data-testid="request"]`, chromedp.ByQuery),
		chromedp.WaitVisible(`[data-testid="request-dialog"] textarea`, chromedp.ByQuery))
	var prefilled string
	h.run("read the reason", chromedp.Value(`#reason`, &prefilled, chromedp.ByQuery))
	if prefilled != reason {
		t.Errorf("Request again: reason %q, want the last one %q", prefilled, reason)
	}
	h.noMarkupInjected()
	h.run("close the dialog", chromedp.KeyEvent("\x1b"), chromedp.WaitNotPresent(`[data-testid="request-dialog"]`, chromedp.ByQuery))
	if n, _ := h.status().NetworkByName(e2eNet); n.Connected {
		t.Error("tunnel still up after expiry")
	}
	if body, err := h.get(); err == nil {
		t.Errorf("GET still works after expiry: %q", body)
	}
}

// TestE2EDeniedWithNote: a denied request shows the admin's note (as text)
// and the Request button again.
func TestE2EDeniedWithNote(t *testing.T) {
	h := newE2E(t)
	h.signIn()
	h.requestInUI("need the printer")
	note := "not this week " + xss
	if _, err := h.admin.Deny(t.Context(), h.requestID(), note); err != nil {
		t.Fatal(err)
	}
	h.waitRow("request")
	if got := h.text(`[data-testid="note"]`); got != note {
		t.Errorf("note %q, want %q", got, note)
	}
	if got := h.text(`[data-testid="outcome"]`); !strings.HasPrefix(got, "Request denied.") {
		t.Errorf("outcome %q", got)
	}
	h.shot("denied")
	h.run("request again", chromedp.WaitVisible(rowSel(e2eNet, "request")+` [data-testid="request"]:not([disabled])`, chromedp.ByQuery))
	h.noMarkupInjected()
}

// TestE2ERevokedWhileConnected: an admin revokes a grant while the tunnel
// is up: the row goes back to Request and the tunnel down.
func TestE2ERevokedWhileConnected(t *testing.T) {
	h := newE2E(t)
	h.signIn()
	h.requestInUI("on call tonight")
	if _, err := h.admin.Approve(t.Context(), h.requestID(), 8*time.Hour); err != nil {
		t.Fatal(err)
	}
	// Connect on approval (the default) brings the tunnel up by itself.
	h.waitRow("active")
	h.run("connected", chromedp.Poll(`document.querySelector('[data-testid="connection"]').textContent.startsWith('Connected')`, nil, chromedp.WithPollingTimeout(15*time.Second)))
	if body, err := h.get(); err != nil || body != serviceBody {
		t.Fatalf("GET through the tunnel: %q %v", body, err)
	}
	if _, err := h.admin.Revoke(t.Context(), h.requestID(), "incident closed"); err != nil {
		t.Fatal(err)
	}
	h.waitRow("request")
	if got := h.text(`[data-testid="outcome"]`); !strings.Contains(got, "Access revoked by an admin.") || !strings.Contains(got, "incident closed") {
		t.Errorf("outcome %q", got)
	}
	if n, _ := h.status().NetworkByName(e2eNet); n.Connected {
		t.Error("tunnel still up after revocation")
	}
}

// TestE2EBackendUnreachable: the backend stops: the window says so clearly.
func TestE2EBackendUnreachable(t *testing.T) {
	h := newE2E(t)
	h.signIn()
	h.srv.Stop()
	h.run("unreachable banner", chromedp.WaitVisible(`[data-testid="unreachable"]`, chromedp.ByQuery))
	h.shot("unreachable")
	if got := h.text(`[data-testid="unreachable"]`); !strings.Contains(got, "Can't reach the Gatepass server") {
		t.Errorf("banner %q", got)
	}
	// The list stays, with its last known state.
	h.waitRow("request")
}

// TestE2ESignInErrors: wrong password, server unreachable, bad certificate.
func TestE2ESignInErrors(t *testing.T) {
	h := newE2E(t)
	tlsSrv := httptest.NewTLSServer(http.NotFoundHandler()) // a self-signed certificate
	t.Cleanup(tlsSrv.Close)
	closed, _ := net.Listen("tcp", "127.0.0.1:0")
	deadURL := "http://" + closed.Addr().String()
	closed.Close()
	cases := []struct{ server, password, want string }{
		{h.srv.URL, "wrong-password", "Wrong email or password."},
		{deadURL, "x", "Can't reach the Gatepass server at " + deadURL},
		{tlsSrv.URL, "x", "is not trusted"},
	}
	h.run("sign-in screen", chromedp.WaitVisible(`[data-testid="signin-submit"]:not([disabled])`, chromedp.ByQuery))
	for _, c := range cases {
		h.run("sign in to "+c.server,
			clear(`#server`), chromedp.SendKeys(`#server`, c.server, chromedp.ByQuery),
			clear(`#email`), chromedp.SendKeys(`#email`, e2eUser, chromedp.ByQuery),
			chromedp.SendKeys(`#password`, c.password, chromedp.ByQuery),
			chromedp.Click(`[data-testid="signin-submit"]`, chromedp.ByQuery),
			chromedp.WaitVisible(`[data-testid="signin-error"]`, chromedp.ByQuery),
			chromedp.WaitVisible(`[data-testid="signin-submit"]:not([disabled])`, chromedp.ByQuery),
		)
		h.shot("signin-error-" + strings.Fields(c.want)[0])
		if got := h.text(`[data-testid="signin-error"]`); !strings.Contains(got, c.want) {
			t.Errorf("sign in to %s: error %q, want it to contain %q", c.server, got, c.want)
		}
	}
	h.signIn() // and the right password works
}

// recNotifier records notifications.
type recNotifier struct {
	mu    sync.Mutex
	notes []notify.Notification
}

func (r *recNotifier) Notify(_ context.Context, n notify.Notification) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.notes = append(r.notes, n)
	return nil
}

func (r *recNotifier) wait(t *testing.T, kind notify.Kind) notify.Notification {
	t.Helper()
	var found *notify.Notification
	backendtest.WaitFor(t, "a "+string(kind)+" notification", func() bool {
		r.mu.Lock()
		defer r.mu.Unlock()
		for i := range r.notes {
			if r.notes[i].Kind == kind {
				found = &r.notes[i]
				return true
			}
		}
		return false
	})
	return *found
}

// TestAppNotifications: the App, following a real agent, notifies an
// approval, a denial (with the note), a revocation and an expiry.
func TestAppNotifications(t *testing.T) {
	rec := &recNotifier{}
	h := newStack(t, rec)
	ctx := t.Context()
	if _, err := h.app.Login(h.srv.URL, e2eUser, backendtest.UserPassword); err != nil {
		t.Fatal(err)
	}
	request := func() string {
		t.Helper()
		st, err := h.app.Request(e2eNet, "fix the build", 0, "")
		if err != nil {
			t.Fatal(err)
		}
		n, _ := st.Status.NetworkByName(e2eNet)
		if n.State != api.StatePending {
			t.Fatalf("after Request: %s", n.State)
		}
		// The App's own state follows the watch: wait until it has seen pending.
		backendtest.WaitFor(t, "pending in the App", func() bool {
			s := h.app.State().Status
			if s == nil {
				return false
			}
			n, _ := s.NetworkByName(e2eNet)
			return n.State == api.StatePending
		})
		return n.Request.ID
	}

	id := request()
	if _, err := h.admin.Deny(ctx, id, "not this week"); err != nil {
		t.Fatal(err)
	}
	if n := rec.wait(t, notify.Denied); n.Title != "Access to office-network denied" || n.Body != "Note from the admin: not this week" {
		t.Errorf("denied: %+v", n)
	}

	id = request()
	if _, err := h.admin.Approve(ctx, id, 2*time.Hour); err != nil {
		t.Fatal(err)
	}
	if n := rec.wait(t, notify.Approved); n.Title != "Access to office-network approved" || !strings.Contains(n.Body, "Access expires in 2h 0m") && !strings.Contains(n.Body, "Access expires in 1h 59m") {
		t.Errorf("approved: %+v", n)
	}
	if _, err := h.admin.Revoke(ctx, id, "done"); err != nil {
		t.Fatal(err)
	}
	if n := rec.wait(t, notify.Ended); n.Body != "An admin revoked your access. Note: done" && !strings.HasPrefix(n.Body, "An admin revoked your access. Note: done") {
		t.Errorf("ended: %+v", n)
	}

	// An expiry: approve again, pass the end on both clocks.
	rec.mu.Lock()
	rec.notes = nil
	rec.mu.Unlock()
	id = request()
	if _, err := h.admin.Approve(ctx, id, time.Hour); err != nil {
		t.Fatal(err)
	}
	rec.wait(t, notify.Approved)
	// Ten minutes before the end, on the App's own timer (no status
	// changes then): "ends in 9m".
	h.advance(50*time.Minute + time.Second)
	if n := rec.wait(t, notify.Ending); n.Title != "Access to office-network ends in 9m" {
		t.Errorf("ending: %+v", n)
	}
	h.advance(10 * time.Minute)
	if n := rec.wait(t, notify.Ended); !strings.HasPrefix(n.Body, "Your access expired.") {
		t.Errorf("expired: %+v", n)
	}
	// A released grant is the user's own doing: no notification.
	rec.mu.Lock()
	rec.notes = nil
	rec.mu.Unlock()
	id = request()
	if _, err := h.admin.Approve(ctx, id, time.Hour); err != nil {
		t.Fatal(err)
	}
	rec.wait(t, notify.Approved)
	if _, err := h.app.Release(e2eNet); err != nil {
		t.Fatal(err)
	}
	backendtest.WaitFor(t, "request state after release", func() bool {
		n, _ := h.app.State().Status.NetworkByName(e2eNet)
		return n.State == api.StateRequest
	})
	rec.mu.Lock()
	defer rec.mu.Unlock()
	for _, n := range rec.notes {
		if n.Kind == notify.Ended {
			t.Errorf("a release notified: %+v", n)
		}
	}
}
