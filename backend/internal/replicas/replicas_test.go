package replicas_test

import (
	"bufio"
	"errors"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"gatepass.dev/backend/backendtest"
	"gatepass.dev/backend/internal/server"
	"gatepass.dev/shared/api"
	"gatepass.dev/shared/client"
)

// TestApprovalRaceAcrossReplicas: twenty approvals of one request at once,
// split across two replicas, have one winner: one 200, nineteen 409s, one
// audit row, one email to the requester.
func TestApprovalRaceAcrossReplicas(t *testing.T) {
	rs := backendtest.NewReplicas(t, 2)
	a, b := rs[0], rs[1]
	net := a.NewNetwork(t, "race")
	alice, _ := user(t, a, b.URL, "alice@example.com")
	req, err := alice.Request(t.Context(), net.ID, "the race", 0)
	if err != nil {
		t.Fatal(err)
	}
	admins := []*client.Client{a.Admin(t), b.Admin(t)}
	const n = 20
	start := make(chan struct{})
	codes := make([]int, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			_, err := admins[i%2].Approve(t.Context(), req.ID, time.Hour)
			codes[i] = statusOf(err)
		}()
	}
	close(start)
	wg.Wait()
	count := map[int]int{}
	for _, c := range codes {
		count[c]++
	}
	if count[http.StatusOK] != 1 || count[http.StatusConflict] != n-1 {
		t.Fatalf("outcomes %v, want one 200 and %d 409s", count, n-1)
	}
	rows := backendtest.Audit(t, admins[1], url.Values{"action": {"request.approve"}, "target": {req.ID}})
	if len(rows) != 1 {
		t.Errorf("%d request.approve audit rows, want 1", len(rows))
	}
	a.SMTP.WaitFor(t, backendtest.MailTo("alice@example.com", "approved"), backendtest.Timeout)
	backendtest.WaitOutboxDrained(t, admins[0])
	got := 0
	for _, m := range a.SMTP.Messages() {
		if backendtest.MailTo("alice@example.com", "approved")(m) {
			got++
		}
	}
	if got != 1 {
		t.Errorf("%d approval emails to alice, want 1", got)
	}
}

func statusOf(err error) int {
	if err == nil {
		return http.StatusOK
	}
	var ae *api.Error
	if errors.As(err, &ae) {
		return ae.Status
	}
	return -1
}

// TestLiveAcrossReplicas: what happens on replica A reaches, live, the
// user's stream on replica B, the admin page's live updates on B and a
// remote gateway connected to B — through the database's notifications
// alone: the clock is a fake one, so no replica's periodic resync runs.
func TestLiveAcrossReplicas(t *testing.T) {
	rs := backendtest.NewReplicas(t, 2)
	a, b := rs[0], rs[1]
	net := a.NewNetwork(t, "live")
	aliceOnA, aliceU := user(t, a, a.URL, "alice@example.com")
	aliceOnB := login(t, b.URL, "alice@example.com", backendtest.UserPassword)
	w := newWatch(t, aliceOnB)
	w.until(t, "the snapshot on B", networkState(net.ID, api.StateRequest))
	page := adminPageEvents(t, a, b)

	req, err := aliceOnA.Request(t.Context(), net.ID, "made on A", 0)
	if err != nil {
		t.Fatal(err)
	}
	w.until(t, "the request made on A, on B's stream", networkState(net.ID, api.StatePending))
	page.until(t, "the admin page's change on B")

	if _, err := a.Admin(t).Approve(t.Context(), req.ID, time.Hour); err != nil {
		t.Fatal(err)
	}
	w.until(t, "the approval made on A, on B's stream", networkState(net.ID, api.StateActive))
	page.until(t, "the admin page's change on B after the approval")
	if st := backendtest.NetworkState(t, aliceOnB, net.ID); st.State != api.StateActive || st.Request == nil || st.Request.ID != req.ID {
		t.Fatalf("alice's network on B: %+v", st)
	}
	_ = aliceU
}

// pageEvents is the admin page's live-update stream (/admin/events).
type pageEvents struct{ lines chan string }

