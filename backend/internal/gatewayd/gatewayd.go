// Package gatewayd is the program of gatepass-gateway: the WireGuard gateway
// of one network, run at the site it guards and fed by gatepass-server.
//
// `up` (Up) does, in order:
//
//  1. Enrollment, once. Without an enrollment in the state directory it
//     generates the gateway's key pair there (private.key, 0600: the
//     private key never leaves the host) and enrolls with the one-time
//     token an admin created (POST /api/v1/gateway/enroll: the token and
//     the public key); the credential it gets is kept in
//     credential.json (0600). Later starts need no token (one given is
//     ignored) and refuse another server than the one enrolled with.
//  2. The watch (GET /api/v1/gateway/watch, the credential as a bearer
//     token): every State is applied to the gateway.Runtime (a diff), every
//     ping renews the lease. A stream silent for half the lease is taken
//     for dead and opened again; reconnections back off from 1 s doubling
//     to 30 s (at most half the lease), with jitter, reset by a State.
//     Meanwhile the Runtime enforces on its own: each peer goes at its
//     expires_at, and with no word from the server for the lease every JIT
//     peer goes (fail closed) until the stream is back.
//  3. Reports (POST /api/v1/gateway/report) of the peers' handshakes and
//     byte counts, every 10 s and right after each State applied.
//  4. Revocation: a "revoked" event, or a credential refused (401), drops
//     every peer at once, deletes the enrollment and the key, and ends Up
//     with ErrRevoked (gatepass-gateway exits 78, which its systemd unit
//     does not restart).
//
// Modes: netstack (a userspace subnet router to the network's routes, no
// root; the status page on the gateway's first address) and tun (Linux,
// root: a gp-<port> interface and kernel forwarding, see gateway.TUN).
package gatewayd

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/jonboulle/clockwork"

	"gatepass.dev/backend/internal/gateway"
	"gatepass.dev/shared/api"
	"gatepass.dev/shared/client"
)

// Modes of the gateway's device.
const (
	ModeNetstack = "netstack"
	ModeTUN      = "tun"
)

// ReportEvery is the interval of the status reports.
const ReportEvery = 10 * time.Second

// ErrRevoked ends Up when the server revoked the gateway.
var ErrRevoked = errors.New("revoked")

// RevokedError says why the gateway was revoked.
type RevokedError struct{ Message string }

func (e *RevokedError) Error() string {
	return "the server revoked this gateway (" + e.Message + "): its peers are dropped and its enrollment deleted; an admin adds it again for a new enroll token"
}

// Is makes errors.Is(err, ErrRevoked) true.
func (e *RevokedError) Is(target error) bool { return target == ErrRevoked }

// Config configures Up.
type Config struct {
	Server      string // the server's URL
	EnrollToken string // needed once, for the enrollment
	StateDir    string
	Mode        string // netstack or tun
	ListenPort  int    // 0: the port the server gives
	// Lease, when positive, shortens the server's lease for this gateway.
	Lease    time.Duration
	Version  string
	Hostname string // default os.Hostname

	Log   *slog.Logger    // default slog.Default()
	Clock clockwork.Clock // default the real clock
	// HTTPClient for the calls (default: timeouts for connecting and for
	// the answers' headers, none for the stream).
	HTTPClient *http.Client
	// Backend replaces the device backend of Mode (tests).
	Backend gateway.Backend
	// ReportEvery is the interval of the status reports (default
	// ReportEvery).
	ReportEvery time.Duration
	// Applied, when set, hears of every State applied (tests and
	// benchmarks).
	Applied func(api.GatewayState)
}

