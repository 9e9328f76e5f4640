// Command gatepass-gateway is the WireGuard gateway of one Gatepass network,
// run at the site it guards (the office LAN, a VPC, a data centre) and fed
// by gatepass-server: see package gatewayd. Pure Go: it builds with
// CGO_ENABLED=0 for Linux, Windows and macOS.
//
//	gatepass-gateway up --server URL --enroll-token T --state-dir D --mode netstack|tun [--listen-port P] [--lease D]
//
// Exit codes: 0 stopped by a signal, 1 failure, 2 bad usage, 78 revoked by
// the server (its systemd unit does not restart it then).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"gatepass.dev/backend/internal/gatewayd"
)

// version is set at build time (-ldflags "-X main.version=…").
var version = "dev"

// ExitRevoked is the exit code of a revoked gateway (EX_CONFIG).
const ExitRevoked = 78

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

func usage(w io.Writer) {
	fmt.Fprint(w, `gatepass-gateway: the WireGuard gateway of a Gatepass network, at the site it guards.

Usage:
  gatepass-gateway up --server URL --enroll-token TOKEN --state-dir DIR --mode netstack|tun [--listen-port PORT] [--lease DURATION]
  gatepass-gateway version

An admin adds the gateway on the network's page (or POST /api/v1/admin/networks/{id}/gateways)
and is shown the command with a one-time enroll token. The first "up" generates the key pair
in DIR and enrolls; later starts need no token. Run "gatepass-gateway up --help" for the flags.
`)
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		usage(stderr)
		return 2
	}
	switch args[0] {
	case "up":
		return up(args[1:], stderr)
	case "version", "--version":
		fmt.Fprintln(stdout, "gatepass-gateway", version)
		return 0
	case "help", "-h", "--help":
		usage(stdout)
		return 0
	}
	fmt.Fprintf(stderr, "gatepass-gateway: unknown command %q\n\n", args[0])
	usage(stderr)
	return 2
}

func up(args []string, stderr io.Writer) int {
	fs := flag.NewFlagSet("gatepass-gateway up", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var cfg gatewayd.Config
	var logLevel string
	fs.StringVar(&cfg.Server, "server", os.Getenv("GATEPASS_SERVER"), "the Gatepass server's URL (GATEPASS_SERVER)")
	fs.StringVar(&cfg.EnrollToken, "enroll-token", os.Getenv("GATEPASS_ENROLL_TOKEN"), "the one-time enroll token, needed for the first start only (GATEPASS_ENROLL_TOKEN)")
	fs.StringVar(&cfg.StateDir, "state-dir", envOr("GATEPASS_STATE_DIR", envOr("STATE_DIRECTORY", "/var/lib/gatepass-gateway")), "where the key pair, the credential and the peers' endpoints are kept (0700)")
	fs.StringVar(&cfg.Mode, "mode", envOr("GATEPASS_GATEWAY_MODE", "netstack"), "netstack (userspace subnet router, no root) or tun (Linux, root: kernel forwarding)")
	fs.IntVar(&cfg.ListenPort, "listen-port", 0, "the UDP port to listen on (default: the port of the endpoint the admin gave)")
	fs.DurationVar(&cfg.Lease, "lease", 0, "drop every JIT peer after this long without a word from the server (default: the server's lease, 60s; only shorter)")
	fs.StringVar(&logLevel, "log-level", "info", "debug, info, warn or error")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "gatepass-gateway up: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(logLevel)); err != nil {
		fmt.Fprintf(stderr, "gatepass-gateway up: --log-level: %q is not debug, info, warn or error\n", logLevel)
		return 2
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
	cfg.Log, cfg.Version = log, version
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := gatewayd.Up(ctx, cfg)
	var revoked *gatewayd.RevokedError
	switch {
	case err == nil:
		log.Info("stopped")
		return 0
	case errors.As(err, &revoked):
		log.Error("revoked", "err", err)
		fmt.Fprintf(stderr, "gatepass-gateway: %v\n", err)
		return ExitRevoked
	default:
		fmt.Fprintf(stderr, "gatepass-gateway: %s\n", strings.TrimSpace(err.Error()))
		return 1
	}
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}
