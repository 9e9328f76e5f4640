package gatewayd_test

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"gatepass.dev/backend/backendtest"
	"gatepass.dev/backend/internal/store"
	"gatepass.dev/shared/api"
	"gatepass.dev/shared/wgkey"
)

func percentile(d []time.Duration, p float64) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := slices.Clone(d)
	slices.Sort(s)
	return s[int(float64(len(s)-1)*p)]
}

// BenchmarkApprovalToPeerOnRemoteGateway measures, with the real clock,
// the time from the admin's approve call to the grant's peer being
// configured on a remote gateway: gatepass-gateway's program fed over HTTP
// and SSE on loopback (the State is pushed from inside the approval's
// transaction). Target p95 < 200 ms.
func BenchmarkApprovalToPeerOnRemoteGateway(b *testing.B) {
	s := newSite(b, "", backendtest.WithRealClock(), backendtest.WithoutSMTP())
	added := s.add(b)
	installed := make(chan string, 16)
	s.onApplied = func(st api.GatewayState) {
		for _, p := range st.Peers {
			installed <- p.PublicKey
		}
	}
	s.up(b, added.EnrollToken, 0)
	backendtest.WaitFor(b, "the first state", func() bool { _, ok := s.lastApplied(); return ok })
	var lat []time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		u, _ := s.srv.NewUser(b, fmt.Sprintf("bench%d@example.com", i), api.RoleUser)
		key, _ := wgkey.NewPrivate()
		if _, err := u.RegisterDevice(b.Context(), "laptop", key.Public().String()); err != nil {
			b.Fatal(err)
		}
		req, err := u.Request(b.Context(), s.network.ID, "bench", 0)
		if err != nil {
			b.Fatal(err)
		}
		for len(installed) > 0 {
			<-installed
		}
		want := key.Public().String()
		b.StartTimer()
		start := time.Now()
		if _, err := s.admin.Approve(b.Context(), req.ID, time.Hour); err != nil {
			b.Fatal(err)
		}
		for got := false; !got; {
			select {
			case k := <-installed:
				got = k == want
			case <-time.After(10 * time.Second):
				b.Fatal("the peer did not reach the remote gateway within 10 s")
			}
		}
		lat = append(lat, time.Since(start))
		b.StopTimer()
		if _, err := u.Release(b.Context(), req.ID); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
	b.ReportMetric(float64(percentile(lat, 0.50).Microseconds())/1000, "p50_ms")
	b.ReportMetric(float64(percentile(lat, 0.95).Microseconds())/1000, "p95_ms")
}

