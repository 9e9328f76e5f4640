package gateway_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"gatepass.dev/backend/internal/gateway"
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

// removals is the netstack backend with the instant of every peer's
// removal written down (no polling of the device: the removal's own time).
type removals struct {
	gateway.Netstack
	mu sync.Mutex
	at map[string]time.Time // hex key → removal
}

func (b *removals) Open(spec gateway.Spec, status http.Handler) (gateway.Device, error) {
	d, err := b.Netstack.Open(spec, status)
	if err != nil {
		return nil, err
	}
	return &removalDevice{Device: d, b: b}, nil
}

type removalDevice struct {
	gateway.Device
	b *removals
}

func (d *removalDevice) IpcSet(s string) error {
	err := d.Device.IpcSet(s)
	now := time.Now()
	var key string
	d.b.mu.Lock()
	for _, line := range strings.Split(s, "\n") {
		if v, ok := strings.CutPrefix(line, "public_key="); ok {
			key = v
		} else if line == "remove=true" {
			d.b.at[key] = now
		}
	}
	d.b.mu.Unlock()
	return err
}

func bigState(n int, serverTime time.Time, expires *time.Time) (api.GatewayState, []peerKey) {
	st := api.GatewayState{Revision: 1, ServerTime: serverTime, LeaseSeconds: 60,
		Network: api.GatewayNetwork{ID: "net_b", Name: "bench", CIDR: "10.96.0.0/16", Address: "10.96.0.1"}}
	keys := make([]peerKey, n)
	for i := range n {
		k, _ := wgkey.NewPrivate()
		keys[i] = peerKey{k}
		st.Peers = append(st.Peers, api.GatewayPeer{PublicKey: keys[i].pub(), AllowedIPs: []string{fmt.Sprintf("10.96.%d.%d/32", (i+2)/256, (i+2)%256)},
			ExpiresAt: expires, UserEmail: fmt.Sprintf("u%d@example.com", i), DeviceName: "laptop"})
	}
	return st, keys
}

// BenchmarkExpiryRemovalOnTheGateway measures, with the real clock, the
// time from a grant's expires_at to its peer's removal from the gateway's
// device by the gateway's own timer, with 200 grants expiring in the same
// second (what a remote gateway does even when the server is down). Target
// p99 < 100 ms.
func BenchmarkExpiryRemovalOnTheGateway(b *testing.B) {
	const grants = 200
	back := &removals{Netstack: gateway.Netstack{Log: slog.New(slog.DiscardHandler)}, at: map[string]time.Time{}}
	key, _ := wgkey.NewPrivate()
	rt := gateway.NewRuntime(gateway.Options{Backend: back, PrivateKey: key, Log: slog.New(slog.DiscardHandler)})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); rt.Run(ctx) }()
	defer func() { cancel(); <-done; rt.Close() }()
	var lat []time.Duration
	for i := 0; i < b.N; i++ {
		expires := time.Now().Add(time.Second).Truncate(time.Millisecond)
		st, keys := bigState(grants, time.Now(), &expires)
		st.Revision = uint64(i + 1)
		if err := rt.Apply(st); err != nil {
			b.Fatal(err)
		}
		for _, k := range keys {
			for {
				back.mu.Lock()
				at, ok := back.at[k.hex()]
				back.mu.Unlock()
				if ok {
					lat = append(lat, at.Sub(expires))
					break
				}
				if time.Since(expires) > 10*time.Second {
					b.Fatal("a peer is still on the gateway 10 s after its expiry")
				}
				time.Sleep(time.Millisecond)
			}
		}
	}
	b.ReportMetric(float64(percentile(lat, 0.50).Microseconds())/1000, "p50_ms")
	b.ReportMetric(float64(percentile(lat, 0.99).Microseconds())/1000, "p99_ms")
}

// BenchmarkFullSync1000 measures applying a State of 1,000 peers to a
// gateway whose device has none (a gateway's first State, or a restart),
// and the memory those peers take (heap after a GC, with them minus
// without them).
func BenchmarkFullSync1000(b *testing.B) {
	const peers = 1000
	key, _ := wgkey.NewPrivate()
	rt := gateway.NewRuntime(gateway.Options{Backend: gateway.Netstack{Log: slog.New(slog.DiscardHandler)}, PrivateKey: key,
		Log: slog.New(slog.DiscardHandler), NoLease: true})
	defer rt.Close()
	empty, _ := bigState(0, time.Now(), nil)
	if err := rt.Apply(empty); err != nil {
		b.Fatal(err)
	}
	heap := func() uint64 {
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return m.HeapAlloc
	}
	var before, after uint64
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		st, _ := bigState(peers, time.Now(), nil)
		st.Revision = uint64(2*i + 2)
		if i == 0 {
			before = heap()
		}
		b.StartTimer()
		if err := rt.Apply(st); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		if n := len(rt.DevicePeers()); n != peers {
			b.Fatalf("%d peers on the device, want %d", n, peers)
		}
		if i == 0 {
			after = heap()
		}
		empty.Revision = uint64(2*i + 3)
		if err := rt.Apply(empty); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
	b.StopTimer()
	b.ReportMetric(float64(after-before)/peers, "heap_B/peer")
}

// BenchmarkResyncUnchanged1000 measures a State that changes nothing on a
// gateway with 1,000 peers (every change elsewhere, every reconnect).
func BenchmarkResyncUnchanged1000(b *testing.B) {
	key, _ := wgkey.NewPrivate()
	rt := gateway.NewRuntime(gateway.Options{Backend: gateway.Netstack{Log: slog.New(slog.DiscardHandler)}, PrivateKey: key,
		Log: slog.New(slog.DiscardHandler), NoLease: true})
	defer rt.Close()
	st, _ := bigState(1000, time.Now(), nil)
	if err := rt.Apply(st); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		st.Revision++
		if err := rt.Apply(st); err != nil {
			b.Fatal(err)
		}
	}
}
