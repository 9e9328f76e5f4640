// Command gatepassd is the Gatepass agent and its command-line client.
//
//	gatepassd run [--server URL] [--socket PATH] [--state-dir DIR] [--tunnel netstack|tun] [--socks5 ADDR] [--http-proxy ADDR] [--proxy-password]
//	gatepassd login --server URL --email E --password-stdin
//	gatepassd login --server URL --token-stdin      (a service account's API token)
//	gatepassd status [--json]
//	gatepassd request NETWORK --reason R [--duration 8h] [--start S]
//	gatepassd extend NETWORK --reason R --duration D
//	gatepassd break-glass NETWORK --reason R [--duration D]
//	gatepassd cancel|connect|disconnect|release NETWORK
//	gatepassd logout
//	gatepassd devices [--json]
//	gatepassd devices remove ID|NAME [--yes]
//
// `run` is the agent: it holds the login token and the device's WireGuard
// key, watches the backend, drives the tunnels and serves the LocalAPI on
// a unix socket (a named pipe on Windows). The other commands are clients
// of that LocalAPI (all take --socket PATH). Exit codes: 0 ok, 1 failure,
// 2 usage. It is pure Go (no cgo): it cross-compiles for Linux, Windows
// and macOS.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"gatepass.dev/desktop/internal/agent"
	"gatepass.dev/desktop/internal/localapi"
	"gatepass.dev/desktop/internal/tunnel"
	"gatepass.dev/shared/api"
	"gatepass.dev/shared/humantime"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

// commands are the sub-commands of the operating contract, in usage order.
var commands = []string{"run", "login", "status", "request", "extend", "break-glass", "cancel", "connect", "disconnect", "release", "logout", "devices"}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

const usageText = `usage: gatepassd run|login|status|request|extend|break-glass|cancel|connect|disconnect|release|logout|devices [flags]
       gatepassd version

  run          start the agent: --server URL, --socket PATH, --state-dir DIR,
               --tunnel netstack|tun (default: tun when privileged), --socks5 ADDR,
               --http-proxy ADDR (netstack mode; default 127.0.0.1 with a free port),
               --proxy-password (the proxies demand a user name and password on
               Linux too; always on Windows and macOS),
               --credential-store auto|keyring|file, --log-level LEVEL
  login        --server URL --email E --password-stdin
               --server URL --token-stdin   (a service account's API token)
  status       [--json]
  request      NETWORK --reason R [--duration D] [--start S]   (D like 8h, 90m, 2d;
               S: RFC 3339, "in 2h", "tomorrow 09:00", "2026-11-24 09:00", "09:00"
               in this machine's time zone)
  extend       NETWORK --reason R --duration D   more time on your active grant
  break-glass  NETWORK --reason R [--duration D] emergency access at once (where
               the network allows it for you; every approver is alerted)
  cancel       NETWORK   withdraw a pending request
  connect      NETWORK   bring the tunnel up (the network must be active)
  disconnect   NETWORK   bring the tunnel down
  release      NETWORK   give up the grant early
  logout
  devices      [--json]   your devices: name, created, last seen; this one marked
  devices remove ID|NAME [--yes]
               remove a device (asks first on a terminal); removing this
               device signs this machine out

Every client command takes --socket PATH (default: the agent's default).
`

func usage(w io.Writer) { fmt.Fprint(w, usageText) }

// exit codes
const (
	exitOK      = 0
	exitFailure = 1
	exitUsage   = 2
)

// errUsage marks a usage error (exit 2); its text is printed before the usage.
type errUsage struct{ msg string }

func (e errUsage) Error() string { return e.msg }

func usageErr(format string, args ...any) error { return errUsage{fmt.Sprintf(format, args...)} }

