package httpapi_test

// Resilience of the request lifecycle against races, restarts, a failing
// mail server and the real clock. Every part is real (SQLite, the SMTP
// catcher, HTTP); nothing sleeps to wait: conditions are polled with a
// deadline (backendtest.WaitFor, srv.SMTP.WaitFor).

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"gatepass.dev/backend/backendtest"
	"gatepass.dev/backend/internal/config"
	"gatepass.dev/backend/internal/outbox"
	"gatepass.dev/shared/api"
	"gatepass.dev/shared/client"
)

// outboxFind returns the outbox message of a kind to a recipient; ok is
// false when there is none. It fails when there are several.
func outboxFind(t *testing.T, admin *client.Client, kind, to string) (api.OutboxMessage, bool) {
	t.Helper()
	var found []api.OutboxMessage
	for _, m := range backendtest.Outbox(t, admin, "") {
		if m.Kind == kind && strings.EqualFold(m.To, to) {
			found = append(found, m)
		}
	}
	if len(found) > 1 {
		t.Fatalf("%d outbox messages of kind %s to %s, want at most 1: %+v", len(found), kind, to, found)
	}
	if len(found) == 0 {
		return api.OutboxMessage{}, false
	}
	return found[0], true
}

// outboxByID returns one outbox message.
func outboxByID(t *testing.T, admin *client.Client, id int64) api.OutboxMessage {
	t.Helper()
	for _, m := range backendtest.Outbox(t, admin, "") {
		if m.ID == id {
			return m
		}
	}
	t.Fatalf("no outbox message %d", id)
	return api.OutboxMessage{}
}

// waitStatus waits until request id has one of the statuses and returns it.
func waitStatus(t *testing.T, admin *client.Client, id string, want ...api.RequestStatus) api.Request {
	t.Helper()
	var last api.Request
	backendtest.WaitFor(t, "request "+id+" to become "+joinStatuses(want), func() bool {
		r, err := admin.AdminRequest(t.Context(), id)
		if err != nil {
			return false
		}
		last = r
		for _, s := range want {
			if r.Status == s {
				return true
			}
		}
		return false
	})
	return last
}

func joinStatuses(ss []api.RequestStatus) string {
	parts := make([]string, len(ss))
	for i, s := range ss {
		parts[i] = string(s)
	}
	return strings.Join(parts, " or ")
}

// deliver moves the fake clock forward, FirstRetry at a time, until the
// outbox message id is delivered (sent), and returns it. Each round it
// either waits for the worker to make the attempt that is due, or
// advances the clock to the next attempt. It fails if the message gives up
// or is not sent within a bounded number of rounds.
func deliver(t *testing.T, srv *backendtest.Server, admin *client.Client, id int64) api.OutboxMessage {
	t.Helper()
	for range 40 {
		m := outboxByID(t, admin, id)
		switch m.Status {
		case api.OutboxSent:
			return m
		case api.OutboxPending:
		default:
			t.Fatalf("message %d gave up while we waited for its retry: %+v", id, m)
		}
		if m.NextAttemptAt != nil && !srv.Now().Before(*m.NextAttemptAt) {
			// Due: wait for the worker's attempt.
			backendtest.WaitFor(t, "a delivery attempt of message "+strconv.FormatInt(id, 10), func() bool {
				cur := outboxByID(t, admin, id)
				return cur.Status != api.OutboxPending || cur.Attempts > m.Attempts
			})
			continue
		}
		srv.Advance(outbox.FirstRetry)
	}
	t.Fatalf("message %d not delivered after 40 rounds: %+v", id, outboxByID(t, admin, id))
	return api.OutboxMessage{}
}

