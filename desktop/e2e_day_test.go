package main

// The contractor's day in the real UI (headless Chromium, e2e_harness_test.go):
// "Connecting…" until the gateway answers, signing out with tunnels up,
// the header in view while the list scrolls.

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"gatepass.dev/backend/backendtest"
	"gatepass.dev/desktop/internal/localapi"
	"gatepass.dev/shared/api"
)

// TestE2EConnectingUntilTheGatewayAnswers: the tunnel is up on the device
// but the gateway never answers (its endpoint is a dead port): the row
// says "Connecting…", never "Connected".
func TestE2EConnectingUntilTheGatewayAnswers(t *testing.T) {
	h := newE2E(t)
	dead := "127.0.0.1:9" // UDP discard: nothing answers there
	nets, err := h.admin.Networks(t.Context())
	if err != nil || len(nets) != 1 {
		t.Fatalf("networks: %v %v", nets, err)
	}
	if _, err := h.admin.UpdateNetwork(t.Context(), nets[0].ID, api.NetworkInput{Endpoint: &dead}); err != nil {
		t.Fatal(err)
	}
	h.signIn()
	h.requestInUI("on call tonight")
	if _, err := h.admin.Approve(t.Context(), h.requestID(), 8*time.Hour); err != nil {
		t.Fatal(err)
	}
	h.waitRow("active")
	// Connect on approval: the tunnel comes up and waits for a handshake.
	backendtest.WaitFor(t, "the tunnel up, handshaking", func() bool {
		n, _ := h.status().NetworkByName(e2eNet)
		return n.TunnelState == localapi.TunnelHandshaking && n.Connected
	})
	h.run("the row follows", chromedp.WaitVisible(rowSel(e2eNet, "active")+` [data-testid="connection"][data-tunnel="handshaking"]`, chromedp.ByQuery))
	if got := h.text(`[data-testid="connection"]`); got != "Connecting…" {
		t.Errorf("a tunnel without a handshake reads %q, want Connecting…", got)
	}
	var busy bool
	h.eval(`document.querySelector('[role="switch"]').classList.contains('busy')`, &busy)
	if !busy {
		t.Error("the toggle does not show the connection in progress")
	}
	h.shot("connecting")
}

// TestE2ESignOutAsksWhenTunnelsAreUp: with a tunnel up, Sign out asks
// first; staying keeps everything, confirming signs out and closes it.
func TestE2ESignOutAsksWhenTunnelsAreUp(t *testing.T) {
	h := newE2E(t)
	h.signIn()
	h.requestInUI("on call tonight")
	if _, err := h.admin.Approve(t.Context(), h.requestID(), 8*time.Hour); err != nil {
		t.Fatal(err)
	}
	h.waitRow("active")
	h.run("connected", chromedp.Poll(`document.querySelector('[data-testid="connection"]').textContent.startsWith('Connected')`, nil, chromedp.WithPollingTimeout(15*time.Second)))
	h.run("sign out", chromedp.Click(`[data-testid="open-settings"]`, chromedp.ByQuery),
		chromedp.WaitVisible(`[data-testid="signout"]`, chromedp.ByQuery),
		chromedp.Click(`[data-testid="signout"]`, chromedp.ByQuery),
		chromedp.WaitVisible(`[data-testid="signout-confirm"]`, chromedp.ByQuery))
	h.shot("signout-confirm")
	if got := h.text(`[data-testid="signout-confirm"]`); !strings.Contains(got, "Your tunnel to "+e2eNet+" is up: signing out closes it. Sign out?") {
		t.Errorf("confirm %q", got)
	}
	if !h.status().SignedIn {
		t.Fatal("signed out before confirming")
	}
	h.run("stay", chromedp.Click(`[data-testid="signout-no"]`, chromedp.ByQuery),
		chromedp.WaitNotPresent(`[data-testid="signout-confirm"]`, chromedp.ByQuery))
	if st := h.status(); !st.SignedIn {
		t.Fatal("signed out after choosing to stay")
	}
	h.run("sign out for real", chromedp.Click(`[data-testid="signout"]`, chromedp.ByQuery),
		chromedp.Click(`[data-testid="signout-yes"]`, chromedp.ByQuery),
		chromedp.WaitVisible(`[data-testid="signin"]`, chromedp.ByQuery))
	st := h.status()
	if st.SignedIn || len(st.Networks) != 0 {
		t.Errorf("after signing out: %+v", st)
	}
	if body, err := h.get(); err == nil {
		t.Errorf("GET still works after signing out: %q", body)
	}
}

// TestE2EHeaderStaysInViewWhenScrolling: with more networks than the
// window holds, the header stays at the top while the list scrolls.
func TestE2EHeaderStaysInViewWhenScrolling(t *testing.T) {
	h := newE2E(t)
	for i := 0; i < 14; i++ {
		h.srv.NewNetwork(t, fmt.Sprintf("lab-%02d", i))
	}
	h.signIn()
	h.run("all rows", chromedp.WaitVisible(`li[data-network="lab-13"]`, chromedp.ByQuery),
		chromedp.EmulateViewport(defaultWidth, 420),
		chromedp.Evaluate(`window.scrollTo(0, document.documentElement.scrollHeight)`, nil))
	var got struct {
		ScrollY   float64 `json:"scrollY"`
		Top       float64 `json:"top"`
		HeaderHit bool    `json:"headerHit"`
		FirstTop  float64 `json:"firstTop"`
	}
	h.run("measure", chromedp.Poll(`window.scrollY > 0`, nil, chromedp.WithPollingTimeout(5*time.Second)),
		chromedp.Evaluate(`(() => {
			const head = document.querySelector('header.top');
			const r = head.getBoundingClientRect();
			const hit = document.elementFromPoint(r.left + 10, r.top + r.height / 2);
			return { scrollY: window.scrollY, top: r.top, headerHit: !!(hit && hit.closest('header.top')),
				firstTop: document.querySelector('li[data-network]').getBoundingClientRect().top };
		})()`, &got))
	h.shot("scrolled")
	if got.ScrollY <= 0 || got.FirstTop >= 0 {
		t.Fatalf("the list did not scroll: %+v", got)
	}
	if got.Top != 0 || !got.HeaderHit {
		t.Errorf("the header left the view or is covered when scrolled: %+v", got)
	}
	var title string
	h.eval(`document.querySelector('header.top h1').textContent`, &title)
	if title != "Gatepass" {
		t.Errorf("header title %q", title)
	}
}