// run executes one invocation and returns the process exit code.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		usage(stderr)
		return exitUsage
	}
	cmd, rest := args[0], args[1:]
	var err error
	switch cmd {
	case "-h", "-help", "--help", "help":
		usage(stdout)
		return exitOK
	case "version", "--version":
		fmt.Fprintln(stdout, "gatepassd", version)
		return exitOK
	case "run":
		err = runAgent(ctx, rest, stderr)
	case "login":
		err = cmdLogin(ctx, rest, stdin, stdout)
	case "status":
		err = cmdStatus(ctx, rest, stdout)
	case "request":
		err = cmdRequest(ctx, rest, stdout)
	case "extend":
		err = cmdExtend(ctx, rest, stdout)
	case "break-glass":
		err = cmdBreakGlass(ctx, rest, stdout)
	case "cancel", "connect", "disconnect", "release":
		err = cmdNetwork(ctx, cmd, rest, stdout)
	case "logout":
		err = cmdLogout(ctx, rest, stdout)
	case "devices":
		err = cmdDevices(ctx, rest, stdin, stdout, stderr)
	default:
		fmt.Fprintf(stderr, "gatepassd: unknown command %q\n", cmd)
		usage(stderr)
		return exitUsage
	}
	var ue errUsage
	switch {
	case err == nil:
		return exitOK
	case errors.Is(err, flag.ErrHelp):
		usage(stdout)
		return exitOK
	case errors.As(err, &ue):
		fmt.Fprintf(stderr, "gatepassd %s: %s\n", cmd, ue.msg)
		usage(stderr)
		return exitUsage
	default:
		fmt.Fprintf(stderr, "gatepassd %s: %s\n", cmd, describe(err))
		return exitFailure
	}
}

// describe makes an error readable for a person.
func describe(err error) string {
	if errors.Is(err, localapi.ErrNotRunning) {
		return "gatepassd is not running: start it with `gatepassd run`"
	}
	var ae *api.Error
	if errors.As(err, &ae) {
		return ae.Message
	}
	return err.Error()
}

