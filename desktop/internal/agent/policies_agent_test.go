package agent_test

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"gatepass.dev/backend/backendtest"
	"gatepass.dev/desktop/internal/localapi"
	"gatepass.dev/shared/api"
	"gatepass.dev/shared/client"
)

func ptr[T any](v T) *T { return &v }

// stream is one TCP connection to the service behind the gateway, through
// the agent's HTTP CONNECT proxy and the tunnel, on which HTTP requests
// are sent one after another (keep-alive): it lives exactly as long as
// the tunnel it runs in.
type stream struct {
	c net.Conn
	r *bufio.Reader
}

func (h *harness) openStream() *stream {
	h.t.Helper()
	_, httpProxy := h.ns.Proxies()
	c, err := net.DialTimeout("tcp", httpProxy, 5*time.Second)
	if err != nil {
		h.t.Fatal(err)
	}
	h.t.Cleanup(func() { c.Close() })
	target := strings.TrimSuffix(strings.TrimPrefix(h.target, "http://"), "/")
	fmt.Fprintf(c, "CONNECT %s HTTP/1.1\r\nHost: %s\r\n\r\n", target, target)
	r := bufio.NewReader(c)
	resp, err := http.ReadResponse(r, &http.Request{Method: http.MethodConnect})
	if err != nil || resp.StatusCode != http.StatusOK {
		h.t.Fatalf("CONNECT through the agent's proxy: %v %v", resp, err)
	}
	return &stream{c: c, r: r}
}

// get sends one request on the stream and reads its answer.
func (s *stream) get() (string, error) {
	s.c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.WriteString(s.c, "GET / HTTP/1.1\r\nHost: service\r\n\r\n"); err != nil {
		return "", err
	}
	resp, err := http.ReadResponse(s.r, nil)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return string(b), err
}