func (c *Config) check() error {
	u, err := url.Parse(strings.TrimRight(c.Server, "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("--server: %q is not an http(s) URL such as https://gatepass.example.com", c.Server)
	}
	c.Server = strings.TrimRight(c.Server, "/")
	if c.StateDir == "" {
		return errors.New("--state-dir is required (e.g. /var/lib/gatepass-gateway)")
	}
	switch c.Mode {
	case "", ModeNetstack:
		c.Mode = ModeNetstack
	case ModeTUN:
		if runtime.GOOS != "linux" {
			return fmt.Errorf("--mode tun is for Linux only: use --mode netstack on %s", runtime.GOOS)
		}
	default:
		return fmt.Errorf("--mode: %q is not netstack or tun", c.Mode)
	}
	if c.ListenPort < 0 || c.ListenPort > 65535 {
		return fmt.Errorf("--listen-port: %d is not a port number", c.ListenPort)
	}
	if c.Lease != 0 && c.Lease < gateway.MinLease {
		return fmt.Errorf("--lease: %v is shorter than %v", c.Lease, gateway.MinLease)
	}
	if c.Log == nil {
		c.Log = slog.Default()
	}
	if c.ReportEvery <= 0 {
		c.ReportEvery = ReportEvery
	}
	if c.Clock == nil {
		c.Clock = clockwork.NewRealClock()
	}
	if c.Hostname == "" {
		c.Hostname, _ = os.Hostname()
	}
	if c.HTTPClient == nil {
		c.HTTPClient = &http.Client{Transport: &http.Transport{
			Proxy:                 http.ProxyFromEnvironment,
			DialContext:           (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 15 * time.Second}).DialContext,
			TLSHandshakeTimeout:   10 * time.Second,
			ResponseHeaderTimeout: 15 * time.Second,
			IdleConnTimeout:       90 * time.Second,
		}}
	}
	if c.Backend == nil {
		if c.Mode == ModeTUN {
			c.Backend = gateway.NewTUN(c.Log)
		} else {
			c.Backend = gateway.Netstack{Log: c.Log}
		}
	}
	return nil
}

// Up enrolls the gateway if needed and runs it until ctx ends (nil) or the
// server revokes it (ErrRevoked, as a *RevokedError). Other errors are
// about the configuration or the enrollment.
func Up(ctx context.Context, cfg Config) error {
	if err := cfg.check(); err != nil {
		return err
	}
	log := cfg.Log
	if err := prepareStateDir(cfg.StateDir); err != nil {
		return err
	}
	e, err := enroll(ctx, &cfg)
	if err != nil {
		return err
	}
	key, err := loadKey(cfg.StateDir)
	if err != nil {
		return fmt.Errorf("%w: remove %s and enroll again with a new token", err, filepath.Join(cfg.StateDir, credentialFile))
	}
	c := client.New(cfg.Server, client.WithHTTPClient(cfg.HTTPClient), client.WithToken(e.Credential))
	rt := gateway.NewRuntime(gateway.Options{Backend: cfg.Backend, PrivateKey: key, Clock: cfg.Clock, Log: log,
		Endpoints: &gateway.FileEndpoints{Path: filepath.Join(cfg.StateDir, endpointsFile)}, Lease: cfg.Lease, ListenPort: cfg.ListenPort})
	g := &gw{cfg: cfg, log: log, c: c, rt: rt, report: make(chan struct{}, 1), enrollment: e}
	log.Info("gatepass-gateway up", "gateway", e.GatewayID, "network", e.NetworkID, "server", cfg.Server, "mode", cfg.Mode,
		"public_key", key.Public().String(), "version", cfg.Version)
	return g.run(ctx)
}

// enroll returns the enrollment in the state directory, enrolling first
// when there is none.
func enroll(ctx context.Context, cfg *Config) (enrollment, error) {
	e, ok, err := loadEnrollment(cfg.StateDir)
	if err != nil {
		return e, err
	}
	if ok {
		if e.Server != cfg.Server {
			return e, fmt.Errorf("this state directory is enrolled with %s, not %s: use another --state-dir to enroll with another server", e.Server, cfg.Server)
		}
		if cfg.EnrollToken != "" {
			cfg.Log.Info("already enrolled: the enroll token is not needed and was not used", "gateway", e.GatewayID)
		}
		return e, nil
	}
	if cfg.EnrollToken == "" {
		return e, errors.New("not enrolled yet: give --enroll-token, the token shown when an admin added this gateway (admin page: the network's Add gateway)")
	}
	key, err := newKey(cfg.StateDir)
	if err != nil {
		return e, fmt.Errorf("generate the key pair: %w", err)
	}
	c := client.New(cfg.Server, client.WithHTTPClient(cfg.HTTPClient))
	cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	out, err := c.EnrollGateway(cctx, api.GatewayEnrollRequest{EnrollToken: cfg.EnrollToken, PublicKey: key.Public().String(),
		Version: cfg.Version, Hostname: cfg.Hostname, ListenPort: cfg.ListenPort})
	if err != nil {
		return e, fmt.Errorf("enroll with %s: %w", cfg.Server, err)
	}
	e = enrollment{Server: cfg.Server, GatewayID: out.GatewayID, NetworkID: out.NetworkID, Credential: out.Credential, EnrolledAt: out.ServerTime}
	if err := saveEnrollment(cfg.StateDir, e); err != nil {
		return e, fmt.Errorf("keep the credential: %w", err)
	}
	cfg.Log.Info("enrolled", "gateway", e.GatewayID, "network", e.NetworkID)
	return e, nil
}
