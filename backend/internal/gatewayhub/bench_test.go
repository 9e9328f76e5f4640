package gatewayhub_test

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
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
	i := int(float64(len(s)-1) * p)
	return s[i]
}

// BenchmarkApprovalToFirstConnection measures, with the real clock, the time
// from the admin's approve call to the first successful HTTP GET through a
// fresh device's tunnel to a service behind the gateway. Target p95 < 300 ms.
func BenchmarkApprovalToFirstConnection(b *testing.B) {
	service := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") }))
	b.Cleanup(service.Close)
	srv := backendtest.NewServer(b, backendtest.WithRealClock(), backendtest.WithoutSMTP(), backendtest.WithGatewayDial(backendtest.MapTo(service.Listener.Addr().String())))
	admin := srv.Admin(b)
	user, _ := srv.NewUser(b, "bench@example.com", api.RoleUser)
	routes := []string{backendtest.ServiceRoute}
	n := srv.NewNetwork(b, "bench", func(in *api.NetworkInput) { in.Routes = &routes })
	_, port, _ := net.SplitHostPort(service.Listener.Addr().String())
	url := "http://" + net.JoinHostPort(backendtest.ServiceAddr, port) + "/"
	var lat []time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		key, _ := wgkey.NewPrivate()
		dev, err := user.RegisterDevice(b.Context(), fmt.Sprint("dev", i), key.Public().String())
		if err != nil {
			b.Fatal(err)
		}
		req, err := user.Request(b.Context(), n.ID, "bench", 0)
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		start := time.Now()
		if _, err := admin.Approve(b.Context(), req.ID, time.Hour); err != nil {
			b.Fatal(err)
		}
		cfg, err := user.Tunnel(b.Context(), n.ID, dev.ID)
		if err != nil {
			b.Fatal(err)
		}
		c := newWGClient(b, key, cfg)
		for {
			if body, err := c.get(url, 2*time.Second); err == nil && body == "ok" {
				break
			}
			if time.Since(start) > 30*time.Second {
				b.Fatal("no connection through the tunnel after 30 s")
			}
		}
		lat = append(lat, time.Since(start))
		b.StopTimer()
		c.dev.Close()
		if _, err := user.Release(b.Context(), req.ID); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
	b.ReportMetric(float64(percentile(lat, 0.50).Microseconds())/1000, "p50_ms")
	b.ReportMetric(float64(percentile(lat, 0.95).Microseconds())/1000, "p95_ms")
}

// BenchmarkPeerRemovalLateness measures, with the real clock, the time from
// a grant's expires_at to its peer being gone from the gateway device, with
// 200 grants expiring in the same second. Target p99 < 100 ms.
func BenchmarkPeerRemovalLateness(b *testing.B) {
	const grants = 200
	srv := backendtest.NewServer(b, backendtest.WithRealClock(), backendtest.WithoutSMTP())
	cidr := "10.96.0.0/16"
	n := srv.NewNetwork(b, "bench", func(in *api.NetworkInput) { in.CIDR = &cidr })
	ctx := context.Background()
	var lat []time.Duration
	for i := 0; i < b.N; i++ {
		keys := make([]string, grants)
		expires := time.Now().Add(1500 * time.Millisecond).Truncate(time.Millisecond)
		err := srv.DB.Tx(ctx, func(tx *sql.Tx) error {
			net, err := store.NetworkByID(ctx, tx, n.ID)
			if err != nil {
				return err
			}
			now := time.Now()
			for j := range grants {
				u := store.User{ID: store.NewID("usr"), Email: fmt.Sprintf("u%d-%d@example.com", i, j), Name: "u", Role: api.RoleUser, CreatedAt: now, UpdatedAt: now}
				if err := store.CreateUser(ctx, tx, u); err != nil {
					return err
				}
				k, _ := wgkey.NewPrivate()
				keys[j] = k.Public().String()
				d := store.Device{ID: store.NewID("dev"), UserID: u.ID, Name: "d", PublicKey: keys[j], CreatedAt: now}
				if err := store.CreateDevice(ctx, tx, d); err != nil {
					return err
				}
				if _, err := store.AssignAddress(ctx, tx, d.ID, net); err != nil {
					return err
				}
				r := store.Request{ID: store.NewID("req"), NetworkID: n.ID, UserID: u.ID, Status: api.StatusPending, Reason: "bench", RequestedAt: now}
				if err := store.InsertRequest(ctx, tx, r); err != nil {
					return err
				}
				r.Status, r.DecidedAt, r.ExpiresAt, r.Granted = api.StatusApproved, now, expires, time.Hour
				if err := store.UpdateRequestCAS(ctx, tx, r, api.StatusPending); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
		if err := srv.Gateway.SyncNetwork(ctx, n.ID); err != nil {
			b.Fatal(err)
		}
		if got := len(srv.Gateway.DevicePeers(n.ID)); got < grants {
			b.Fatalf("%d peers on the gateway, want %d", got, grants)
		}
		gone := map[string]bool{}
		for len(gone) < grants {
			peers := srv.Gateway.DevicePeers(n.ID)
			now := time.Now()
			for _, k := range keys {
				if _, ok := peers[k]; !ok && !gone[k] {
					gone[k] = true
					lat = append(lat, now.Sub(expires))
				}
			}
			if now.Sub(expires) > 10*time.Second {
				b.Fatalf("%d peers still on the gateway 10 s after expiry", grants-len(gone))
			}
			time.Sleep(200 * time.Microsecond)
		}
	}
	b.ReportMetric(float64(percentile(lat, 0.50).Microseconds())/1000, "p50_ms")
	b.ReportMetric(float64(percentile(lat, 0.99).Microseconds())/1000, "p99_ms")
}
