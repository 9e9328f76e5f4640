// Package backendtest runs a real gatepass-server in-process for tests: on
// 127.0.0.1 with a free port, a real SQLite file in a temp directory, a
// real SMTP server on loopback catching the emails, and (by default) a fake
// clock the test moves forward.
//
// The store is SQLite unless the environment sets GATEPASS_TEST_STORE to
// "postgres": then every server gets an empty database of its own in a
// throwaway PostgreSQL cluster (package pgtest), and the same tests run on
// PostgreSQL (make test runs the API's suite both ways). WithDatabase puts
// several servers — replicas — on one database.
//
//	srv := backendtest.NewServer(t)
//	admin := srv.Admin(t)
//	alice, _ := srv.NewUser(t, "alice@example.com", api.RoleUser)
//
// It also holds the one copy of the helpers that the tests of several
// packages share, so that no test file grows its own:
//
//   - raw HTTP: Do (on the test's goroutine; fails the test when the
//     request cannot be made) and Send (goroutines, load loops, clients of
//     their own; returns the error), both answering a Response;
//   - waiting: WaitFor (Timeout), WaitForWithin (another deadline, for
//     benchmarks) and Poll, the one polling loop, for callers that report a
//     timeout their own way. Conditions are polled with a deadline on the
//     real clock; nothing sleeps for a fixed time to wait;
//   - assertions on API errors: WantStatus (a typed client's error; stops
//     the test) and Response.WantError (a raw answer; reports and goes on,
//     so that route walks list every wrong answer). Both hold an error to
//     the API's contract: its status, the code the API sends with that
//     status, and a message;
//   - state as the API shows it: NetworkState (the user's view of one
//     network), Audit, Outbox, WaitOutboxDrained, WaitFailedAttempts; and
//     Server.AuditRows, which reads the audit log from the database without
//     signing anyone in (a sign-in writes audit rows of its own);
//   - MailTo, the matcher of emails for srv.SMTP.WaitFor.
//
// What only one package's tests need stays in that package's
// helpers_test.go.
package backendtest

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"gatepass.dev/backend/internal/auth"
	"gatepass.dev/backend/internal/config"
	"gatepass.dev/backend/internal/gateway"
	"gatepass.dev/backend/internal/mail/smtptest"
	"gatepass.dev/backend/internal/server"
	"gatepass.dev/backend/internal/store/pgtest"
	"gatepass.dev/shared/api"
	"gatepass.dev/shared/client"
)

// Start is the fake clock's start: a fixed instant, so tests are repeatable.
var Start = time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)

// Admin credentials of every test server.
const (
	AdminEmail    = "admin@example.com"
	AdminPassword = "kestrel-Quartz-harbor-81"
	UserPassword  = "lantern-Mosaic-drift-47"
)

// Server is a running test server.
type Server struct {
	*server.Server
	URL  string
	Addr string
	Dir  string
	SMTP *smtptest.Server // nil WithoutSMTP
	Fake *clockwork.FakeClock
	opts options
	stop func()

	// MetricsURL is the base URL of the separate /metrics listener, when
	// the config sets MetricsListen (e.g. "127.0.0.1:0"); else "".
	MetricsURL string
}

type options struct {
	fake      bool
	smtp      bool
	dir       string
	addr      string
	cfg       []func(*config.Config)
	clock     clockwork.Clock
	smtpSrv   *smtptest.Server
	logs      bool
	firstPort int
	dial      func(ctx context.Context, network, addr string) (net.Conn, error)
	database  string // a postgres:// URL, or "" for SQLite in dir
	backend   func(log *slog.Logger) gateway.Backend
}

// EnvStore names the environment variable that selects the tests' store:
// "postgres", or anything else for SQLite.
const EnvStore = "GATEPASS_TEST_STORE"

// Postgres reports whether the tests run on PostgreSQL (EnvStore).
func Postgres() bool { return os.Getenv(EnvStore) == "postgres" }

// StoreName is what /healthz reports as the tests' store: "postgres" or
// "sqlite".
func StoreName() string {
	if Postgres() {
		return "postgres"
	}
	return "sqlite"
}

// SkipOnPostgres skips a test of SQLite itself (its file, its disk) when
// the tests run on PostgreSQL, saying why.
func SkipOnPostgres(tb testing.TB, why string) {
	tb.Helper()
	if Postgres() {
		tb.Skip("SQLite only: " + why)
	}
}

// NewDatabase returns the URL of a new, empty PostgreSQL database for
// replicas to share (WithDatabase), dropped when the test ends; it skips
// the test, loudly, where PostgreSQL is not installed.
func NewDatabase(tb testing.TB) string {
	tb.Helper()
	return pgtest.URL(tb)
}

