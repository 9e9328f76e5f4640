// Package pgtest gives tests a real PostgreSQL: a throwaway cluster made
// with initdb and started with pg_ctl in a temporary directory, listening
// on a unix socket in that directory only (no TCP port to collide with the
// tests of other packages running at the same time), with fsync off.
//
//	url := pgtest.URL(t)          // a new, empty database in this test process's cluster
//	c := pgtest.NewCluster(t)     // a cluster of the test's own (it can Stop and Start it)
//
// The binaries come from $PATH or Debian's /usr/lib/postgresql/<version>/bin
// (the postgresql package). PostgreSQL refuses to run as root, so when the
// tests run as root the cluster is made and run as the user "postgres"
// (runuser). Without the binaries (or, as root, without that user) the
// test is skipped with a loud message — except under CI (CI set in the
// environment), where it fails: CI installs the package and never skips.
//
// The process-wide cluster of URL is started on first use and removed when
// the test process ends, however it ends: a small reaper process waits for
// the end of a pipe this process holds open, then stops the cluster and
// removes its directory.
package pgtest

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// Cluster is a running PostgreSQL cluster.
type Cluster struct {
	dir     string // owned by the cluster's user; holds data/, the socket and the log
	bin     string
	asUser  string // "postgres" when the tests run as root, else ""
	mu      sync.Mutex
	running bool
}

var (
	shared     *Cluster
	sharedErr  error
	sharedOnce sync.Once
	seq        atomic.Int64
	reaperPipe *os.File // held open for the life of the process (see the package doc)
)

// URL returns the URL of a new, empty database in this test process's
// cluster, dropped when the test ends.
func URL(tb testing.TB) string {
	tb.Helper()
	sharedOnce.Do(func() { shared, sharedErr = startShared() })
	if sharedErr != nil {
		unavailable(tb, sharedErr)
	}
	return shared.NewDatabase(tb)
}

// NewCluster starts a cluster of the test's own, stopped and removed when
// the test ends.
func NewCluster(tb testing.TB) *Cluster {
	tb.Helper()
	c, err := newCluster()
	if err != nil {
		unavailable(tb, err)
	}
	tb.Cleanup(func() {
		c.stop("immediate")
		os.RemoveAll(c.dir)
	})
	return c
}

// errMissing is the reason tests are skipped.
type errMissing struct{ why string }

func (e errMissing) Error() string { return e.why }

func unavailable(tb testing.TB, err error) {
	tb.Helper()
	var m errMissing
	if !errors.As(err, &m) {
		tb.Fatalf("pgtest: %v", err)
	}
	msg := "SKIPPED — NO POSTGRESQL: " + m.why + ". Install Debian's postgresql package (.ci/run does) to run the PostgreSQL tests."
	if os.Getenv("CI") != "" {
		tb.Fatal(msg + " (CI must not skip them)")
	}
	fmt.Fprintln(os.Stderr, "\n*** "+msg+" ***")
	tb.Skip(msg)
}

func startShared() (*Cluster, error) {
	c, err := newCluster()
	if err != nil {
		return nil, err
	}
	if err := c.reapAtExit(); err != nil {
		c.stop("immediate")
		os.RemoveAll(c.dir)
		return nil, err
	}
	return c, nil
}

// binDir finds the directory of initdb, pg_ctl and postgres.
func binDir() (string, error) {
	if p, err := exec.LookPath("pg_ctl"); err == nil {
		if dir := filepath.Dir(p); fileExists(filepath.Join(dir, "initdb")) && fileExists(filepath.Join(dir, "postgres")) {
			return dir, nil
		}
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool { return version(dirs[i]) > version(dirs[j]) })
	for _, d := range dirs {
		if fileExists(filepath.Join(d, "initdb")) && fileExists(filepath.Join(d, "pg_ctl")) && fileExists(filepath.Join(d, "postgres")) {
			return d, nil
		}
	}
	return "", errMissing{"initdb, pg_ctl and postgres are neither on $PATH nor in /usr/lib/postgresql/*/bin"}
}

func version(binDir string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(binDir)))
	return n
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