// flagSet returns a flag set that reports errors instead of exiting.
func flagSet(name string) *flag.FlagSet {
	fs := flag.NewFlagSet("gatepassd "+name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	return fs
}

// parse parses flags and positional arguments in any order; it returns the
// positional ones.
func parse(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, err
			}
			return nil, usageErr("%v", err)
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

// ---- the agent ----

func runAgent(ctx context.Context, args []string, stderr io.Writer) error {
	fs := flagSet("run")
	server := fs.String("server", os.Getenv("GATEPASS_SERVER"), "backend URL used when a login names none")
	socket := fs.String("socket", localapi.DefaultSocketPath(), "LocalAPI socket (named pipe on Windows)")
	stateDir := fs.String("state-dir", defaultStateDir(), "state directory (prefs, session, device key)")
	mode := fs.String("tunnel", "", "tunnel mode: netstack or tun (default: tun when privileged, else netstack)")
	socks := fs.String("socks5", "", "SOCKS5 proxy address (netstack mode; default 127.0.0.1 with a free port)")
	httpProxy := fs.String("http-proxy", "", "HTTP proxy address (netstack mode; default 127.0.0.1 with a free port)")
	proxyPassword := fs.Bool("proxy-password", false, "the proxies demand the per-install user name and password (netstack mode; always on Windows and macOS)")
	logLevel := fs.String("log-level", "info", "debug, info, warn or error")
	store := fs.String("credential-store", "auto", "where the login token is kept: auto (the OS keyring, else a 0600 file in the state dir), keyring or file")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usageErr("unexpected argument %q", pos[0])
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(*logLevel)); err != nil {
		return usageErr("--log-level: %v", err)
	}
	if *mode == "" {
		*mode = localapi.ModeNetstack
		if tunnel.Privileged() {
			*mode = localapi.ModeTUN
		}
	}
	if *stateDir == "" {
		return usageErr("--state-dir: no default (no user config dir): give one")
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
	var creds agent.Store
	switch *store {
	case "auto":
		creds = agent.NewCredentialStore(*stateDir, log)
	case "keyring":
		creds = agent.KeyringStore{}
	case "file":
		creds = &agent.FileStore{Path: filepath.Join(*stateDir, "credentials.json")}
	default:
		return usageErr("--credential-store: %q is not auto, keyring or file", *store)
	}
	logf := func(format string, a ...any) { log.Warn(fmt.Sprintf(format, a...)) }

	switch *mode {
	case localapi.ModeNetstack:
	case localapi.ModeTUN:
		if *socks != "" || *httpProxy != "" || *proxyPassword {
			return usageErr("--socks5, --http-proxy and --proxy-password are for --tunnel netstack")
		}
	default:
		return usageErr("--tunnel: %q is not netstack or tun", *mode)
	}
	// The socket first: it makes sure no other agent runs for this user
	// before anything (a tunnel) is touched.
	ln, err := localapi.Listen(*socket)
	if err != nil {
		return err
	}
	defer ln.Close()

	var backend tunnel.Backend
	switch *mode {
	case localapi.ModeNetstack:
		var auth *tunnel.ProxyAuth
		if auth, err = proxyAuth(*stateDir, *proxyPassword); err == nil {
			backend, err = tunnel.NewNetstack(tunnel.NetstackOptions{SOCKS5Addr: *socks, HTTPProxyAddr: *httpProxy, Auth: auth, Logf: logf})
		}
	case localapi.ModeTUN:
		backend, err = tunnel.NewTUN(tunnel.TUNOptions{Logf: logf})
	}
	if err != nil {
		return err
	}
	defer backend.Close()

	a, err := agent.New(agent.Options{StateDir: *stateDir, Backend: backend, Credentials: creds, DefaultServer: *server, Logger: log})
	if err != nil {
		return err
	}
	defer a.Close()
	srv := localapi.NewServer(a, log)
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	socks5, hp := backend.Proxies()
	log.Info("gatepassd running", "version", version, "socket", *socket, "tunnel", *mode, "socks5", socks5, "http_proxy", hp, "state_dir", *stateDir)
	select {
	case <-ctx.Done():
		log.Info("gatepassd stopping")
		srv.Close()
		<-done
		return nil
	case err := <-done:
		return err
	}
}

func defaultStateDir() string {
	d, err := os.UserConfigDir()
	if err != nil {
		return ""
	}
	return filepath.Join(d, "gatepass")
}

// ---- clients ----

func clientFlags(name string) (*flag.FlagSet, *string) {
	fs := flagSet(name)
	socket := fs.String("socket", localapi.DefaultSocketPath(), "the agent's LocalAPI socket (named pipe on Windows)")
	return fs, socket
}

// callTimeout bounds a client command (connect waits for the tunnel).
const callTimeout = 60 * time.Second

func cmdLogin(ctx context.Context, args []string, stdin io.Reader, stdout io.Writer) error {
	fs, socket := clientFlags("login")
	server := fs.String("server", "", "backend URL (default: the agent's --server)")
	email := fs.String("email", "", "your email")
	pwStdin := fs.Bool("password-stdin", false, "read the password from standard input")
	tokenStdin := fs.Bool("token-stdin", false, "read a service account's API token from standard input (no email, no password)")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usageErr("unexpected argument %q", pos[0])
	}
	if *tokenStdin && (*email != "" || *pwStdin) {
		return usageErr("--token-stdin signs in a service account by its API token alone: leave out --email and --password-stdin")
	}
	if !*tokenStdin {
		if *email == "" {
			return usageErr("--email is required (a service account: --token-stdin)")
		}
		if !*pwStdin {
			return usageErr("--password-stdin is required (e.g. `gatepassd login --email E --password-stdin < file`): passwords are never taken as arguments")
		}
	}
	what := "password"
	if *tokenStdin {
		what = "API token"
	}
	b, err := io.ReadAll(io.LimitReader(stdin, 4096))
	if err != nil {
		return fmt.Errorf("read the %s: %w", what, err)
	}
	secret := strings.TrimRight(string(b), "\r\n")
	if *tokenStdin {
		secret = strings.TrimSpace(secret)
	}
	if secret == "" {
		return usageErr("no %s on standard input", what)
	}
	ctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	in := localapi.LoginRequest{Server: *server, Email: *email, Password: secret}
	if *tokenStdin {
		in = localapi.LoginRequest{Server: *server, Token: secret}
	}
	st, err := localapi.NewClient(*socket).LoginWith(ctx, in)
	if err != nil {
		return err
	}
	name, kind := *email, ""
	if st.User != nil {
		name = st.User.Email
		if st.User.Service {
			kind = " (a service account)"
		}
	}
	fmt.Fprintf(stdout, "Signed in to %s as %s%s.\n", st.Server, name, kind)
	return nil
}

func cmdLogout(ctx context.Context, args []string, stdout io.Writer) error {
	fs, socket := clientFlags("logout")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usageErr("unexpected argument %q", pos[0])
	}
	ctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	if _, err := localapi.NewClient(*socket).Logout(ctx); err != nil {
		return err
	}
	fmt.Fprintln(stdout, "Signed out.")
	return nil
}

func cmdStatus(ctx context.Context, args []string, stdout io.Writer) error {
	fs, socket := clientFlags("status")
	asJSON := fs.Bool("json", false, "print the status as JSON")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usageErr("unexpected argument %q", pos[0])
	}
	ctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	st, err := localapi.NewClient(*socket).Status(ctx)
	if err != nil {
		return err
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(st)
	}
	printStatus(stdout, st)
	return nil
}

