package main

import (
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/proxy"

	"gatepass.dev/backend/backendtest"
	"gatepass.dev/shared/api"
)

// With --proxy-password the proxies demand the per-install credentials,
// which `gatepassd status` shows (and --json), and which survive a restart.
func TestAgentProxyPassword(t *testing.T) {
	srv := backendtest.NewServer(t)
	srv.NewUser(t, "carol@example.com", api.RoleUser)
	stateDir := t.TempDir()
	sock, stop := startAgent(t, srv.URL, stateDir, "--proxy-password")
	if code, out, errOut := cli(t, backendtest.UserPassword+"\n", "login", "--socket", sock, "--email", "carol@example.com", "--password-stdin"); code != 0 {
		t.Fatalf("login: %d %q %q", code, out, errOut)
	}

	var saved struct{ Username, Password string }
	b, err := os.ReadFile(filepath.Join(stateDir, "proxy-auth.json"))
	if err != nil || json.Unmarshal(b, &saved) != nil || saved.Username == "" || saved.Password == "" {
		t.Fatalf("proxy-auth.json: %q %v", b, err)
	}
	if fi, _ := os.Stat(filepath.Join(stateDir, "proxy-auth.json")); fi.Mode().Perm() != 0o600 {
		t.Errorf("proxy-auth.json mode %v, want 0600", fi.Mode().Perm())
	}

	code, js, _ := cli(t, "", "status", "--json", "--socket", sock)
	var st struct {
		SOCKS5       string `json:"socks5"`
		HTTPProxy    string `json:"http_proxy"`
		SOCKS5URL    string `json:"socks5_url"`
		HTTPProxyURL string `json:"http_proxy_url"`
		ProxyAuth    *struct {
			Username string `json:"username"`
			Password string `json:"password"`
		} `json:"proxy_auth"`
	}
	if code != 0 || json.Unmarshal([]byte(js), &st) != nil {
		t.Fatalf("status --json: %d %q", code, js)
	}
	if st.ProxyAuth == nil || st.ProxyAuth.Username != saved.Username || st.ProxyAuth.Password != saved.Password {
		t.Fatalf("proxy_auth %+v, want the saved %+v", st.ProxyAuth, saved)
	}
	userinfo := saved.Username + ":" + saved.Password + "@"
	if st.SOCKS5 == "" || st.SOCKS5URL != "socks5h://"+userinfo+st.SOCKS5 || st.HTTPProxyURL != "http://"+userinfo+st.HTTPProxy {
		t.Fatalf("status --json proxies: %+v", st)
	}
	_, out, _ := cli(t, "", "status", "--socket", sock)
	for _, want := range []string{
		"Proxies into the tunnels: SOCKS5 " + st.SOCKS5 + ", HTTP " + st.HTTPProxy + ".",
		"They ask for user name " + saved.Username + " and password " + saved.Password + "; as URLs:",
		"  " + st.SOCKS5URL + "\n", "  " + st.HTTPProxyURL + "\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("status lacks %q:\n%s", want, out)
		}
	}

	// The proxies demand them (no network is connected: past the
	// credentials, a destination is refused as outside every tunnel).
	httpGet := func(proxyURL string) (int, string) {
		u, _ := url.Parse(proxyURL)
		c := &http.Client{Transport: &http.Transport{Proxy: http.ProxyURL(u), DisableKeepAlives: true}, Timeout: 10 * time.Second}
		resp, err := c.Get("http://" + backendtest.ServiceAddr + "/")
		if err != nil {
			t.Fatalf("GET via %s: %v", proxyURL, err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body)
	}
	if code, body := httpGet("http://" + st.HTTPProxy); code != http.StatusProxyAuthRequired {
		t.Errorf("HTTP proxy without credentials: %d %q; want 407", code, body)
	}
	if code, body := httpGet(st.HTTPProxyURL); code != http.StatusBadGateway || !strings.Contains(body, "not inside any connected network") {
		t.Errorf("HTTP proxy with the credentials: %d %q; want past the credentials", code, body)
	}
	socksDial := func(auth *proxy.Auth) error {
		d, _ := proxy.SOCKS5("tcp", st.SOCKS5, auth, &net.Dialer{})
		c, err := d.Dial("tcp", backendtest.ServiceAddr+":80")
		if err == nil {
			c.Close()
		}
		return err
	}
	if err := socksDial(nil); err == nil || !strings.Contains(err.Error(), "no acceptable authentication methods") {
		t.Errorf("SOCKS5 without credentials: %v", err)
	}
	if err := socksDial(&proxy.Auth{User: saved.Username, Password: saved.Password}); err == nil || !strings.Contains(err.Error(), "network unreachable") {
		t.Errorf("SOCKS5 with the credentials: %v; want past the credentials", err)
	}

	// The same credentials after a restart.
	stop()
	sock, _ = startAgent(t, srv.URL, stateDir, "--proxy-password")
	_, js, _ = cli(t, "", "status", "--json", "--socket", sock)
	if !strings.Contains(js, `"socks5_url": "socks5h://`+userinfo) {
		t.Errorf("after a restart: %s", js)
	}
}