// TestResilienceConcurrentApprovals: 50 approvals of one request at once,
// from two admins. The compare-and-set lets exactly one win; the others get
// 409; one audit row, one email.
func TestResilienceConcurrentApprovals(t *testing.T) {
	srv := backendtest.NewServer(t)
	admin := srv.Admin(t)
	admin2, _ := srv.NewUser(t, "admin2@example.com", api.RoleAdmin)
	alice, _ := srv.NewUser(t, "alice@example.com", api.RoleUser)
	net := srv.NewNetwork(t, "race-net")
	req, err := alice.Request(t.Context(), net.ID, "race the approvals", 0)
	if err != nil {
		t.Fatal(err)
	}

	const n = 50
	admins := []*client.Client{admin, admin2}
	statuses := make([]int, n)
	errs := make([]error, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			_, err := admins[i%len(admins)].Approve(t.Context(), req.ID, time.Hour)
			errs[i] = err
			if err == nil {
				statuses[i] = 200
			} else {
				statuses[i] = client.StatusOf(err)
			}
		}()
	}
	close(start)
	wg.Wait()

	ok, conflict := 0, 0
	for i, s := range statuses {
		switch s {
		case 200:
			ok++
		case 409:
			conflict++
		default:
			t.Errorf("approval %d: status %d: %v", i, s, errs[i])
		}
	}
	if ok != 1 || conflict != n-1 {
		t.Fatalf("%d approvals succeeded and %d got 409; want 1 and %d", ok, conflict, n-1)
	}
	if got, err := admin.AdminRequest(t.Context(), req.ID); err != nil || got.Status != api.StatusApproved || got.GrantedSeconds != 3600 {
		t.Fatalf("after the race: %v %+v", err, got)
	}
	if rows := backendtest.Audit(t, admin, url.Values{"target": {req.ID}, "action": {"request.approve"}}); len(rows) != 1 {
		t.Fatalf("%d request.approve audit rows, want 1: %+v", len(rows), rows)
	}

	// One approval email arrives; once the outbox is drained there is still
	// only one, and only one was ever queued.
	srv.SMTP.WaitFor(t, backendtest.MailTo("alice@example.com", "Access approved: race-net"), backendtest.Timeout)
	backendtest.WaitOutboxDrained(t, admin)
	if got := countMail(srv, "alice@example.com", "Access approved"); got != 1 {
		t.Fatalf("%d approval emails, want 1", got)
	}
	if m, found := outboxFind(t, admin, "approved", "alice@example.com"); !found || m.Status != api.OutboxSent || m.Attempts != 1 {
		t.Fatalf("approval email in the outbox: found=%v %+v", found, m)
	}
}

