package signin_test

import (
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"gatepass.dev/backend/backendtest"
	"gatepass.dev/backend/internal/store"
	"gatepass.dev/shared/api"
)

// httpFrom is an HTTP client whose connections come from the loopback
// address ip (any of 127.0.0.0/8), so that one test plays many clients.
func httpFrom(ip string, jar http.CookieJar) *http.Client {
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}, Timeout: 10 * time.Second}
	return &http.Client{
		Transport:     &http.Transport{DialContext: d.DialContext, DisableKeepAlives: true},
		Jar:           jar,
		Timeout:       30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// answer is the API's answer to one login.
type answer struct {
	Status     int
	RetryAfter int // seconds; 0 when absent
	OK         api.LoginResponse
	Err        api.Error
}

// apiLogin signs in through POST /api/v1/login from ip, as the agent does.
func apiLogin(t testing.TB, srv *backendtest.Server, ip, email, password, device string) answer {
	t.Helper()
	body, _ := json.Marshal(api.LoginRequest{Email: email, Password: password, DeviceToken: device})
	r, err := backendtest.Send(httpFrom(ip, nil), "POST", srv.URL+"/api/v1/login", "", "application/json", string(body))
	if err != nil {
		t.Fatal(err)
	}
	a := answer{Status: r.Status}
	if ra := r.Header.Get("Retry-After"); ra != "" {
		if a.RetryAfter, err = strconv.Atoi(ra); err != nil {
			t.Fatalf("Retry-After %q", ra)
		}
	}
	if r.Status == http.StatusOK {
		err = json.Unmarshal(r.Body, &a.OK)
	} else {
		var eb api.ErrorBody
		err = json.Unmarshal(r.Body, &eb)
		a.Err = eb.Error
	}
	if err != nil {
		t.Fatalf("login answer %d %s: %v", r.Status, r.Body, err)
	}
	return a
}

// browser signs in through the web page's form, keeping its cookies.
type browser struct {
	t   testing.TB
	srv *backendtest.Server
	hc  *http.Client
}

func newBrowser(t testing.TB, srv *backendtest.Server, ip string) *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: t, srv: srv, hc: httpFrom(ip, jar)}
}

func (b *browser) cookie(name string) *http.Cookie {
	u, _ := url.Parse(b.srv.URL)
	for _, c := range b.hc.Jar.Cookies(u) {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// page is the answer to the sign-in form.
type page struct {
	Status     int
	RetryAfter string
	Body       string
	Cookies    []*http.Cookie
}

// signIn fills in the sign-in form and sends it (303 when it worked).
func (b *browser) signIn(email, password string) page {
	b.t.Helper()
	resp, err := b.hc.Get(b.srv.URL + "/admin/login")
	if err != nil {
		b.t.Fatal(err)
	}
	resp.Body.Close()
	form := b.cookie("gatepass_form")
	if form == nil {
		b.t.Fatal("no form cookie")
	}
	v := url.Values{"csrf": {form.Value}, "email": {email}, "password": {password}, "next": {"/admin/requests"}}
	req, _ := http.NewRequest("POST", b.srv.URL+"/admin/login", strings.NewReader(v.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", b.srv.URL)
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	resp, err = b.hc.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return page{Status: resp.StatusCode, RetryAfter: resp.Header.Get("Retry-After"), Body: string(body), Cookies: resp.Cookies()}
}

// lastAudit is the newest audit row of an action.
func lastAudit(t testing.TB, srv *backendtest.Server, action string) store.AuditEntry {
	t.Helper()
	rows := srv.AuditRows(t, action)
	if len(rows) == 0 {
		t.Fatalf("no %s audit row", action)
	}
	newest := rows[0]
	for _, r := range rows {
		if r.ID > newest.ID {
			newest = r
		}
	}
	return newest
}