// grantMany gives n users a device and a grant on network n (directly in
// the store, in one transaction: the setup of the benchmarks), and syncs
// the gateways.
func grantMany(tb testing.TB, srv *backendtest.Server, networkID string, n int) {
	tb.Helper()
	ctx := context.Background()
	err := srv.DB.Tx(ctx, func(tx *sql.Tx) error {
		net, err := store.NetworkByID(ctx, tx, networkID)
		if err != nil {
			return err
		}
		now := time.Now()
		for j := range n {
			u := store.User{ID: store.NewID("usr"), Email: fmt.Sprintf("u%d@example.com", j), Name: "u", Role: api.RoleUser, CreatedAt: now, UpdatedAt: now}
			if err := store.CreateUser(ctx, tx, u); err != nil {
				return err
			}
			k, _ := wgkey.NewPrivate()
			d := store.Device{ID: store.NewID("dev"), UserID: u.ID, Name: "laptop", PublicKey: k.Public().String(), CreatedAt: now}
			if err := store.CreateDevice(ctx, tx, d); err != nil {
				return err
			}
			if _, err := store.AssignAddress(ctx, tx, d.ID, net); err != nil {
				return err
			}
			r := store.Request{ID: store.NewID("req"), NetworkID: networkID, UserID: u.ID, Status: api.StatusPending, Reason: "bench", RequestedAt: now}
			if err := store.InsertRequest(ctx, tx, r); err != nil {
				return err
			}
			r.Status, r.DecidedAt, r.ExpiresAt, r.Granted = api.StatusApproved, now, now.Add(24*time.Hour), 24*time.Hour
			if err := store.UpdateRequestCAS(ctx, tx, r, api.StatusPending); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
	if err := srv.Gateway.SyncNetwork(ctx, networkID); err != nil {
		tb.Fatal(err)
	}
}

// BenchmarkRemoteFullSync1000 measures a remote gateway's full sync of
// 1,000 peers: from the start of gatepass-gateway's program (enrolled
// already) to the State with the 1,000 peers applied on its device.
func BenchmarkRemoteFullSync1000(b *testing.B) {
	const peers = 1000
	s := newSite(b, "10.96.0.0/16", backendtest.WithRealClock(), backendtest.WithoutSMTP())
	added := s.add(b)
	grantMany(b, s.srv, s.network.ID, peers)
	s.up(b, added.EnrollToken, 0) // enrolls
	backendtest.WaitFor(b, "the first state", func() bool { st, ok := s.lastApplied(); return ok && len(st.Peers) == peers })
	if err := s.stop(b); err != nil {
		b.Fatal(err)
	}
	var took []time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		s.mu.Lock()
		s.applied = nil
		s.mu.Unlock()
		start := time.Now()
		s.up(b, "", 0)
		for {
			if st, ok := s.lastApplied(); ok && len(st.Peers) == peers {
				break
			}
			if time.Since(start) > 30*time.Second {
				b.Fatal("no full state within 30 s")
			}
			time.Sleep(time.Millisecond)
		}
		took = append(took, time.Since(start))
		b.StopTimer()
		if err := s.stop(b); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
	b.ReportMetric(float64(percentile(took, 0.50).Microseconds())/1000, "sync_ms")
}

// BenchmarkGatewayIdleCPU measures the CPU time of the real
// gatepass-gateway binary (netstack mode) holding 1,000 peers with no
// traffic, over 20 s of its steady state (pings, reports every 10 s, its
// own timers), as a share of one core, and its resident memory.
func BenchmarkGatewayIdleCPU(b *testing.B) {
	const peers = 1000
	window := 20 * time.Second
	bin := filepath.Join(b.TempDir(), "gatepass-gateway")
	build := exec.Command("go", "build", "-o", bin, "gatepass.dev/backend/cmd/gatepass-gateway")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		b.Skipf("cannot build gatepass-gateway: %v\n%s", err, out)
	}
	s := newSite(b, "10.96.0.0/16", backendtest.WithRealClock(), backendtest.WithoutSMTP())
	added := s.add(b)
	grantMany(b, s.srv, s.network.ID, peers)
	cmd := exec.Command(bin, "up", "--server", s.srv.URL, "--enroll-token", added.EnrollToken, "--state-dir", s.dir,
		"--mode", "netstack", "--listen-port", strconv.Itoa(s.port), "--log-level", "warn")
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	defer func() { _ = cmd.Process.Signal(syscall.SIGTERM); _ = cmd.Wait() }()
	backendtest.WaitFor(b, "the gateway to hold its peers", func() bool {
		gws, err := s.admin.Gateways(b.Context())
		return err == nil && len(gws) == 1 && gws[0].PeerCount == peers
	})
	time.Sleep(2 * time.Second) // let the start-up settle: the measured window is the steady state
	b.ResetTimer()
	var cpu time.Duration
	var rss int64
	for i := 0; i < b.N; i++ {
		before := procCPU(b, cmd.Process.Pid)
		time.Sleep(window) // the measured window itself
		cpu += procCPU(b, cmd.Process.Pid) - before
		rss = procRSS(b, cmd.Process.Pid)
	}
	b.StopTimer()
	b.ReportMetric(100*cpu.Seconds()/(window.Seconds()*float64(b.N)), "cpu_%")
	b.ReportMetric(float64(rss)/(1<<20), "rss_MiB")
}

// procCPU is a process's user + system CPU time (/proc/PID/stat).
func procCPU(tb testing.TB, pid int) time.Duration {
	tb.Helper()
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		tb.Fatal(err)
	}
	f := strings.Fields(string(raw[strings.LastIndexByte(string(raw), ')')+2:]))
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(ut+st) * time.Second / 100 // USER_HZ
}

// procRSS is a process's resident memory in bytes.
func procRSS(tb testing.TB, pid int) int64 {
	tb.Helper()
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		tb.Fatal(err)
	}
	for _, line := range strings.Split(string(raw), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb << 10
		}
	}
	return 0
}