// parseAsk parses the flags and the one network of a command that asks
// for access (request, extend, break-glass): a reason (*reason, read after
// parsing; noReason: the usage error without one) and a duration (*dur;
// noDuration: the usage error when it is required and missing, "" when it
// is optional).
func parseAsk(fs *flag.FlagSet, args []string, reason, dur *string, noReason, noDuration string) (network string, d time.Duration, err error) {
	pos, err := parse(fs, args)
	if err != nil {
		return "", 0, err
	}
	if len(pos) != 1 {
		return "", 0, usageErr("name one network")
	}
	if strings.TrimSpace(*reason) == "" {
		return "", 0, usageErr("%s", noReason)
	}
	if *dur == "" {
		if noDuration != "" {
			return "", 0, usageErr("%s", noDuration)
		}
		return pos[0], 0, nil
	}
	if d, err = wishedDuration(*dur); err != nil {
		return "", 0, usageErr("--duration: %v", err)
	}
	return pos[0], d, nil
}

// wishedDuration reads --duration: any duration humantime.Parse reads
// ("8h", "90m", "1d 12h", "2w"), of a second or more.
func wishedDuration(s string) (time.Duration, error) {
	d, err := humantime.Parse(s)
	if err != nil {
		return 0, err
	}
	if d < time.Second {
		return 0, fmt.Errorf("%q is too short: a second or more", s)
	}
	return d, nil
}

func cmdRequest(ctx context.Context, args []string, stdout io.Writer) error {
	fs, socket := clientFlags("request")
	reason := fs.String("reason", "", "why you need access (required)")
	dur := fs.String("duration", "", "the duration you wish for, e.g. 8h, 90m, 2d (the admin decides)")
	start := fs.String("start", "", `when the access starts, for a window later: RFC 3339, "in 2h", "tomorrow 09:00" (default: at approval)`)
	network, d, err := parseAsk(fs, args, reason, dur, "--reason is required", "")
	if err != nil {
		return err
	}
	pos := []string{network}
	if *start != "" {
		if _, err := parseStart(*start, time.Now(), time.Local); err != nil {
			return usageErr("--start: %v", err)
		}
	}
	ctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	c := localapi.NewClient(*socket)
	starts, err := requestStart(ctx, c, *start)
	if err != nil {
		return err
	}
	st, err := c.RequestWith(ctx, pos[0], localapi.AccessRequest{Reason: *reason, DurationSeconds: int64(d / time.Second), StartsAt: starts})
	if err != nil {
		return err
	}
	state := api.StatePending
	n, ok := st.NetworkByName(pos[0])
	if ok {
		state = n.State
	}
	from := ""
	if starts != nil {
		from = " from " + localTime(*starts, time.Local)
	}
	switch {
	case state == api.StatePending:
		fmt.Fprintf(stdout, "Requested access to %s%s: pending an admin's approval.\n", pos[0], from)
	case state == api.StateScheduled && n.StartsAt != nil:
		fmt.Fprintf(stdout, "Requested access to %s: approved, starts in %s.\n", pos[0], humantime.Countdown(n.StartsAt.Sub(st.ServerTime)))
	default:
		fmt.Fprintf(stdout, "Requested access to %s: now %s.\n", pos[0], state)
	}
	return nil
}

func cmdNetwork(ctx context.Context, cmd string, args []string, stdout io.Writer) error {
	fs, socket := clientFlags(cmd)
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usageErr("name one network")
	}
	ctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	c := localapi.NewClient(*socket)
	name := pos[0]
	var st localapi.Status
	switch cmd {
	case "cancel":
		st, err = c.Cancel(ctx, name)
	case "connect":
		st, err = c.Connect(ctx, name)
	case "disconnect":
		st, err = c.Disconnect(ctx, name)
	case "release":
		st, err = c.Release(ctx, name)
	}
	if err != nil {
		return err
	}
	n, _ := st.NetworkByName(name)
	switch cmd {
	case "cancel":
		fmt.Fprintf(stdout, "Cancelled the request for %s.\n", name)
	case "connect":
		msg := fmt.Sprintf("Connected to %s", name)
		if n.Address != "" {
			msg += " as " + n.Address
		}
		if n.State == api.StateActive && n.ExpiresAt != nil {
			msg += "; access expires in " + timeLeft(n.ExpiresAt.Sub(st.ServerTime))
		}
		fmt.Fprintln(stdout, msg+".")
	case "disconnect":
		fmt.Fprintf(stdout, "Disconnected from %s.\n", name)
	case "release":
		fmt.Fprintf(stdout, "Released the access to %s.\n", name)
	}
	return nil
}
