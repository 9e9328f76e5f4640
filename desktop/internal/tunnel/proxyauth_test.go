package tunnel

import (
	"bufio"
	"encoding/base64"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/proxy"
)

func TestNewProxyAuth(t *testing.T) {
	a, b := NewProxyAuth(), NewProxyAuth()
	if a == b || a.Password == b.Password || a.Username == b.Username {
		t.Fatalf("two installs got the same credentials: %+v %+v", a, b)
	}
	safe := regexp.MustCompile(`^[A-Za-z0-9]+$`)
	for _, x := range []ProxyAuth{a, b} {
		if err := x.Validate(); err != nil {
			t.Fatal(err)
		}
		if !safe.MatchString(x.Username) || !safe.MatchString(x.Password) || len(x.Password) < 26 {
			t.Fatalf("credentials %+v: want letters and digits, a password of 26 or more", x)
		}
		// Used as is in proxy URLs.
		u := &url.URL{Scheme: "socks5h", User: url.UserPassword(x.Username, x.Password), Host: "127.0.0.1:1080"}
		if u.String() != "socks5h://"+x.Username+":"+x.Password+"@127.0.0.1:1080" {
			t.Fatalf("URL %s needs escaping", u)
		}
	}
}

func TestNetstackRejectsBadProxyAuth(t *testing.T) {
	for name, a := range map[string]ProxyAuth{
		"no user":         {Password: "secret"},
		"no password":     {Username: "me"},
		"colon in user":   {Username: "me:you", Password: "secret"},
		"CRLF":            {Username: "me", Password: "sec\r\nret"},
		"space":           {Username: "me", Password: "sec ret"},
		"longer than 255": {Username: "me", Password: strings.Repeat("x", 256)},
	} {
		if b, err := NewNetstack(NetstackOptions{Auth: &a}); err == nil {
			b.Close()
			t.Errorf("%s: accepted %+v", name, a)
		} else if !strings.Contains(err.Error(), "proxy credentials") {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// With credentials set, both proxies demand them: refused without them or
// with wrong ones (nothing reaches the tunnel), served with them.
func TestNetstackProxyCredentials(t *testing.T) {
	gw := newTestGateway(t, "10.77.0.0/24", testNames)
	auth := ProxyAuth{Username: "gpuser", Password: "S3cretPassw0rd"}
	b, err := NewNetstack(NetstackOptions{Auth: &auth, Logf: testLogf(t)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	upTunnel(t, b, "lab", gw.clientConfig(t, 2))
	if got := b.ProxyAuth(); got == nil || *got != auth {
		t.Fatalf("ProxyAuth() = %+v, want %+v", got, auth)
	}
	socksAddr, httpAddr := b.Proxies()
	const target = "http://svc.gatepass.test/"
	wrong := &ProxyAuth{Username: auth.Username, Password: auth.Password + "x"}

	socksGet := func(a *ProxyAuth) (int, string, error) {
		var pa *proxy.Auth
		if a != nil {
			pa = &proxy.Auth{User: a.Username, Password: a.Password}
		}
		d, err := proxy.SOCKS5("tcp", socksAddr, pa, &net.Dialer{})
		if err != nil {
			return 0, "", err
		}
		tr := &http.Transport{DialContext: d.(proxy.ContextDialer).DialContext, DisableKeepAlives: true}
		return get(&http.Client{Transport: tr, Timeout: 10 * time.Second}, target)
	}
	httpGet := func(a *ProxyAuth, path string) (int, string, http.Header) {
		u := &url.URL{Scheme: "http", Host: httpAddr}
		if a != nil {
			u.User = url.UserPassword(a.Username, a.Password)
		}
		tr := &http.Transport{Proxy: http.ProxyURL(u), DisableKeepAlives: true}
		resp, err := (&http.Client{Transport: tr, Timeout: 10 * time.Second}).Get("http://svc.gatepass.test" + path)
		if err != nil {
			t.Fatalf("GET via the HTTP proxy: %v", err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body), resp.Header
	}
	connect := func(a *ProxyAuth) (int, string) {
		c, err := net.Dial("tcp", httpAddr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(10 * time.Second))
		fmt.Fprintf(c, "CONNECT svc.gatepass.test:80 HTTP/1.1\r\nHost: svc.gatepass.test:80\r\n")
		if a != nil {
			fmt.Fprintf(c, "Proxy-Authorization: Basic %s\r\n", base64.StdEncoding.EncodeToString([]byte(a.Username+":"+a.Password)))
		}
		fmt.Fprintf(c, "\r\n")
		br := bufio.NewReader(c)
		resp, err := http.ReadResponse(br, &http.Request{Method: http.MethodConnect})
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != 200 {
			body, _ := io.ReadAll(resp.Body)
			return resp.StatusCode, string(body)
		}
		fmt.Fprintf(c, "GET / HTTP/1.1\r\nHost: svc.gatepass.test\r\nConnection: close\r\n\r\n")
		resp, err = http.ReadResponse(br, nil)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body)
	}

	before := gw.hits.Load()
	if _, _, err := socksGet(nil); err == nil || !strings.Contains(err.Error(), "no acceptable authentication methods") {
		t.Errorf("SOCKS5 without credentials: %v; want refused", err)
	}
	if _, _, err := socksGet(wrong); err == nil || !strings.Contains(err.Error(), "authentication failed") {
		t.Errorf("SOCKS5 with a wrong password: %v; want refused", err)
	}
	for name, a := range map[string]*ProxyAuth{"without credentials": nil, "with a wrong password": wrong} {
		code, body, h := httpGet(a, "/")
		if code != http.StatusProxyAuthRequired || h.Get("Proxy-Authenticate") != `Basic realm="gatepass"` || !strings.Contains(body, "gatepassd status") {
			t.Errorf("HTTP proxy %s: %d %q %v; want 407 with a reason", name, code, body, h)
		}
		if code, body := connect(a); code != http.StatusProxyAuthRequired {
			t.Errorf("CONNECT %s: %d %q; want 407", name, code, body)
		}
	}
	if n := gw.hits.Load(); n != before {
		t.Fatalf("refused clients reached the gateway (%d requests)", n-before)
	}

	const want = "gateway 10.77.0.1; you are 10.77.0.2:"
	if code, body, err := socksGet(&auth); err != nil || code != 200 || !strings.Contains(body, want) {
		t.Errorf("SOCKS5 with the credentials: %d %q %v", code, body, err)
	}
	if code, body, _ := httpGet(&auth, "/"); code != 200 || !strings.Contains(body, want) {
		t.Errorf("HTTP proxy with the credentials: %d %q", code, body)
	}
	if code, body := connect(&auth); code != 200 || !strings.Contains(body, want) {
		t.Errorf("CONNECT with the credentials: %d %q", code, body)
	}
	// The credentials stop at the proxy.
	if code, body, _ := httpGet(&auth, "/headers"); code != 200 || strings.Contains(strings.ToLower(body), "proxy-authorization") || strings.Contains(body, base64.StdEncoding.EncodeToString([]byte(auth.Username+":"+auth.Password))) {
		t.Errorf("headers the service received: %d %q", code, body)
	}
}