// WithDatabase keeps the server's data in the PostgreSQL database of url
// (from NewDatabase): servers given the same url are replicas.
func WithDatabase(url string) Option { return func(o *options) { o.database = url } }

// Option configures NewServer.
type Option func(*options)

// WithRealClock runs on the real clock instead of a fake one.
func WithRealClock() Option { return func(o *options) { o.fake = false } }

// WithClock runs on the given clock (e.g. a fake clock shared across a restart).
func WithClock(c clockwork.Clock) Option { return func(o *options) { o.clock = c } }

// WithoutSMTP starts no SMTP server and configures none.
func WithoutSMTP() Option { return func(o *options) { o.smtp = false } }

// WithDataDir uses dir for the database (to restart on the same data).
func WithDataDir(dir string) Option { return func(o *options) { o.dir = dir } }

// WithConfig changes the configuration before start.
func WithConfig(fn func(*config.Config)) Option {
	return func(o *options) { o.cfg = append(o.cfg, fn) }
}

// WithGatewayDial makes the netstack gateway open its host connections with
// dial: tests route a documentation address (e.g. 192.0.2.10, never on a real
// network) into the tunnel and dial a loopback service for it, since
// loopback addresses cannot be reached through a tunnel.
func WithGatewayDial(dial func(ctx context.Context, network, addr string) (net.Conn, error)) Option {
	return func(o *options) { o.dial = dial }
}

// WithGatewayBackend runs the gateways on the backend wrap returns, given
// the default netstack backend (to watch every change made to the real
// devices, say).
func WithGatewayBackend(wrap func(gateway.Backend) gateway.Backend) Option {
	return func(o *options) {
		o.backend = func(log *slog.Logger) gateway.Backend { return wrap(gateway.Netstack{Log: log, Dial: o.dial}) }
	}
}

// WithLogs sends the server's logs to the test log.
func WithLogs() Option { return func(o *options) { o.logs = true } }

// NewServer starts a server that stops at the end of the test.
func NewServer(tb testing.TB, opts ...Option) *Server {
	tb.Helper()
	auth.SetTestCost()
	o := options{fake: true, smtp: true}
	for _, fn := range opts {
		fn(&o)
	}
	if o.dir == "" {
		o.dir = tb.TempDir()
	}
	if o.database == "" && Postgres() {
		o.database = pgtest.URL(tb)
	}
	s := &Server{Dir: o.dir, opts: o}
	s.start(tb)
	return s
}

func (s *Server) start(tb testing.TB) {
	tb.Helper()
	o := &s.opts
	ln, err := net.Listen("tcp", valueOr(o.addr, "127.0.0.1:0"))
	if err != nil {
		tb.Fatalf("listen: %v", err)
	}
	o.addr = ln.Addr().String()
	s.Addr, s.URL = o.addr, "http://"+o.addr
	cfg := &config.Config{Listen: o.addr, DataDir: s.Dir, Database: o.database, PublicURL: s.URL, PendingTTL: 7 * 24 * time.Hour, LogLevel: "info",
		AdminEmail: AdminEmail, AdminPassword: AdminPassword}
	if o.smtp {
		if o.smtpSrv == nil {
			o.smtpSrv = smtptest.Start(tb)
		}
		s.SMTP = o.smtpSrv
		cfg.SMTP = config.SMTP{Host: s.SMTP.Host(), Port: s.SMTP.Port(), From: "Gatepass <gatepass@example.com>", TLS: api.SMTPTLSNone}
	}
	for _, fn := range o.cfg {
		fn(cfg)
	}
	clock := o.clock
	if clock == nil {
		if o.fake {
			s.Fake = clockwork.NewFakeClockAt(Start)
			clock = s.Fake
		} else {
			clock = clockwork.NewRealClock()
		}
		o.clock = clock
	} else if f, ok := clock.(*clockwork.FakeClock); ok {
		s.Fake = f
	}
	log := slog.New(slog.DiscardHandler)
	if o.logs {
		log = slog.New(slog.NewTextHandler(tbWriter{tb}, nil))
	}
	if o.firstPort == 0 {
		// Spread test servers' UDP ports apart: tests of several packages run at once.
		o.firstPort = 20000 + rand.IntN(400)*100
	}
	var backend gateway.Backend
	if o.dial != nil {
		backend = gateway.Netstack{Log: log, Dial: o.dial}
	}
	if o.backend != nil {
		backend = o.backend(log)
	}
	srv, err := server.New(context.Background(), server.Options{Config: cfg, Clock: clock, Logger: log, FirstListenPort: o.firstPort, GatewayBackend: backend})
	if err != nil {
		ln.Close()
		tb.Fatalf("start server: %v", err)
	}
	s.Server = srv
	done := make(chan struct{})
	go func() { defer close(done); _ = srv.Serve(ln) }()
	s.MetricsURL = ""
	if cfg.MetricsListen != "" {
		mln, err := net.Listen("tcp", cfg.MetricsListen)
		if err != nil {
			srv.Close()
			tb.Fatalf("listen for metrics: %v", err)
		}
		s.MetricsURL = "http://" + mln.Addr().String()
		go func() { _ = srv.ServeMetrics(mln) }()
	}
	closed := false
	tb.Cleanup(func() {
		if !closed {
			closed = true
			srv.Close()
			<-done
		}
	})
	s.stop = func() {
		if !closed {
			closed = true
			srv.Close()
			<-done
		}
	}
}