// adminPageEvents signs an admin in to the web page on replica in, and
// opens the page's live updates on replica on with that session: a session
// made on one replica is good on every other.
func adminPageEvents(t *testing.T, in, on *backendtest.Server) *pageEvents {
	t.Helper()
	jar := newJar(t, in, on)
	hc := &http.Client{Jar: jar, Timeout: 10 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	webSignIn(t, hc, in.URL)
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, on.URL+"/admin/events", nil)
	if err != nil {
		t.Fatal(err)
	}
	stream := &http.Client{Jar: jar}
	resp, err := stream.Do(req)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("the admin page's events on the other replica: %v %v", resp, err)
	}
	p := &pageEvents{lines: make(chan string, 256)}
	go func() {
		defer resp.Body.Close()
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			p.lines <- sc.Text()
		}
		close(p.lines)
	}()
	t.Cleanup(func() { resp.Body.Close() })
	return p
}

func (p *pageEvents) until(t *testing.T, what string) {
	t.Helper()
	deadline := time.NewTimer(backendtest.Timeout)
	defer deadline.Stop()
	for {
		select {
		case l, ok := <-p.lines:
			if !ok {
				t.Fatalf("the admin page's stream ended before %s", what)
			}
			if l == "event: change" {
				return
			}
		case <-deadline.C:
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

// newJar is a cookie jar that gives the cookies of one replica to the
// others: they are one site behind a load balancer.
func newJar(t *testing.T, servers ...*backendtest.Server) http.CookieJar {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &sharedJar{jar: jar, servers: servers}
}

type sharedJar struct {
	jar     *cookiejar.Jar
	servers []*backendtest.Server
}

func (j *sharedJar) SetCookies(u *url.URL, cookies []*http.Cookie) {
	for _, s := range j.servers {
		su, _ := url.Parse(s.URL)
		j.jar.SetCookies(su, cookies)
	}
}

func (j *sharedJar) Cookies(u *url.URL) []*http.Cookie { return j.jar.Cookies(u) }

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// webSignIn signs the admin in to the web page at base through its form.
func webSignIn(t *testing.T, hc *http.Client, base string) string {
	t.Helper()
	resp, err := hc.Get(base + "/admin/login")
	if err != nil {
		t.Fatal(err)
	}
	body := readAll(t, resp)
	m := csrfField.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no CSRF field on the sign-in page")
	}
	form := url.Values{"csrf": {m[1]}, "email": {backendtest.AdminEmail}, "password": {backendtest.AdminPassword}, "next": {"/admin/requests"}}
	resp, err = postForm(hc, base, "/admin/login", form)
	if err != nil || resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign in: %v %v", resp, err)
	}
	resp.Body.Close()
	resp, err = hc.Get(base + "/admin/requests")
	if err != nil {
		t.Fatal(err)
	}
	m = csrfField.FindStringSubmatch(readAll(t, resp))
	if m == nil {
		t.Fatalf("no CSRF token on the requests page")
	}
	return m[1]
}

func postForm(hc *http.Client, base, path string, form url.Values) (*http.Response, error) {
	req, err := http.NewRequest(http.MethodPost, base+path, strings.NewReader(form.Encode()))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", base)
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	return hc.Do(req)
}

func readAll(t *testing.T, resp *http.Response) string {
	t.Helper()
	defer resp.Body.Close()
	var b strings.Builder
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 0, 64<<10), 4<<20)
	for sc.Scan() {
		b.WriteString(sc.Text())
		b.WriteByte('\n')
	}
	return b.String()
}

// TestEmbeddedGatewaysOnOneReplica: a second replica that would run the
// embedded gateways refuses to start and says why; started with
// --gateway off it runs; once the first has stopped, another may run them.
func TestEmbeddedGatewaysOnOneReplica(t *testing.T) {
	db := backendtest.NewDatabase(t)
	first := backendtest.NewServer(t, backendtest.WithDatabase(db))
	_, err := server.New(t.Context(), server.Options{Config: configFor(t, db, "netstack")})
	if !errors.Is(err, server.ErrGatewaysElsewhere) || !strings.Contains(err.Error(), "--gateway off") {
		t.Fatalf("a second replica with embedded gateways: %v", err)
	}
	off, err := server.New(t.Context(), server.Options{Config: configFor(t, db, "off")})
	if err != nil {
		t.Fatalf("a second replica without: %v", err)
	}
	off.Close()
	first.Stop()
	again, err := server.New(t.Context(), server.Options{Config: configFor(t, db, "netstack")})
	if err != nil {
		t.Fatalf("embedded gateways after the first replica stopped: %v", err)
	}
	again.Close()
}