// TestResilienceRestartCatchUp: grants that expired while the server was
// down are expired at start, before any further tick of the clock, with
// their lateness in the audit log and one catch-up summary row; a pending
// request older than the pending TTL times out too.
func TestResilienceRestartCatchUp(t *testing.T) {
	const pendingTTL = 2 * time.Hour
	srv := backendtest.NewServer(t, backendtest.WithConfig(func(c *config.Config) { c.PendingTTL = pendingTTL }))
	admin := srv.Admin(t)
	alice, _ := srv.NewUser(t, "alice@example.com", api.RoleUser)
	bob, _ := srv.NewUser(t, "bob@example.com", api.RoleUser)
	nets := []api.Network{srv.NewNetwork(t, "net-1h"), srv.NewNetwork(t, "net-2h"), srv.NewNetwork(t, "net-3h")}
	durations := []time.Duration{time.Hour, 2 * time.Hour, 3 * time.Hour}

	approvedAt := srv.Now()
	var reqs []api.Request
	for i, n := range nets {
		r, err := alice.Request(t.Context(), n.ID, "restart test", 0)
		if err != nil {
			t.Fatal(err)
		}
		if r, err = admin.Approve(t.Context(), r.ID, durations[i]); err != nil {
			t.Fatal(err)
		}
		reqs = append(reqs, r)
	}
	pending, err := bob.Request(t.Context(), nets[0].ID, "left waiting", 0)
	if err != nil {
		t.Fatal(err)
	}
	backendtest.WaitOutboxDrained(t, admin)

	srv.Stop()
	const down = 2*time.Hour + 30*time.Minute
	srv.Advance(down)
	srv.Restart(t)
	restartedAt := srv.Now()
	if want := approvedAt.Add(down); !restartedAt.Equal(want) {
		t.Fatalf("clock after restart %s, want %s", restartedAt, want)
	}

	// At start, with no further clock movement, the catch-up has run.
	admin = srv.Admin(t)
	for i, want := range []api.RequestStatus{api.StatusExpired, api.StatusExpired, api.StatusApproved} {
		r, err := admin.AdminRequest(t.Context(), reqs[i].ID)
		if err != nil {
			t.Fatal(err)
		}
		if r.Status != want {
			t.Errorf("%s grant after restart: %s, want %s", durations[i], r.Status, want)
		}
	}
	if r, err := admin.AdminRequest(t.Context(), pending.ID); err != nil || r.Status != api.StatusExpired {
		t.Errorf("pending request older than the TTL after restart: %v %+v", err, r)
	}

	// Each expiry records how late it was (exact on the fake clock).
	rows := backendtest.Audit(t, admin, url.Values{"action": {"request.expire"}})
	if len(rows) != 2 {
		t.Fatalf("%d request.expire rows, want 2: %+v", len(rows), rows)
	}
	late := map[string]string{}
	for _, r := range rows {
		late[r.TargetID] = r.Details["late_ms"]
		if !r.At.Equal(restartedAt) || r.ActorEmail != "system" {
			t.Errorf("expire row at %s by %q, want at %s by system", r.At, r.ActorEmail, restartedAt)
		}
	}
	for i, want := range []time.Duration{90 * time.Minute, 30 * time.Minute} {
		if got := late[reqs[i].ID]; got != strconv.FormatInt(want.Milliseconds(), 10) {
			t.Errorf("%s grant: late_ms %q, want %d", durations[i], got, want.Milliseconds())
		}
	}
	if rows := backendtest.Audit(t, admin, url.Values{"action": {"request.timeout"}, "target": {pending.ID}}); len(rows) != 1 {
		t.Errorf("%d request.timeout rows for the stale pending request, want 1", len(rows))
	}
	catchUp := backendtest.Audit(t, admin, url.Values{"action": {"expiry.catch_up"}})
	if len(catchUp) != 1 {
		t.Fatalf("%d expiry.catch_up rows, want 1: %+v", len(catchUp), catchUp)
	}
	d := catchUp[0].Details
	if d["grants_expired"] != "2" || d["pending_timed_out"] != "1" || d["max_late_ms"] != strconv.FormatInt((90*time.Minute).Milliseconds(), 10) {
		t.Errorf("catch-up details %v, want grants_expired=2 pending_timed_out=1 max_late_ms=5400000", d)
	}

	// The emails of the catch-up are delivered after the restart.
	srv.SMTP.WaitFor(t, backendtest.MailTo("alice@example.com", "Access expired: net-1h"), backendtest.Timeout)
	srv.SMTP.WaitFor(t, backendtest.MailTo("alice@example.com", "Access expired: net-2h"), backendtest.Timeout)
	srv.SMTP.WaitFor(t, backendtest.MailTo("bob@example.com", "timed out: net-1h"), backendtest.Timeout)
	backendtest.WaitOutboxDrained(t, admin)
	if got := countMail(srv, "alice@example.com", "Access expired"); got != 2 {
		t.Errorf("%d expiry emails after the restart, want 2", got)
	}

	// The 3h grant still expires on time, live, with no new catch-up row.
	srv.Advance(30 * time.Minute)
	waitStatus(t, admin, reqs[2].ID, api.StatusExpired)
	srv.SMTP.WaitFor(t, backendtest.MailTo("alice@example.com", "Access expired: net-3h"), backendtest.Timeout)
	if rows := backendtest.Audit(t, admin, url.Values{"action": {"request.expire"}, "target": {reqs[2].ID}}); len(rows) != 1 || rows[0].Details["late_ms"] != "0" {
		t.Errorf("live expiry of the 3h grant: %+v", rows)
	}
	if n := len(backendtest.Audit(t, admin, url.Values{"action": {"expiry.catch_up"}})); n != 1 {
		t.Errorf("%d catch-up rows after a live expiry, want still 1", n)
	}
}