func newCluster() (*Cluster, error) {
	bin, err := binDir()
	if err != nil {
		return nil, err
	}
	c := &Cluster{bin: bin}
	dir, err := os.MkdirTemp("", "gatepass-pg-")
	if err != nil {
		return nil, err
	}
	c.dir = dir
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			os.RemoveAll(dir)
			return nil, errMissing{"the tests run as root and there is no user \"postgres\" to run PostgreSQL as"}
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		if err := os.Chown(dir, uid, gid); err != nil {
			os.RemoveAll(dir)
			return nil, err
		}
		c.asUser = "postgres"
	}
	out, err := c.command("initdb", "-D", c.data(), "-U", "postgres", "--auth=trust", "--encoding=UTF8", "--locale=C.UTF-8", "--no-sync").CombinedOutput()
	if err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("initdb: %v: %s", err, out)
	}
	if err := c.Start(); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	return c, nil
}

func (c *Cluster) data() string { return filepath.Join(c.dir, "data") }

// command runs a PostgreSQL binary as the cluster's user.
func (c *Cluster) command(name string, args ...string) *exec.Cmd {
	path := filepath.Join(c.bin, name)
	if c.asUser == "" {
		return exec.Command(path, args...)
	}
	return exec.Command("runuser", append([]string{"-u", c.asUser, "--", path}, args...)...)
}

// Start starts the cluster (again).
func (c *Cluster) Start() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.running {
		return nil
	}
	opts := strings.Join([]string{
		"-c listen_addresses=''", "-k " + c.dir, "-c fsync=off", "-c synchronous_commit=off", "-c full_page_writes=off",
		"-c max_connections=300", "-c shared_buffers=32MB",
	}, " ")
	out, err := c.command("pg_ctl", "-D", c.data(), "-l", filepath.Join(c.dir, "log"), "-o", opts, "-w", "-t", "60", "start").CombinedOutput()
	if err != nil {
		log, _ := os.ReadFile(filepath.Join(c.dir, "log"))
		return fmt.Errorf("pg_ctl start: %v: %s\n%s", err, out, log)
	}
	c.running = true
	return nil
}

// Stop stops the cluster at once (connections are cut).
func (c *Cluster) Stop() error {
	return c.stop("fast")
}

func (c *Cluster) stop(mode string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.running {
		return nil
	}
	out, err := c.command("pg_ctl", "-D", c.data(), "-m", mode, "-w", "stop").CombinedOutput()
	if err != nil {
		return fmt.Errorf("pg_ctl stop: %v: %s", err, out)
	}
	c.running = false
	return nil
}

// URLOf is the URL of a database of the cluster (on its unix socket).
func (c *Cluster) URLOf(database string) string {
	return "postgres://postgres@/" + database + "?host=" + url.QueryEscape(c.dir) + "&sslmode=disable"
}

// NewDatabase creates an empty database, dropped when the test ends, and
// returns its URL.
func (c *Cluster) NewDatabase(tb testing.TB) string {
	tb.Helper()
	name := fmt.Sprintf("t%d_%d", os.Getpid(), seq.Add(1))
	if err := c.admin(context.Background(), "CREATE DATABASE "+name+" TEMPLATE template0"); err != nil {
		tb.Fatalf("pgtest: create database: %v", err)
	}
	tb.Cleanup(func() {
		if err := c.admin(context.Background(), "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			tb.Logf("pgtest: drop database %s: %v", name, err)
		}
	})
	return c.URLOf(name)
}

// admin runs one statement on the cluster's postgres database.
func (c *Cluster) admin(ctx context.Context, stmt string) error {
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	conn, err := pgx.Connect(ctx, c.URLOf("postgres"))
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, stmt)
	return err
}

// reapAtExit starts the reaper of the process-wide cluster: a shell in a
// session of its own that reads the pipe this process holds until it
// closes (the process ended), then stops the cluster and removes it.
func (c *Cluster) reapAtExit() error {
	r, w, err := os.Pipe()
	if err != nil {
		return err
	}
	stop := c.command("pg_ctl", "-D", c.data(), "-m", "immediate", "stop")
	script := "cat >/dev/null; " + shellJoin(stop.Args) + " >/dev/null 2>&1; rm -rf " + shellQuote(c.dir)
	cmd := exec.Command("sh", "-c", script)
	cmd.Stdin = r
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		r.Close()
		w.Close()
		return err
	}
	r.Close()
	go func() { _ = cmd.Wait() }() // it ends after this process
	reaperPipe = w
	return nil
}

func shellJoin(args []string) string {
	q := make([]string, len(args))
	for i, a := range args {
		q[i] = shellQuote(a)
	}
	return strings.Join(q, " ")
}

func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }
