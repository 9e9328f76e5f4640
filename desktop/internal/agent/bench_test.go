package agent_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
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

// BenchmarkAgentEndToEnd measures with real clocks, through the real agent,
// its netstack tunnel, the backend and its gateway:
//   - approval_p50/p95_ms: from the admin's approve call to the first
//     successful GET through the agent's proxy (the approval reaches the
//     agent on its watch, it fetches the config and brings the tunnel up);
//   - teardown_p50/p99_ms: from the grant's expires_at to the agent's tunnel
//     being closed by its own timer.
func BenchmarkAgentEndToEnd(b *testing.B) {
	svc := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") }))
	b.Cleanup(svc.Close)
	srv := backendtest.NewServer(b, backendtest.WithRealClock(), backendtest.WithoutSMTP(), backendtest.WithGatewayDial(backendtest.MapTo(svc.Listener.Addr().String())))
	admin := srv.Admin(b)
	srv.NewUser(b, "bench@example.com", api.RoleUser)
	routes := []string{backendtest.ServiceRoute}
	n := srv.NewNetwork(b, "bench", func(in *api.NetworkInput) { in.Routes = &routes })
	_, port, _ := strings.Cut(svc.Listener.Addr().String(), ":")
	target := "http://" + backendtest.ServiceAddr + ":" + port + "/"

	ns, err := tunnel.NewNetstack(tunnel.NetstackOptions{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { ns.Close() })
	rec := agenttest.Record(ns)
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
	get := func() bool {
		resp, err := hc.Get(target)
		if err != nil {
			return false
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode == 200 && string(body) == "ok"
	}
	const grant = 2 * time.Second
	var approval, teardown []time.Duration
	for i := 0; i < b.N; i++ {
		if err := a.Request(b.Context(), n.Name, localapi.AccessRequest{Reason: fmt.Sprint("bench ", i)}); err != nil {
			b.Fatal(err)
		}
		var reqID string
		backendtest.WaitFor(b, "the pending request", func() bool {
			list, err := admin.AdminRequests(b.Context(), client.RequestQuery{Network: n.ID, Status: "pending"})
			if err == nil && len(list.Requests) > 0 {
				reqID = list.Requests[0].ID
			}
			return reqID != ""
		})
		start := time.Now()
		r, err := admin.Approve(b.Context(), reqID, grant)
		if err != nil {
			b.Fatal(err)
		}
		for !get() {
			if time.Since(start) > 30*time.Second {
				b.Fatal("no connection 30 s after the approval")
			}
		}
		approval = append(approval, time.Since(start))
		closes := rec.Closes()
		for rec.Closes() == closes {
			if time.Since(*r.ExpiresAt) > 10*time.Second {
				b.Fatal("the agent did not tear the tunnel down")
			}
			time.Sleep(200 * time.Microsecond)
		}
		teardown = append(teardown, time.Since(*r.ExpiresAt))
		backendtest.WaitFor(b, "the grant to end", func() bool {
			st := a.Status()
			nn, _ := st.NetworkByName(n.Name)
			return nn.State == api.StateRequest
		})
	}
	b.ReportMetric(pct(approval, 0.50), "approval_p50_ms")
	b.ReportMetric(pct(approval, 0.95), "approval_p95_ms")
	b.ReportMetric(pct(teardown, 0.50), "teardown_p50_ms")
	b.ReportMetric(pct(teardown, 0.99), "teardown_p99_ms")
}