// An extension never drops the tunnel: with one TCP connection carrying
// requests without a pause through the tunnel, the user asks for 2h more
// (the row shows the pending extension), an approver grants it, expires_at
// moves, and the old end passes — the same tunnel, brought up once and
// never closed, every request answered on the same connection. At the new
// end it goes.
func TestExtensionKeepsTheTunnel(t *testing.T) {
	h := newHarness(t, hopt{netOpts: []backendtest.NetworkOption{func(in *api.NetworkInput) {
		in.MaxDurationSeconds = ptr(int64(8 * 3600))
	}}})
	ctx := t.Context()
	grant := h.requestAndApprove(time.Hour)
	waitStatus(t, h.a, "connected", tunnelStateIs(netName, localapi.TunnelConnected))
	st := h.a.Status()
	if n := netOf(st, netName); n.MaxExtensionSeconds != 7*3600 || n.Extension != nil {
		t.Fatalf("before: room %d, extension %+v", n.MaxExtensionSeconds, n.Extension)
	}

	// Every tunnel state the watchers see from now on, and the traffic.
	var mu sync.Mutex
	var states []localapi.TunnelState
	updates, stopWatch := h.a.Subscribe()
	go func() {
		for st := range updates {
			mu.Lock()
			states = append(states, netOf(st, netName).TunnelState)
			mu.Unlock()
		}
	}()
	s := h.openStream()
	stopTraffic := make(chan struct{})
	trafficDone := make(chan error, 1)
	var answered int
	go func() {
		for {
			select {
			case <-stopTraffic:
				trafficDone <- nil
				return
			default:
			}
			body, err := s.get()
			if err != nil || body != serviceBody {
				trafficDone <- fmt.Errorf("request %d on the connection: %q %v", answered+1, body, err)
				return
			}
			mu.Lock()
			answered++
			mu.Unlock()
		}
	}()
	waitAnswered := func(what string) {
		t.Helper()
		mu.Lock()
		from := answered
		mu.Unlock()
		backendtest.WaitFor(t, "traffic "+what, func() bool {
			mu.Lock()
			defer mu.Unlock()
			return answered > from+3
		})
	}
	waitAnswered("before the extension")

	// Bad asks are refused in words; nothing is sent.
	_, err := h.lc.Extend(ctx, netName, "  ", time.Hour)
	backendtest.WantStatus(t, "no reason", err, 400, "reason")
	_, err = h.lc.Extend(ctx, netName, "more", 0)
	backendtest.WantStatus(t, "no duration", err, 400, "duration_seconds")
	_, err = h.lc.Extend(ctx, netName, "more", 8*time.Hour)
	backendtest.WantStatus(t, "past the network's maximum", err, 400, "at most 7h more")

	st, err = h.lc.Extend(ctx, netName, "the migration runs long", 2*time.Hour)
	if err != nil {
		t.Fatalf("extend: %v", err)
	}
	n := netOf(st, netName)
	if n.State != api.StateActive || n.Extension == nil || n.Extension.Status != api.StatusPending ||
		n.Extension.Kind != api.KindExtension || n.Extension.DurationSeconds != 2*3600 || n.Extension.GrantID != grant.ID {
		t.Fatalf("the status after asking: %+v extension %+v", n, n.Extension)
	}
	_, err = h.lc.Extend(ctx, netName, "and more", time.Hour)
	backendtest.WantStatus(t, "a second pending extension", err, 409, "already pending", "+2h")
	waitAnswered("while the extension is pending")

	if _, err := h.admin.Approve(ctx, n.Extension.ID, 0); err != nil {
		t.Fatal(err)
	}
	newEnd := grant.ExpiresAt.Add(2 * time.Hour)
	st = waitStatus(t, h.a, "expires_at moved", func(st localapi.Status) bool {
		n := netOf(st, netName)
		return n.ExpiresAt != nil && n.ExpiresAt.Equal(newEnd)
	})
	if n := netOf(st, netName); n.Extension == nil || n.Extension.Status != api.StatusApproved || n.MaxExtensionSeconds != 5*3600 {
		t.Fatalf("after the extension: %+v extension %+v", n, n.Extension)
	}
	waitAnswered("after the extension")

	// The old end passes on both clocks: nothing happens to the tunnel.
	h.advance(time.Hour + time.Minute)
	backendtest.WaitFor(t, "the agent's timer re-armed at the new end", func() bool { return h.clock.Now().Equal(h.srv.Now()) })
	if n := netOf(h.a.Status(), netName); n.State != api.StateActive || n.TunnelState != localapi.TunnelConnected {
		t.Fatalf("past the old end: %+v", n)
	}
	waitAnswered("past the old end")
	close(stopTraffic)
	if err := <-trafficDone; err != nil {
		t.Fatalf("the traffic was interrupted: %v", err)
	}
	if ups, closes := len(h.tb.Ups()), h.tb.Closes(); ups != 1 || closes != 0 {
		t.Fatalf("the tunnel was brought up %d times and closed %d times, want once and never", ups, closes)
	}
	stopWatch()
	mu.Lock()
	for i, s := range states {
		if s != localapi.TunnelConnected {
			t.Errorf("the watchers saw the tunnel %s (status %d of %d): it must stay connected", s, i+1, len(states))
		}
	}
	mu.Unlock()

	// At the new end it goes.
	h.advance(newEnd.Sub(h.srv.Now()))
	h.waitTunnel(netName, false)
	waitStatus(t, h.a, "request", stateIs(netName, api.StateRequest))
	if body, err := s.get(); err == nil {
		t.Fatalf("the connection still works after the new end: %q", body)
	}
}

