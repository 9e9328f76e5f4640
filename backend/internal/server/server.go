// Package server assembles gatepass-server: the store, the lifecycle
// service, the expiry scheduler, the outbox worker, the settings and the
// HTTP API, wired so that every committed change reaches the SSE streams,
// wakes the scheduler and the mail worker. cmd/gatepass-server and the test
// harness (backendtest) both build the server here.
package server

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/jonboulle/clockwork"

	"gatepass.dev/backend/internal/access"
	"gatepass.dev/backend/internal/admin"
	"gatepass.dev/backend/internal/config"
	"gatepass.dev/backend/internal/datadir"
	"gatepass.dev/backend/internal/events"
	"gatepass.dev/backend/internal/events/pgnotify"
	"gatepass.dev/backend/internal/expiry"
	"gatepass.dev/backend/internal/gateway"
	"gatepass.dev/backend/internal/gatewayhub"
	"gatepass.dev/backend/internal/httpapi"
	"gatepass.dev/backend/internal/mail"
	"gatepass.dev/backend/internal/metrics"
	"gatepass.dev/backend/internal/outbox"
	"gatepass.dev/backend/internal/settings"
	"gatepass.dev/backend/internal/signin"
	"gatepass.dev/backend/internal/store"
	"gatepass.dev/backend/internal/web"
	"gatepass.dev/shared/api"
)

// Options configure a Server.
type Options struct {
	Config *config.Config
	Clock  clockwork.Clock // default: the real clock
	Logger *slog.Logger    // default: slog.Default()
	Sender outbox.Sender   // default: the real SMTP sender
	// Out receives the one-time messages for the operator (the generated
	// admin password, the demo credentials). Default io.Discard.
	Out io.Writer
	// FirstListenPort is where new networks' UDP ports start (default 51820).
	FirstListenPort int
	// GatewayBackend replaces the gateway backend chosen by the config.
	GatewayBackend gateway.Backend
}

// Server is a running gatepass-server.
type Server struct {
	Config    *config.Config
	Clock     clockwork.Clock
	Log       *slog.Logger
	DB        *store.DB
	Metrics   *metrics.Metrics
	Bus       *events.Bus
	Settings  *settings.Store
	Access    *access.Service
	Admin     *admin.Service
	Scheduler *expiry.Scheduler
	Outbox    *outbox.Worker
	Gateway   *gatewayhub.Hub
	// Events carries changes to and from the other replicas (PostgreSQL
	// only; nil on SQLite).
	Events *pgnotify.Transport
	// gatewaysLock is held while this replica runs the embedded gateways
	// (PostgreSQL only).
	gatewaysLock *store.Lock
	lockMu       sync.Mutex
	API          *httpapi.Server
	Web          *web.Server
	Handler      http.Handler

	cancel  context.CancelFunc
	ctx     context.Context
	wg      sync.WaitGroup
	mu      sync.Mutex
	servers []*http.Server // Serve's and ServeMetrics's
}

// replicaResync bounds how long the expiry scheduler and the outbox worker
// of a replica wait without looking at the database (PostgreSQL).
const replicaResync = time.Minute

// DatabaseFile is the SQLite file name in the data directory.
const DatabaseFile = "gatepass.db"

// openStore opens the database of the configuration: PostgreSQL for a
// postgres:// --database, else SQLite in the data directory.
func openStore(ctx context.Context, cfg *config.Config) (*store.DB, error) {
	if cfg.UsesPostgres() {
		return store.OpenPostgres(ctx, strings.TrimSpace(cfg.Database))
	}
	return store.Open(ctx, filepath.Join(cfg.DataDir, DatabaseFile))
}