// TestResilienceSMTPDown: the lifecycle never waits for the mail server.
// An approval while SMTP is down answers 200 and takes effect; the email
// waits in the outbox and is delivered exactly once by a retry after the
// server is back. A 4xx answer is retried too; a 5xx recipient rejection
// fails the message for good, without retries.
func TestResilienceSMTPDown(t *testing.T) {
	srv := backendtest.NewServer(t)
	admin := srv.Admin(t)
	alice, _ := srv.NewUser(t, "alice@example.com", api.RoleUser)
	bob, _ := srv.NewUser(t, "bob@example.com", api.RoleUser)
	net := srv.NewNetwork(t, "mail-net")
	req, err := alice.Request(t.Context(), net.ID, "while the mail server is down", 0)
	if err != nil {
		t.Fatal(err)
	}
	srv.SMTP.WaitFor(t, backendtest.MailTo(backendtest.AdminEmail, "alice@example.com"), backendtest.Timeout)
	backendtest.WaitOutboxDrained(t, admin)

	// --- connection refused ---
	srv.SMTP.Stop()
	approved, err := admin.Approve(t.Context(), req.ID, time.Hour)
	if err != nil {
		t.Fatalf("approve with SMTP down: %v", err)
	}
	if approved.Status != api.StatusApproved {
		t.Fatalf("approved: %+v", approved)
	}
	if n := backendtest.NetworkState(t, alice, net.ID); n.State != api.StateActive {
		t.Fatalf("state with SMTP down: %q, want active", n.State)
	}
	var m api.OutboxMessage
	backendtest.WaitFor(t, "a failed first attempt of the approval email", func() bool {
		var found bool
		m, found = outboxFind(t, admin, "approved", "alice@example.com")
		return found && m.Attempts >= 1
	})
	if m.Status != api.OutboxPending || !strings.Contains(m.LastError, "connection refused") ||
		m.NextAttemptAt == nil || m.NextAttemptAt.Before(srv.Now()) {
		t.Fatalf("approval email after a refused connection: %+v (want pending, connection refused, a next attempt)", m)
	}
	if got := countMail(srv, "alice@example.com", "Access approved"); got != 0 {
		t.Fatalf("%d approval emails with SMTP down", got)
	}

	srv.SMTP.Restart()
	m = deliver(t, srv, admin, m.ID)
	if m.Attempts < 2 || m.SentAt == nil || m.LastError != "" {
		t.Fatalf("delivered approval email: %+v", m)
	}
	srv.SMTP.WaitFor(t, backendtest.MailTo("alice@example.com", "Access approved: mail-net"), backendtest.Timeout)
	backendtest.WaitOutboxDrained(t, admin)
	if got := countMail(srv, "alice@example.com", "Access approved"); got != 1 {
		t.Fatalf("%d approval emails after the retry, want exactly 1", got)
	}

	// --- a temporary 451 is retried ---
	srv.SMTP.FailNext(1, 451)
	if _, err := admin.Revoke(t.Context(), req.ID, "end it"); err != nil {
		t.Fatal(err)
	}
	backendtest.WaitFor(t, "a failed first attempt of the revocation email", func() bool {
		var found bool
		m, found = outboxFind(t, admin, "revoked", "alice@example.com")
		return found && m.Attempts >= 1
	})
	if m.Status != api.OutboxPending || !strings.Contains(m.LastError, "451") {
		t.Fatalf("revocation email after a 451: %+v (want pending with the 451 reply)", m)
	}
	m = deliver(t, srv, admin, m.ID)
	if m.Attempts != 2 {
		t.Errorf("revocation email sent after %d attempts, want 2", m.Attempts)
	}
	srv.SMTP.WaitFor(t, backendtest.MailTo("alice@example.com", "Access revoked: mail-net"), backendtest.Timeout)
	backendtest.WaitOutboxDrained(t, admin)
	if got := countMail(srv, "alice@example.com", "Access revoked"); got != 1 {
		t.Fatalf("%d revocation emails, want 1", got)
	}

	// --- a permanent 550 on RCPT TO fails the message, no retries ---
	srv.SMTP.RejectRecipient("alice@example.com")
	req2, err := alice.Request(t.Context(), net.ID, "once more", 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := admin.Approve(t.Context(), req2.ID, time.Hour); err != nil {
		t.Fatal(err)
	}
	var failed api.OutboxMessage
	backendtest.WaitFor(t, "the approval email to a rejected recipient to fail", func() bool {
		for _, x := range backendtest.Outbox(t, admin, api.OutboxFailed) {
			if x.Kind == "approved" && x.To == "alice@example.com" {
				failed = x
				return true
			}
		}
		return false
	})
	if failed.Attempts != 1 || failed.NextAttemptAt != nil || !strings.Contains(failed.LastError, "550") {
		t.Fatalf("rejected email: %+v (want failed after 1 attempt with the 550, no next attempt)", failed)
	}
	// Long past any back-off, a later delivery round (bob's request mails
	// the admin) does not touch the failed message.
	srv.Advance(2 * outbox.MaxBackoff)
	if _, err := bob.Request(t.Context(), net.ID, "sync point", 0); err != nil {
		t.Fatal(err)
	}
	srv.SMTP.WaitFor(t, backendtest.MailTo(backendtest.AdminEmail, "bob@example.com"), backendtest.Timeout)
	backendtest.WaitOutboxDrained(t, admin)
	if again := outboxByID(t, admin, failed.ID); again.Status != api.OutboxFailed || again.Attempts != 1 {
		t.Fatalf("the rejected email was retried: %+v", again)
	}
	if got := countMail(srv, "alice@example.com", "Access approved"); got != 1 {
		t.Fatalf("%d approval emails received, want still 1", got)
	}
}

// TestResilienceExpiryOnTimeRealClock: on the real clock a 2-second grant
// is expired within a second of its expires_at, which shows that the
// scheduler sleeps until the deadline (woken by the approval) rather than
// polling on a coarse interval. A correctness check, not a benchmark: the
// bound is generous.
func TestResilienceExpiryOnTimeRealClock(t *testing.T) {
	srv := backendtest.NewServer(t, backendtest.WithRealClock())
	admin := srv.Admin(t)
	alice, _ := srv.NewUser(t, "alice@example.com", api.RoleUser)
	net := srv.NewNetwork(t, "realtime")
	req, err := alice.Request(t.Context(), net.ID, "two seconds", 0)
	if err != nil {
		t.Fatal(err)
	}
	approved, err := admin.Approve(t.Context(), req.ID, 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if approved.ExpiresAt == nil {
		t.Fatalf("approved without expires_at: %+v", approved)
	}
	waitStatus(t, admin, req.ID, api.StatusExpired)
	rows := backendtest.Audit(t, admin, url.Values{"action": {"request.expire"}, "target": {req.ID}})
	if len(rows) != 1 {
		t.Fatalf("%d request.expire rows, want 1", len(rows))
	}
	lateMS, err := strconv.ParseInt(rows[0].Details["late_ms"], 10, 64)
	if err != nil {
		t.Fatalf("late_ms %q: %v", rows[0].Details["late_ms"], err)
	}
	t.Logf("expired %d ms after expires_at", lateMS)
	if lateMS < 0 || lateMS >= 1000 {
		t.Fatalf("expired %d ms after expires_at, want under 1000 ms", lateMS)
	}
	srv.SMTP.WaitFor(t, backendtest.MailTo("alice@example.com", "Access expired: realtime"), backendtest.Timeout)
}

// TestResilienceRevokeRacesExpiry: a revocation and the clock passing
// expires_at at the same moment. Either may win; the request ends in
// exactly one terminal state with one audit row and one email.
func TestResilienceRevokeRacesExpiry(t *testing.T) {
	srv := backendtest.NewServer(t)
	admin := srv.Admin(t)
	alice, _ := srv.NewUser(t, "alice@example.com", api.RoleUser)
	net := srv.NewNetwork(t, "race-expiry")

	outcomes := map[api.RequestStatus]int{}
	for round := range 10 {
		req, err := alice.Request(t.Context(), net.ID, "round "+strconv.Itoa(round), 0)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := admin.Approve(t.Context(), req.ID, time.Hour); err != nil {
			t.Fatal(err)
		}
		backendtest.WaitOutboxDrained(t, admin)
		before := countMail(srv, "alice@example.com", "Access expired") + countMail(srv, "alice@example.com", "Access revoked")

		var revokeErr error
		start := make(chan struct{})
		var wg sync.WaitGroup
		wg.Add(2)
		go func() {
			defer wg.Done()
			<-start
			_, revokeErr = admin.Revoke(t.Context(), req.ID, "race")
		}()
		go func() {
			defer wg.Done()
			<-start
			srv.Advance(time.Hour + time.Second)
		}()
		close(start)
		wg.Wait()
		if revokeErr != nil && client.StatusOf(revokeErr) != 409 {
			t.Fatalf("round %d: revoke: %v", round, revokeErr)
		}

		want := []api.RequestStatus{api.StatusRevoked}
		if revokeErr != nil {
			want = []api.RequestStatus{api.StatusExpired}
		}
		final := waitStatus(t, admin, req.ID, want...)
		outcomes[final.Status]++

		backendtest.WaitOutboxDrained(t, admin)
		terminal := 0
		for _, r := range backendtest.Audit(t, admin, url.Values{"target": {req.ID}}) {
			if r.Action == "request.revoke" || r.Action == "request.expire" {
				terminal++
				if r.Action != "request."+map[api.RequestStatus]string{api.StatusRevoked: "revoke", api.StatusExpired: "expire"}[final.Status] {
					t.Errorf("round %d: status %s but audit row %s", round, final.Status, r.Action)
				}
			}
		}
		if terminal != 1 {
			t.Fatalf("round %d: %d terminal audit rows, want 1", round, terminal)
		}
		after := countMail(srv, "alice@example.com", "Access expired") + countMail(srv, "alice@example.com", "Access revoked")
		if after-before != 1 {
			t.Fatalf("round %d (%s): %d end-of-access emails, want 1", round, final.Status, after-before)
		}
	}
	t.Logf("outcomes over 10 rounds: %v", outcomes)
}

// TestResilienceManyConcurrentApprovals: 16 admins' clients approve 64
// different requests at once. Every approval must succeed (200) and
// promptly: none may wait out the SQLite busy timeout or fail with
// "database is locked".
func TestResilienceManyConcurrentApprovals(t *testing.T) {
	srv := backendtest.NewServer(t, backendtest.WithoutSMTP())
	token := srv.Admin(t).Token()
	net := srv.NewNetwork(t, "many-approvals")
	const n, callers = 64, 16
	users := storeUsers(t, srv, "many", n)
	ids := storePending(t, srv, net.ID, users, "many at once")
	hc := keepAliveClient(callers)
	var next atomic.Int64
	var mu sync.Mutex
	var failures []string
	var slowest time.Duration
	var wg sync.WaitGroup
	for range callers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := next.Add(1) - 1; i < n; i = next.Add(1) - 1 {
				start := time.Now()
				r, err := backendtest.Send(hc, http.MethodPost, srv.URL+"/api/v1/admin/requests/"+ids[i]+"/approve", token, "application/json", `{"duration_seconds":3600}`)
				if err == nil && r.Status != http.StatusOK {
					err = fmt.Errorf("approve %s: %d %s", ids[i], r.Status, r.Body)
				}
				took := time.Since(start)
				mu.Lock()
				slowest = max(slowest, took)
				if err != nil {
					failures = append(failures, err.Error())
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if len(failures) > 0 {
		t.Fatalf("%d of %d concurrent approvals failed (slowest %s), e.g. %s", len(failures), n, slowest, failures[0])
	}
	// Far below the 10 s busy timeout: a correctness bound, not a benchmark.
	if slowest > 5*time.Second {
		t.Fatalf("slowest approval took %s: something waited for the busy timeout", slowest)
	}
	if rows := backendtest.Audit(t, srv.Admin(t), url.Values{"action": {"request.approve"}}); len(rows) != n {
		t.Fatalf("%d request.approve audit rows, want %d", len(rows), n)
	}
}