// Extending what is not an active grant is refused with the network's
// name, before the backend is asked.
func TestExtendNeedsAnActiveGrant(t *testing.T) {
	h := newHarness(t, hopt{netOpts: []backendtest.NetworkOption{func(in *api.NetworkInput) {
		in.MaxDurationSeconds = ptr(int64(3600))
	}}})
	_, err := h.lc.Extend(t.Context(), netName, "more", time.Hour)
	backendtest.WantStatus(t, "no grant", err, 409, netName+" has no active grant to extend")
	st, err := h.lc.Request(t.Context(), netName, "fix the build server", 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.admin.Approve(t.Context(), netOf(st, netName).Request.ID, time.Hour); err != nil { // the network's maximum: no room
		t.Fatal(err)
	}
	waitStatus(t, h.a, "active", stateIs(netName, api.StateActive))
	_, err = h.lc.Extend(t.Context(), netName, "more", time.Minute)
	backendtest.WantStatus(t, "no room", err, 409, "cannot be extended", "the network's maximum")
}

// Scheduled access: a request for a window that starts in 2h 10m, approved
// in advance, is "scheduled" with its start; no tunnel before the start
// (a second before it, on the server's clock, although the agent's own
// clock is 3 minutes ahead); at the start the tunnel comes up (connect on
// approval) and the service answers; at the end it goes.
func TestScheduledAccessUpAtStartDownAtEnd(t *testing.T) {
	h := newHarness(t, hopt{skew: 3 * time.Minute})
	ctx := t.Context()
	start := h.srv.Now().Add(2*time.Hour + 10*time.Minute)
	_, err := h.lc.RequestWith(ctx, netName, localapi.AccessRequest{Reason: "the night's maintenance", DurationSeconds: 3600, StartsAt: ptr(h.srv.Now().Add(-time.Minute))})
	backendtest.WantStatus(t, "a start in the past", err, 400, "starts_at", "not in the future")
	st, err := h.lc.RequestWith(ctx, netName, localapi.AccessRequest{Reason: "the night's maintenance", DurationSeconds: 3600, StartsAt: &start})
	if err != nil {
		t.Fatal(err)
	}
	n := netOf(st, netName)
	if n.State != api.StatePending || n.StartsAt == nil || !n.StartsAt.Equal(start) || n.Request == nil || !n.Request.StartsAt.Equal(start) {
		t.Fatalf("the pending request for later: %+v", n)
	}
	if _, err := h.admin.Approve(ctx, n.Request.ID, time.Hour); err != nil {
		t.Fatal(err)
	}
	st = waitStatus(t, h.a, "scheduled", stateIs(netName, api.StateScheduled))
	if n := netOf(st, netName); !n.StartsAt.Equal(start) || n.ExpiresAt != nil || n.WantConnected || n.TunnelState != localapi.TunnelOff {
		t.Fatalf("scheduled: %+v", n)
	}
	if _, err := h.lc.Connect(ctx, netName); client.StatusOf(err) != 409 || !strings.Contains(err.Error(), "starts at") {
		t.Errorf("connect before the start: %v", err)
	}

	h.advance(start.Sub(h.srv.Now()) - time.Second)
	if n := netOf(h.a.Status(), netName); n.State != api.StateScheduled || n.TunnelState != localapi.TunnelOff {
		t.Fatalf("a second before the start: %+v", n)
	}
	if len(h.tb.Ups()) != 0 {
		t.Fatal("a tunnel came up before the start")
	}
	h.mustNotGet()

	h.advance(time.Second)
	h.waitTunnel(netName, true)
	st = waitStatus(t, h.a, "connected at the start", tunnelStateIs(netName, localapi.TunnelConnected))
	if n := netOf(st, netName); n.State != api.StateActive || !n.ExpiresAt.Equal(start.Add(time.Hour)) || n.StartsAt != nil {
		t.Fatalf("at the start: %+v", n)
	}
	h.mustGet()

	h.advance(time.Hour)
	h.waitTunnel(netName, false)
	waitStatus(t, h.a, "request after the end", stateIs(netName, api.StateRequest))
	h.mustNotGet()
}

// The start is the agent's own: with the backend gone a second before it,
// the network turns active at the start on the agent's timer (server
// clock), as an expiry does.
func TestScheduledStartOnTheAgentsTimer(t *testing.T) {
	h := newHarness(t, hopt{skew: -5 * time.Minute})
	ctx := t.Context()
	start := h.srv.Now().Add(time.Hour)
	st, err := h.lc.RequestWith(ctx, netName, localapi.AccessRequest{Reason: "later", StartsAt: &start})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.admin.Approve(ctx, netOf(st, netName).Request.ID, time.Hour); err != nil {
		t.Fatal(err)
	}
	waitStatus(t, h.a, "scheduled", stateIs(netName, api.StateScheduled))
	h.advance(time.Hour - time.Second)
	h.srv.Stop()
	waitStatus(t, h.a, "backend unreachable", func(st localapi.Status) bool { return !st.BackendReachable })
	if n := netOf(h.a.Status(), netName); n.State != api.StateScheduled {
		t.Fatalf("a second before the start, backend down: %+v", n)
	}
	h.clock.Advance(time.Second)
	st = waitStatus(t, h.a, "active at the start, the toggle on (connect on approval)", func(st localapi.Status) bool {
		n := netOf(st, netName)
		return n.State == api.StateActive && n.WantConnected
	})
	if n := netOf(st, netName); !n.ExpiresAt.Equal(start.Add(time.Hour)) {
		t.Fatalf("at the start: %+v", n)
	}
}

// Multi-party approval: while one of two approvers has approved, the
// status says pending, 1 of 2, and who; the second approval makes it
// active.
func TestOneOfTwoApprovals(t *testing.T) {
	var approvers []string
	h := newHarness(t, hopt{noLogin: true})
	dana, danaU := h.srv.NewUser(t, "dana@example.com", api.RoleUser)
	erik, erikU := h.srv.NewUser(t, "erik@example.com", api.RoleUser)
	approvers = []string{danaU.ID, erikU.ID}
	if _, err := h.admin.UpdateNetwork(t.Context(), h.net.ID, api.NetworkInput{ApproverIDs: &approvers, RequiredApprovals: ptr(2)}); err != nil {
		t.Fatal(err)
	}
	h.login()
	ctx := t.Context()
	st, err := h.lc.Request(ctx, netName, "migration", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	n := netOf(st, netName)
	if n.State != api.StatePending || n.RequiredApprovals != 2 || n.Request.RequiredApprovals != 2 || len(n.Request.Approvals) != 0 {
		t.Fatalf("pending, none yet: %+v %+v", n, n.Request)
	}
	if _, err := dana.Approve(ctx, n.Request.ID, time.Hour); err != nil {
		t.Fatal(err)
	}
	st = waitStatus(t, h.a, "1 of 2", func(st localapi.Status) bool {
		r := netOf(st, netName).Request
		return r != nil && len(r.Approvals) == 1
	})
	n = netOf(st, netName)
	if n.State != api.StatePending || n.Request.Approvals[0].By != "dana@example.com" || n.TunnelState != localapi.TunnelOff {
		t.Fatalf("1 of 2: %+v approvals %+v", n, n.Request.Approvals)
	}
	if _, err := erik.Approve(ctx, n.Request.ID, time.Hour); err != nil {
		t.Fatal(err)
	}
	waitStatus(t, h.a, "active after 2 of 2", stateIs(netName, api.StateActive))
	h.waitTunnel(netName, true)
}

// Break-glass: where the network allows it for the user, the status says
// so with its cap; taking it gives access at once, marked break-glass, and
// the tunnel comes up. Without the right, or over the cap, it is refused
// in words.
func TestBreakGlassFromTheAgent(t *testing.T) {
	h := newHarness(t, hopt{noLogin: true})
	ctx := t.Context()
	other := h.srv.NewNetwork(t, "staging-internal")
	g, err := h.admin.CreateGroup(ctx, api.GroupInput{Name: ptr("on-call"), MemberIDs: &[]string{h.userID}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.admin.UpdateNetwork(ctx, h.net.ID, api.NetworkInput{BreakGlass: &api.BreakGlassInput{
		Enabled: ptr(true), GroupIDs: &[]string{g.ID}, MaxDurationSeconds: ptr(int64(3600))}}); err != nil {
		t.Fatal(err)
	}
	h.login()
	st := h.a.Status()
	if n := netOf(st, netName); n.BreakGlass == nil || n.BreakGlass.MaxDurationSeconds != 3600 {
		t.Fatalf("break-glass not offered: %+v", n.BreakGlass)
	}
	if n := netOf(st, other.Name); n.BreakGlass != nil {
		t.Fatalf("break-glass offered where it is off: %+v", n.BreakGlass)
	}
	_, err = h.lc.BreakGlass(ctx, other.Name, "db down", 0)
	backendtest.WantStatus(t, "not open", err, 403, "break-glass access to staging-internal is not open to you")
	_, err = h.lc.BreakGlass(ctx, netName, "  ", 0)
	backendtest.WantStatus(t, "no reason", err, 400, "reason")
	_, err = h.lc.BreakGlass(ctx, netName, "db down", 2*time.Hour)
	backendtest.WantStatus(t, "over the cap", err, 400, "at most 1h")

	st, err = h.lc.BreakGlass(ctx, netName, "orders DB down <script>alert(1)</script>", 30*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	n := netOf(st, netName)
	if n.State != api.StateActive || n.Request == nil || n.Request.Kind != api.KindBreakGlass || n.Request.Rule != "break-glass" ||
		!n.Request.ReviewRequired || n.BreakGlass != nil || !n.ExpiresAt.Equal(h.srv.Now().Add(30*time.Minute)) {
		t.Fatalf("after break-glass: %+v request %+v", n, n.Request)
	}
	if n.Request.Reason != "orders DB down <script>alert(1)</script>" {
		t.Errorf("the reason is not kept as text: %q", n.Request.Reason)
	}
	h.waitTunnel(netName, true)
	waitStatus(t, h.a, "connected", tunnelStateIs(netName, localapi.TunnelConnected))
	h.mustGet()
	_, err = h.lc.BreakGlass(ctx, netName, "again", 0)
	backendtest.WantStatus(t, "already active", err, 409, "already have access")
}

// A service account signs in with its API token (no password) and shows
// as one; a wrong token and a person's token are refused in words; signing
// out forgets the token here but leaves it valid (it is the admin's).
func TestServiceAccountSignsInWithItsToken(t *testing.T) {
	h := newHarness(t, hopt{noLogin: true})
	ctx := t.Context()
	svcUser, token, err := h.admin.CreateServiceUser(ctx, "ci-runner@example.com", "CI runner")
	if err != nil {
		t.Fatal(err)
	}
	_, err = h.lc.LoginToken(ctx, h.srv.URL, "gp_not-a-token")
	backendtest.WantStatus(t, "a wrong token", err, 401, "API token was refused")
	_, err = h.lc.LoginToken(ctx, h.srv.URL, h.user.Token())
	backendtest.WantStatus(t, "a person's token", err, 400, userEmail+" is a person's account")
	_, err = h.lc.Login(ctx, h.srv.URL, "ci-runner@example.com", "anything-at-all-1")
	if err == nil {
		t.Fatal("a service account signed in with a password")
	}
	_, err = h.lc.LoginWith(ctx, localapi.LoginRequest{Server: h.srv.URL, Email: "ci-runner@example.com", Token: token})
	backendtest.WantStatus(t, "both", err, 400, "not both")

	st, err := h.lc.LoginToken(ctx, h.srv.URL, "  "+token+"\n")
	if err != nil {
		t.Fatalf("token sign-in: %v", err)
	}
	if !st.SignedIn || st.User == nil || !st.User.Service || st.User.ID != svcUser.ID || st.Device == nil || st.Device.ID == "" {
		t.Fatalf("signed in as %+v device %+v", st.User, st.Device)
	}
	if n := netOf(st, netName); n.State != api.StateRequest {
		t.Fatalf("the service account's network: %+v", n)
	}
	// It requests like anyone; the request carries user_service.
	st, err = h.lc.Request(ctx, netName, "nightly deploy", time.Hour)
	if err != nil || netOf(st, netName).Request == nil || !netOf(st, netName).Request.UserService {
		t.Fatalf("request as the service account: %+v %v", netOf(st, netName).Request, err)
	}
	if _, err := h.lc.Logout(ctx); err != nil {
		t.Fatal(err)
	}
	if u, err := client.New(h.srv.URL, client.WithToken(token)).Me(ctx); err != nil || u.ID != svcUser.ID {
		t.Fatalf("the API token after signing out: %+v %v", u, err)
	}
	if st, _ := h.lc.Status(ctx); st.SignedIn {
		t.Fatal("still signed in")
	}
}