// New prepares the data directory (private and writable, see package
// datadir), opens the database, applies migrations, creates the first admin
// (and the demo data) if the database is empty, and expires what became
// overdue while the server was down. It does not serve yet: see Serve.
func New(ctx context.Context, opt Options) (*Server, error) {
	cfg := opt.Config
	if opt.Clock == nil {
		opt.Clock = clockwork.NewRealClock()
	}
	if opt.Logger == nil {
		opt.Logger = slog.Default()
	}
	if opt.Sender == nil {
		opt.Sender = mail.NewSender()
	}
	if opt.Out == nil {
		opt.Out = io.Discard
	}
	if err := datadir.Prepare(cfg.DataDir, opt.Logger); err != nil {
		return nil, err
	}
	db, err := openStore(ctx, cfg)
	if err != nil {
		return nil, err
	}
	s := &Server{Config: cfg, Clock: opt.Clock, Log: opt.Logger, DB: db, Bus: events.NewBus()}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	backend := gatewayBackend(cfg, opt)
	if err := s.joinReplicas(ctx, backend.Kind()); err != nil {
		s.cancel()
		db.Close()
		return nil, err
	}
	s.Metrics = metrics.New(func() float64 {
		n, _ := store.MailDepth(context.Background(), db)
		return float64(n)
	})
	db.OnWriteFailure = (&writeFailures{clock: opt.Clock, log: opt.Logger, metrics: s.Metrics}).failed
	s.Settings, err = settings.Load(ctx, db, api.Settings{PublicURL: cfg.PublicURL, SMTP: api.SMTPSettings{
		Host: cfg.SMTP.Host, Port: cfg.SMTP.Port, Username: cfg.SMTP.Username, Password: cfg.SMTP.Password, From: cfg.SMTP.From, TLS: cfg.SMTP.TLS,
		AllowInsecureAuth: cfg.SMTP.AllowInsecureAuth,
	}})
	if err != nil {
		db.Close()
		return nil, err
	}
	s.Gateway = gatewayhub.New(gatewayhub.Options{DB: db, Bus: s.Bus, Clock: opt.Clock, Log: opt.Logger, Backend: backend,
		Lease: cfg.GatewayLease, PublicURL: s.Settings.PublicURL})
	s.Access = access.NewService(access.Options{DB: db, Bus: s.Bus, Clock: opt.Clock, Metrics: s.Metrics, Logger: opt.Logger,
		PublicURL: s.Settings.PublicURL, PendingTTL: cfg.PendingTTL, Prepare: s.Gateway.Prepare, Gateway: s.Gateway.GatewayInfo,
		IsGatewayKey: s.Gateway.IsGatewayKey, MaxDevices: s.Settings.MaxDevices})
	// The gateways hear of a change first, so that a removed grant's peer
	// is gone from the embedded gateway (and on its way to a remote one)
	// before anyone is told; then the scheduler (registered by New), the
	// outbox worker, and the streams.
	s.Bus.OnChange(func(c events.Change) {
		if !c.Gateway {
			return
		}
		var err error
		switch {
		case c.Timed:
			s.Gateway.Wake()
		case c.NetworkID == "":
			err = s.Gateway.Sync(s.ctx)
		default:
			err = s.Gateway.SyncNetwork(s.ctx, c.NetworkID)
		}
		if err != nil {
			s.Log.Error("gateway: sync", "network", c.NetworkID, "err", err)
		}
	})
	s.Scheduler = expiry.New(s.Access, s.Bus, db, opt.Clock, opt.Logger)
	s.Outbox = outbox.NewWorker(db, opt.Clock, opt.Sender, s.Settings.SMTP, s.Metrics, opt.Logger)
	if s.Events != nil {
		// A change whose notification died with the replica that made it
		// is found within a minute (the gateway hub resyncs every minute).
		s.Scheduler.Resync, s.Outbox.Resync = replicaResync, replicaResync
	}
	s.Bus.OnChange(func(c events.Change) {
		if c.Mail {
			s.Outbox.Wake()
		}
	})
	// The API and the admin web page share the administration and the
	// sign-in limiter, and serve on one mux behind the API's middleware
	// (server-time header, metrics by route).
	s.Admin = admin.New(admin.Deps{DB: db, Bus: s.Bus, Access: s.Access, Settings: s.Settings, Clock: opt.Clock, Outbox: s.Outbox,
		Sender: opt.Sender, FirstListenPort: opt.FirstListenPort})
	signIn, err := signin.New(ctx, signin.Options{DB: db, Bus: s.Bus, Clock: opt.Clock, Metrics: s.Metrics, Logger: opt.Logger})
	if err != nil {
		s.abort()
		return nil, err
	}
	s.API = httpapi.New(httpapi.Deps{DB: db, Access: s.Access, Settings: s.Settings, Bus: s.Bus, Clock: opt.Clock,
		Metrics: s.Metrics, Logger: opt.Logger, Outbox: s.Outbox, Sender: opt.Sender, Gateway: s.Gateway, FirstListenPort: opt.FirstListenPort,
		Admin: s.Admin, SignIn: signIn, MetricsToken: cfg.MetricsToken, MetricsSeparate: cfg.MetricsListen != ""})
	s.Web = web.New(web.Deps{DB: db, Access: s.Access, Admin: s.Admin, SignIn: signIn, Settings: s.Settings, Bus: s.Bus,
		Gateway: s.Gateway, Gateways: s.Gateway, Mail: s.Outbox, Clock: opt.Clock, Metrics: s.Metrics, Logger: opt.Logger})
	mux := http.NewServeMux()
	s.API.Routes(mux)
	s.Web.Routes(mux)
	s.Handler = s.API.Middleware(mux)

	if err := s.bootstrap(ctx, opt.Out); err != nil {
		s.abort()
		return nil, err
	}
	if _, err := s.Scheduler.CatchUp(ctx); err != nil {
		s.abort()
		return nil, fmt.Errorf("expire overdue grants: %w", err)
	}
	if err := s.Gateway.Sync(ctx); err != nil {
		s.Log.Error("gateway: first sync", "err", err)
	}
	s.wg.Add(3)
	go func() { defer s.wg.Done(); s.Gateway.Run(s.ctx) }()
	go func() { defer s.wg.Done(); s.Scheduler.Run(s.ctx) }()
	go func() { defer s.wg.Done(); s.Outbox.Run(s.ctx) }()
	return s, nil
}

