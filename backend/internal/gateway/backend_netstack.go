package gateway

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"sync"
	"time"

	"golang.zx2c4.com/wireguard/conn"
	"golang.zx2c4.com/wireguard/device"

	"gatepass.dev/backend/internal/gateway/netstack"
)

// Netstack is the default backend: a userspace network stack per network
// (no root, no TUN). It forwards the peers' TCP and UDP to the network's
// routes from the host's own network stack, answers DNS on the gateway's
// address, and serves the status page there.
type Netstack struct {
	Log *slog.Logger
	// Dial opens the host side of forwarded connections; nil: a net.Dialer.
	// Tests map a documentation address to a loopback service with it.
	Dial func(ctx context.Context, network, addr string) (net.Conn, error)
	// Resolver is the upstream DNS server (host:port); "": the host's.
	Resolver string
}

// Kind is "netstack".
func (Netstack) Kind() string { return "netstack" }

type netstackDevice struct {
	dev   *device.Device
	stack *netstack.Stack
	srv   *http.Server
	once  sync.Once
}

// Open starts a device for spec.
func (b Netstack) Open(spec Spec, status http.Handler) (Device, error) {
	log := b.Log
	if log == nil {
		log = slog.Default()
	}
	log = log.With("network", spec.Name)
	st, err := netstack.New(netstack.Options{
		Address: spec.Address, Prefix: spec.Prefix, Routes: spec.Routes, Dial: b.Dial, Resolver: b.Resolver,
		Logf: func(format string, args ...any) { log.Debug(fmt.Sprintf(format, args...)) },
	})
	if err != nil {
		return nil, err
	}
	dev := device.NewDevice(st.TUN(), conn.NewDefaultBind(), wgLogger(log))
	if err := dev.IpcSet(fmt.Sprintf("private_key=%s\nlisten_port=%d\n", spec.PrivateKey.Hex(), spec.ListenPort)); err != nil {
		dev.Close()
		st.Close()
		return nil, err
	}
	if err := dev.Up(); err != nil {
		dev.Close()
		st.Close()
		return nil, err
	}
	d := &netstackDevice{dev: dev, stack: st}
	if status != nil {
		ln, err := st.ListenStatus()
		if err != nil {
			d.Close()
			return nil, fmt.Errorf("status page: %w", err)
		}
		d.srv = &http.Server{Handler: status, ReadHeaderTimeout: 10 * time.Second}
		go func() {
			if err := d.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
				log.Debug("gateway: status page stopped", "err", err)
			}
		}()
	}
	return d, nil
}

// CloseClient ends the forwarded connections of a removed peer at once.
func (d *netstackDevice) CloseClient(addr netip.Addr) { d.stack.CloseClient(addr) }

func (d *netstackDevice) IpcSet(s string) error   { return d.dev.IpcSet(s) }
func (d *netstackDevice) IpcGet() (string, error) { return d.dev.IpcGet() }

func (d *netstackDevice) Close() error {
	d.once.Do(func() {
		if d.srv != nil {
			d.srv.Close()
		}
		d.dev.Close()
		d.stack.Close()
	})
	return nil
}

// wgLogger sends wireguard-go's logs to slog at debug level.
func wgLogger(log *slog.Logger) *device.Logger {
	return &device.Logger{
		Verbosef: func(format string, args ...any) { log.Debug("wireguard: " + fmt.Sprintf(format, args...)) },
		Errorf:   func(format string, args ...any) { log.Warn("wireguard: " + fmt.Sprintf(format, args...)) },
	}
}
