package replicas_test

import (
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"gatepass.dev/backend/backendtest"
	"gatepass.dev/backend/internal/mail/smtptest"
	"gatepass.dev/shared/api"
	"gatepass.dev/shared/client"
)

// process is a gatepass-server binary running as a replica.
type process struct {
	URL string
	cmd *exec.Cmd
}

// buildServer builds the gatepass-server binary once per test.
func buildServer(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "gatepass-server")
	build := exec.Command("go", "build", "-o", bin, "gatepass.dev/backend/cmd/gatepass-server")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build gatepass-server: %v\n%s", err, out)
	}
	return bin
}

// startProcess runs the binary bin as a replica on the database db, its
// mail going to catcher, without embedded gateways; it returns once the
// replica answers /healthz.
func startProcess(t *testing.T, bin, db string, catcher *smtptest.Server) *process {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	cmd := exec.Command(bin, "--listen", addr, "--data-dir", t.TempDir(), "--database", db, "--public-url", "http://"+addr,
		"--smtp-host", catcher.Host(), "--smtp-port", strconv.Itoa(catcher.Port()), "--smtp-from", "gatepass@example.com",
		"--smtp-tls", string(api.SMTPTLSNone), "--gateway", "off", "--log-level", "warn")
	cmd.Env = os.Environ()
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &process{URL: "http://" + addr, cmd: cmd}
	t.Cleanup(p.kill)
	backendtest.WaitFor(t, "the replica process to answer /healthz", func() bool {
		r, err := backendtest.Send(nil, http.MethodGet, p.URL+"/healthz", "", "", "")
		return err == nil && r.Status == http.StatusOK
	})
	return p
}

// kill ends the process with SIGKILL: no shutdown of any kind.
func (p *process) kill() {
	if p.cmd.ProcessState == nil {
		_ = p.cmd.Process.Signal(syscall.SIGKILL)
		_ = p.cmd.Wait()
	}
}

// TestKillReplicaMidBurst: replica A — the real gatepass-server, in its
// own process — is killed with SIGKILL in the middle of a burst of
// approvals; replica B (in this process) carries on. Every approval A
// answered with 2xx is in the database; the approvals A never answered
// are made again on B (200, or 409 when A had committed them before it
// died); every grant expires (B's sweeps act on the grants A approved);
// and every requester gets exactly one approval email and one expiry
// email (one Message-ID each), although A died in the middle of its
// deliveries.
func TestKillReplicaMidBurst(t *testing.T) {
	bin := buildServer(t)
	db := backendtest.NewDatabase(t)
	clock := clockwork.NewFakeClockAt(time.Now())
	b := backendtest.NewServer(t, backendtest.WithDatabase(db), backendtest.WithClock(clock))
	a := startProcess(t, bin, db, b.SMTP)
	n := b.NewNetwork(t, "burst")

	const count = 40
	var reqs []api.Request
	for i := range count {
		email := fmt.Sprintf("user%02d@example.com", i)
		c, _ := user(t, b, b.URL, email)
		r, err := c.Request(t.Context(), n.ID, "the burst", 0)
		if err != nil {
			t.Fatal(err)
		}
		reqs = append(reqs, r)
	}
	adminA := client.New(a.URL, client.WithHTTPClient(&http.Client{Timeout: 10 * time.Second}))
	if _, err := adminA.Login(t.Context(), backendtest.AdminEmail, backendtest.AdminPassword); err != nil {
		t.Fatal(err)
	}

	// The burst: four approvers at once on A; A dies after the tenth 2xx.
	var answered [count]atomic.Bool
	var ok atomic.Int32
	killed := make(chan struct{})
	var once sync.Once
	next := make(chan int, count)
	for i := range count {
		next <- i
	}
	close(next)
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				if _, err := adminA.Approve(t.Context(), reqs[i].ID, time.Hour); err == nil {
					answered[i].Store(true)
					if ok.Add(1) == 10 {
						once.Do(func() { a.kill(); close(killed) })
					}
				}
			}
		}()
	}
	wg.Wait()
	once.Do(func() { a.kill(); close(killed) })
	<-killed
	if got := ok.Load(); got < 10 || got == count {
		t.Fatalf("%d approvals answered by A: the kill was not in the middle of the burst", got)
	}

	adminB := b.Admin(t)
	again, committed := 0, 0
	for i, r := range reqs {
		if answered[i].Load() {
			got, err := adminB.AdminRequest(t.Context(), r.ID)
			if err != nil || got.Status != api.StatusApproved {
				t.Errorf("request %d, approved by A with a 2xx: %v %v", i, got.Status, err)
			}
			continue
		}
		_, err := adminB.Approve(t.Context(), r.ID, time.Hour)
		switch statusOf(err) {
		case http.StatusOK:
			again++
		case http.StatusConflict: // A had committed it, and died before it answered
			committed++
		default:
			t.Fatalf("request %d approved again on B: %v", i, err)
		}
	}
	t.Logf("A answered %d approvals before it died and committed %d more unanswered; %d made on B", ok.Load(), committed, again)
	for i, r := range reqs {
		got, err := adminB.AdminRequest(t.Context(), r.ID)
		if err != nil || got.Status != api.StatusApproved {
			t.Fatalf("request %d after the burst: %v %v", i, got.Status, err)
		}
	}

	// Two hours later on B's clock (past every grant of an hour and every
	// lease A held on the outbox): every grant expired, every email sent.
	clock.Advance(2 * time.Hour)
	backendtest.WaitFor(t, "every grant expired", func() bool {
		for _, r := range reqs {
			got, err := adminB.AdminRequest(t.Context(), r.ID)
			if err != nil || got.Status != api.StatusExpired {
				return false
			}
		}
		return true
	})
	for i := range count {
		email := fmt.Sprintf("user%02d@example.com", i)
		for _, subject := range []string{"Access approved", "Access expired"} {
			want := backendtest.MailTo(email, subject)
			b.SMTP.WaitFor(t, want, backendtest.Timeout)
		}
	}
	backendtest.WaitOutboxDrained(t, adminB)
	// Each requester got one approval and one expiry (one Message-ID
	// each). A copy of a message — the same Message-ID twice — is the
	// one case SMTP cannot rule out: a message A's SMTP server accepted
	// just before A died, before A recorded it; A had at most one in
	// flight.
	copies := 0
	for i := range count {
		email := fmt.Sprintf("user%02d@example.com", i)
		for _, subject := range []string{"Access approved", "Access expired"} {
			want := backendtest.MailTo(email, subject)
			sent := map[string]int{}
			for _, m := range b.SMTP.Messages() {
				if want(m) {
					sent[m.Header.Get("Message-Id")]++
				}
			}
			if len(sent) != 1 {
				t.Errorf("%q to %s: %d different emails, want 1", subject, email, len(sent))
			}
			for _, n := range sent {
				copies += n - 1
			}
		}
	}
	t.Logf("messages sent twice (accepted by SMTP as A died): %d", copies)
	if copies > 1 {
		t.Errorf("%d messages sent twice: A had at most one in flight", copies)
	}
}