// gatewayBackend is the embedded gateways' backend of the configuration.
func gatewayBackend(cfg *config.Config, opt Options) gateway.Backend {
	if opt.GatewayBackend != nil {
		return opt.GatewayBackend
	}
	switch cfg.Gateway {
	case "tun":
		return gateway.NewTUN(opt.Logger)
	case "off":
		return gateway.Off{}
	}
	return gateway.Netstack{Log: opt.Logger}
}

// abort undoes a failed New.
func (s *Server) abort() {
	s.cancel()
	s.Gateway.Close()
	s.wg.Wait()
	s.releaseGateways()
	s.DB.Close()
}

// Serve serves the API and the admin page on ln until Close.
func (s *Server) Serve(ln net.Listener) error { return s.serve(ln, s.Handler) }

// ServeMetrics serves /metrics alone on ln (--metrics-listen) until Close.
func (s *Server) ServeMetrics(ln net.Listener) error { return s.serve(ln, s.API.MetricsHandler()) }

func (s *Server) serve(ln net.Listener, h http.Handler) error {
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		BaseContext:       func(net.Listener) context.Context { return s.ctx },
		ErrorLog:          slog.NewLogLogger(s.Log.Handler(), slog.LevelWarn),
	}
	s.mu.Lock()
	if s.ctx.Err() != nil { // closed already
		s.mu.Unlock()
		return ln.Close()
	}
	s.servers = append(s.servers, srv)
	s.mu.Unlock()
	err := srv.Serve(ln)
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}

// Close stops serving (ending the SSE streams), stops the workers and
// closes the database.
func (s *Server) Close() error {
	s.cancel()
	s.mu.Lock()
	servers := s.servers
	s.mu.Unlock()
	for _, srv := range servers {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		_ = srv.Shutdown(ctx)
		cancel()
	}
	s.wg.Wait()
	s.releaseGateways()
	return s.DB.Close()
}
