package agent_test

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"gatepass.dev/backend/backendtest"
	"gatepass.dev/desktop/internal/agent"
	"gatepass.dev/desktop/internal/agent/agenttest"
	"gatepass.dev/desktop/internal/localapi"
	"gatepass.dev/desktop/internal/tunnel"
	"gatepass.dev/shared/api"
	"gatepass.dev/shared/client"
)

func pct(d []time.Duration, p float64) float64 {
	s := slices.Clone(d)
	slices.Sort(s)
	return float64(s[int(float64(len(s)-1)*p)].Microseconds()) / 1000
}

// shiftedClock is the real clock moved forward by a shift the benchmark
// raises between rounds: the backend allows a user 6 new requests in 15
// minutes, so each round starts 15 minutes later on the backend's clock.
// Durations (timers, sleeps) are real.
type shiftedClock struct {
	clockwork.Clock
	shift atomic.Int64
}

func (c *shiftedClock) Now() time.Time                  { return c.Clock.Now().Add(time.Duration(c.shift.Load())) }
func (c *shiftedClock) Since(t time.Time) time.Duration { return c.Now().Sub(t) }
func (c *shiftedClock) Until(t time.Time) time.Duration { return t.Sub(c.Now()) }

const (
	benchNets   = 6 // networks per round: at most the backend's 6 requests per 15 minutes
	benchRounds = 9 // rounds per b.N: 54 samples of each measure
	benchGrant  = 2 * time.Second
)

// BenchmarkAgentEndToEnd measures with real clocks, through the real agent,
// its netstack tunnels, the backend and its gateway, benchRounds rounds of
// benchNets networks at once per b.N (54 samples per run: its percentiles
// mean something at -benchtime=1s, where b.N is 1). In a round the
// approvals come one at a time, each measured alone; the grants then end
// one after the other while the rest are still up:
//   - approval_p50/p95_ms: from the admin's approve call to the first
//     successful GET through the agent's proxy (the approval reaches the
//     agent on its watch, it fetches the config and brings the tunnel up);
//   - teardown_p50/p99_ms: from the grant's expires_at to the agent's tunnel
//     being closed by its own timer;
//   - samples: how many of each were taken.
//
// ns/op is left out: one op is a round of grants that last benchGrant.
func BenchmarkAgentEndToEnd(b *testing.B) {
	svc := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") }))
	b.Cleanup(svc.Close)
	// Every network routes its own address of TEST-NET-1 to the service.
	dial := func(ctx context.Context, network, addr string) (net.Conn, error) {
		if host, _, _ := net.SplitHostPort(addr); !strings.HasPrefix(host, "192.0.2.") {
			return nil, fmt.Errorf("bench gateway: %s is not the service", addr)
		}
		var d net.Dialer
		return d.DialContext(ctx, network, svc.Listener.Addr().String())
	}
	clock := &shiftedClock{Clock: clockwork.NewRealClock()}
	srv := backendtest.NewServer(b, backendtest.WithClock(clock), backendtest.WithoutSMTP(), backendtest.WithGatewayDial(dial))
	admin := srv.Admin(b)
	srv.NewUser(b, "bench@example.com", api.RoleUser)
	_, port, _ := strings.Cut(svc.Listener.Addr().String(), ":")
	nets := make([]api.Network, benchNets)
	targets := map[string]string{}
	for i := range nets {
		route := []string{fmt.Sprintf("192.0.2.%d/32", 11+i)}
		nets[i] = srv.NewNetwork(b, fmt.Sprintf("bench-%d", i), func(in *api.NetworkInput) { in.Routes = &route })
		targets[nets[i].ID] = fmt.Sprintf("http://192.0.2.%d:%s/", 11+i, port)
	}

	ns, err := tunnel.NewNetstack(tunnel.NetstackOptions{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { ns.Close() })
	rec := agenttest.Record(ns)
	// Each network's tunnel tells when it is up (its GETs start then: no
	// busy polling of a proxy with no route yet) and when it closes.
	var mu sync.Mutex
	upped, closed := map[string]chan time.Time{}, map[string]chan time.Time{}
	tell := func(chans map[string]chan time.Time) func(string) {
		return func(name string) {
			at := time.Now()
			mu.Lock()
			ch := chans[name]
			mu.Unlock()
			if ch != nil {
				ch <- at
			}
		}
	}
	rec.OnUp, rec.OnClose = tell(upped), tell(closed)
	dir := b.TempDir()
	a, err := agent.New(agent.Options{StateDir: dir, Backend: rec, Clock: clockwork.NewRealClock(),
		Credentials: &agent.FileStore{Path: filepath.Join(dir, "credentials.json")}, DeviceName: "bench", ConnectTimeout: 10 * time.Second})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { a.Close() })
	if err := a.Login(b.Context(), localapi.LoginRequest{Server: srv.URL, Email: "bench@example.com", Password: backendtest.UserPassword}); err != nil {
		b.Fatal(err)
	}
	_, httpProxy := ns.Proxies()
	proxy, _ := url.Parse("http://" + httpProxy)
	hc := &http.Client{Transport: &http.Transport{Proxy: http.ProxyURL(proxy), DisableKeepAlives: true}, Timeout: 2 * time.Second}
	get := func(target string) bool {
		resp, err := hc.Get(target)
		if err != nil {
			return false
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode == 200 && string(body) == "ok"
	}

	var approval, teardown []time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for round := 0; round < benchRounds; round++ {
			clock.shift.Add(int64(16 * time.Minute)) // a fresh allowance of requests on the backend's clock
			for _, n := range nets {
				if err := a.Request(b.Context(), n.Name, localapi.AccessRequest{Reason: fmt.Sprint("bench ", i, round)}); err != nil {
					b.Fatal(err)
				}
			}
			pending := map[string]string{} // network id → request id
			backendtest.WaitFor(b, "the pending requests", func() bool {
				list, err := admin.AdminRequests(b.Context(), client.RequestQuery{Status: "pending"})
				if err != nil {
					return false
				}
				for _, r := range list.Requests {
					pending[r.NetworkID] = r.ID
				}
				return len(pending) == benchNets
			})
			// One approval at a time, each measured alone up to its first
			// GET; the grants then run out one after the other, each torn
			// down by the agent's timer while the others are still up.
			expiries := make([]time.Time, len(nets))
			downs := make([]chan time.Time, len(nets))
			for k, n := range nets {
				up := make(chan time.Time, 1)
				downs[k] = make(chan time.Time, 1)
				mu.Lock()
				upped[n.Name], closed[n.Name] = up, downs[k]
				mu.Unlock()
				start := time.Now()
				r, err := admin.Approve(b.Context(), pending[n.ID], benchGrant)
				if err != nil {
					b.Fatal(err)
				}
				expiries[k] = r.ExpiresAt.Add(-time.Duration(clock.shift.Load())) // the real instant
				select {
				case <-up:
				case <-time.After(30 * time.Second):
					b.Fatal("no tunnel 30 s after the approval")
				}
				for !get(targets[n.ID]) {
					if time.Since(start) > 30*time.Second {
						b.Fatal("no connection 30 s after the approval")
					}
				}
				approval = append(approval, time.Since(start))
			}
			for k := range nets {
				select {
				case at := <-downs[k]:
					teardown = append(teardown, at.Sub(expiries[k]))
				case <-time.After(time.Until(expiries[k]) + 10*time.Second):
					b.Fatal("the agent did not tear the tunnel down")
				}
			}
			backendtest.WaitFor(b, "every grant to end", func() bool {
				st := a.Status()
				for _, n := range nets {
					if nn, _ := st.NetworkByName(n.Name); nn.State != api.StateRequest {
						return false
					}
				}
				return true
			})
		}
	}
	b.StopTimer()
	b.ReportMetric(0, "ns/op")
	b.ReportMetric(float64(len(approval)), "samples")
	b.ReportMetric(pct(approval, 0.50), "approval_p50_ms")
	b.ReportMetric(pct(approval, 0.95), "approval_p95_ms")
	b.ReportMetric(pct(teardown, 0.50), "teardown_p50_ms")
	b.ReportMetric(pct(teardown, 0.99), "teardown_p99_ms")
}