// Stop stops the server (keeping its data); Restart starts it again.
func (s *Server) Stop() { s.stop() }

// Restart stops the server and starts it again on the same data, address,
// SMTP server and clock.
func (s *Server) Restart(tb testing.TB) {
	tb.Helper()
	s.stop()
	s.start(tb)
}

// Now is the server's clock.
func (s *Server) Now() time.Time { return s.Clock.Now().UTC() }

// Advance moves the fake clock forward.
func (s *Server) Advance(d time.Duration) {
	if s.Fake == nil {
		panic("backendtest: Advance needs the fake clock")
	}
	s.Fake.Advance(d)
}

// Client returns a client with no token.
func (s *Server) Client() *client.Client {
	return client.New(s.URL, client.WithHTTPClient(&http.Client{Timeout: 30 * time.Second}))
}

// Login returns a client signed in as email.
func (s *Server) Login(tb testing.TB, email, password string) *client.Client {
	tb.Helper()
	c := s.Client()
	if _, err := c.Login(tb.Context(), email, password); err != nil {
		tb.Fatalf("login %s: %v", email, err)
	}
	return c
}

// Admin returns a client signed in as the first admin.
func (s *Server) Admin(tb testing.TB) *client.Client {
	tb.Helper()
	return s.Login(tb, AdminEmail, AdminPassword)
}

// NewUser creates a user through the admin API and returns a signed-in
// client of theirs.
func (s *Server) NewUser(tb testing.TB, email string, role api.Role) (*client.Client, api.User) {
	tb.Helper()
	u, err := s.Admin(tb).CreateUser(tb.Context(), api.UserInput{Email: email, Name: strings.Split(email, "@")[0], Role: role, Password: UserPassword})
	if err != nil {
		tb.Fatalf("create user %s: %v", email, err)
	}
	return s.Login(tb, email, UserPassword), u
}

// NetworkOption changes a network before it is created.
type NetworkOption func(*api.NetworkInput)

// NewNetwork creates a JIT network through the admin API. Its address range
// is 10.(100+n).0.0/24 for the n-th network of this server.
func (s *Server) NewNetwork(tb testing.TB, name string, opts ...NetworkOption) api.Network {
	tb.Helper()
	admin := s.Admin(tb)
	nets, err := admin.Networks(tb.Context())
	if err != nil {
		tb.Fatal(err)
	}
	cidr := fmt.Sprintf("10.%d.0.0/24", 100+len(nets))
	in := api.NetworkInput{Name: &name, CIDR: &cidr}
	for _, o := range opts {
		o(&in)
	}
	n, err := admin.CreateNetwork(tb.Context(), in)
	if err != nil {
		tb.Fatalf("create network %s: %v", name, err)
	}
	return n
}

type tbWriter struct{ tb testing.TB }

func (w tbWriter) Write(p []byte) (int, error) {
	w.tb.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

func valueOr(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

// ServiceAddr is the documentation address (TEST-NET-1) at which tests put
// a service "behind the gateway": route ServiceRoute through the network and
// give WithGatewayDial(MapTo(listener address)).
const (
	ServiceAddr  = "192.0.2.10"
	ServiceRoute = "192.0.2.0/24"
)

// MapTo returns a gateway dial function that connects every forwarded
// connection to ServiceAddr:port to hostAddr (a loopback listener), and
// refuses anything else.
func MapTo(hostAddr string) func(ctx context.Context, network, addr string) (net.Conn, error) {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		host, _, err := net.SplitHostPort(addr)
		if err != nil || host != ServiceAddr {
			return nil, fmt.Errorf("test gateway: %s is not the test service", addr)
		}
		var d net.Dialer
		return d.DialContext(ctx, network, hostAddr)
	}
}
