// Command gatepass-server is the Gatepass backend: the JSON API and SSE
// stream for the desktop agents, the admin web page, the request lifecycle,
// the expiry scheduler, the email outbox and the audit log, on SQLite.
//
// Configuration comes from flags, GATEPASS_* environment variables and an
// optional JSON file (--config); see --help.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"syscall"

	"gatepass.dev/backend/internal/config"
	"gatepass.dev/backend/internal/datadir"
	"gatepass.dev/backend/internal/server"
)

func main() {
	os.Exit(run())
}

func run() int {
	// Before anything is opened: nothing this process creates is for other users.
	datadir.RestrictUmask()
	cfg, err := config.Load(os.Args[1:], os.Getenv)
	if errors.Is(err, flag.ErrHelp) {
		config.Usage(os.Stdout)
		return 0
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "gatepass-server: invalid configuration:\n%v\n\nRun gatepass-server --help for the settings.\n", err)
		return 2
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: cfg.SlogLevel()}))
	slog.SetDefault(log)
	log.Info("starting gatepass-server", "config", cfg)

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	srv, err := server.New(ctx, server.Options{Config: cfg, Logger: log, Out: os.Stdout})
	if err != nil {
		log.Error("cannot start", "err", err)
		fmt.Fprintf(os.Stderr, "gatepass-server: cannot start: %v\n", err)
		return 1
	}
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		log.Error("cannot listen", "addr", cfg.Listen, "err", err)
		srv.Close()
		return 1
	}
	errc := make(chan error, 2)
	if cfg.MetricsListen != "" {
		mln, err := net.Listen("tcp", cfg.MetricsListen)
		if err != nil {
			log.Error("cannot listen for /metrics", "addr", cfg.MetricsListen, "err", err)
			ln.Close()
			srv.Close()
			return 1
		}
		log.Info("serving /metrics", "addr", mln.Addr().String(), "token", cfg.MetricsToken != "")
		go func() { errc <- srv.ServeMetrics(mln) }()
	}
	fmt.Printf("Gatepass is running: API %s/api/v1, admin page %s/admin/\n", cfg.PublicURL, cfg.PublicURL)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case <-ctx.Done():
		log.Info("shutting down")
	case err := <-errc:
		if err != nil {
			log.Error("serve", "err", err)
			srv.Close()
			return 1
		}
	}
	if err := srv.Close(); err != nil {
		log.Error("close", "err", err)
		return 1
	}
	return 0
}
