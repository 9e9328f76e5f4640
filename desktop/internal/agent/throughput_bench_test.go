package agent_test

import (
	"context"
	"fmt"
	"io"
	"net"
	"path/filepath"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
	"golang.org/x/net/proxy"

	"gatepass.dev/backend/backendtest"
	"gatepass.dev/desktop/internal/agent"
	"gatepass.dev/desktop/internal/localapi"
	"gatepass.dev/desktop/internal/tunnel"
	"gatepass.dev/shared/api"
)

// BenchmarkUserPathThroughput downloads 64 MiB per op the way a user's
// program does: through the agent's SOCKS5 proxy → the agent's netstack
// tunnel → WireGuard over UDP loopback → the server's gateway (netstack,
// forwarding) → a TCP service behind it. b.SetBytes makes the MB/s column
// that path's throughput; compare backend/internal/gateway/netstack's
// BenchmarkTunnelThroughput (the tunnel alone, and plain loopback).
func BenchmarkUserPathThroughput(b *testing.B) {
	const size = 64 << 20
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { ln.Close() })
	go func() {
		chunk := make([]byte, 256<<10)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				for sent := 0; sent < size; sent += len(chunk) {
					if _, err := c.Write(chunk); err != nil {
						return
					}
				}
			}()
		}
	}()
	srv := backendtest.NewServer(b, backendtest.WithRealClock(), backendtest.WithoutSMTP(), backendtest.WithGatewayDial(backendtest.MapTo(ln.Addr().String())))
	srv.NewUser(b, "bench@example.com", api.RoleUser)
	route := []string{backendtest.ServiceRoute}
	jitOff := false
	n := srv.NewNetwork(b, "bench-throughput", func(in *api.NetworkInput) { in.Routes = &route; in.JITEnabled = &jitOff })

	ns, err := tunnel.NewNetstack(tunnel.NetstackOptions{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { ns.Close() })
	dir := b.TempDir()
	a, err := agent.New(agent.Options{StateDir: dir, Backend: ns, Clock: clockwork.NewRealClock(),
		Credentials: &agent.FileStore{Path: filepath.Join(dir, "credentials.json")}, DeviceName: "bench", ConnectTimeout: 10 * time.Second})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { a.Close() })
	if err := a.Login(b.Context(), localapi.LoginRequest{Server: srv.URL, Email: "bench@example.com", Password: backendtest.UserPassword}); err != nil {
		b.Fatal(err)
	}
	if err := a.Connect(b.Context(), n.Name); err != nil {
		b.Fatal(err)
	}
	backendtest.WaitForWithin(b, 30*time.Second, "the standing tunnel", func() bool {
		nn, ok := a.Status().NetworkByName(n.Name)
		return ok && nn.Connected
	})
	socks, _ := ns.Proxies()
	dialer, err := proxy.SOCKS5("tcp", socks, nil, proxy.Direct)
	if err != nil {
		b.Fatal(err)
	}
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	target := net.JoinHostPort(backendtest.ServiceAddr, port)
	fetch := func() error {
		c, err := dialer.(proxy.ContextDialer).DialContext(context.Background(), "tcp", target)
		if err != nil {
			return err
		}
		defer c.Close()
		got, err := io.Copy(io.Discard, c)
		if err == nil && got != size {
			err = fmt.Errorf("short download: %d of %d bytes", got, size)
		}
		return err
	}
	if err := fetch(); err != nil { // warm up: the first handshake
		b.Fatal(err)
	}
	b.SetBytes(size)
	b.ResetTimer()
	for b.Loop() {
		if err := fetch(); err != nil {
			b.Fatal(err)
		}
	}
}
