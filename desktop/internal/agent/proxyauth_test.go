package agent

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gatepass.dev/desktop/internal/tunnel"
)

func TestProxyAuthFile(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "state")
	a, err := LoadOrCreateProxyAuth(dir)
	if err != nil || a.Validate() != nil {
		t.Fatalf("first load: %+v %v", a, err)
	}
	p := filepath.Join(dir, proxyAuthFile)
	assertMode(t, p, 0o600)
	assertMode(t, dir, 0o700)
	if b, err := LoadOrCreateProxyAuth(dir); err != nil || b != a {
		t.Fatalf("second load: %+v %v; want the same %+v", b, err, a)
	}
	if other, _ := LoadOrCreateProxyAuth(t.TempDir()); other == a {
		t.Fatal("two installs share credentials")
	}
	for name, content := range map[string]string{
		"not JSON":      "garbage",
		"empty":         `{}`,
		"CRLF in it":    `{"username":"me","password":"a\r\nb"}`,
		"colon in user": `{"username":"me:x","password":"secret"}`,
	} {
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := LoadOrCreateProxyAuth(dir); err == nil || !strings.Contains(err.Error(), "delete the file") {
			t.Errorf("%s: %v; want an error that says what to do", name, err)
		}
	}
}

// The status shows the proxies as URLs, with the credentials when the
// proxies demand them.
func TestStatusShowsProxyAuth(t *testing.T) {
	auth := tunnel.ProxyAuth{Username: "gpuser", Password: "Pw0rd"}
	for _, tc := range []struct {
		name string
		auth *tunnel.ProxyAuth
	}{{"with credentials", &auth}, {"without", nil}} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.auth == nil && !tunnel.ProxyOwnerCheck {
				t.Skip("this OS's proxies always demand credentials")
			}
			ns, err := tunnel.NewNetstack(tunnel.NetstackOptions{Auth: tc.auth})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { ns.Close() })
			a, err := New(Options{StateDir: t.TempDir(), Backend: ns, Credentials: &FileStore{Path: filepath.Join(t.TempDir(), "c.json")}})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { a.Close() })
			socks, httpProxy := ns.Proxies()
			st := a.Status()
			userinfo := ""
			if tc.auth != nil {
				if st.ProxyAuth == nil || st.ProxyAuth.Username != "gpuser" || st.ProxyAuth.Password != "Pw0rd" {
					t.Fatalf("proxy_auth %+v", st.ProxyAuth)
				}
				userinfo = "gpuser:Pw0rd@"
			} else if st.ProxyAuth != nil {
				t.Fatalf("proxy_auth %+v; want none", st.ProxyAuth)
			}
			if st.SOCKS5URL != "socks5h://"+userinfo+socks || st.HTTPProxyURL != "http://"+userinfo+httpProxy {
				t.Fatalf("URLs %q %q", st.SOCKS5URL, st.HTTPProxyURL)
			}
			if st.SOCKS5 != socks || st.HTTPProxy != httpProxy {
				t.Fatalf("addresses %q %q", st.SOCKS5, st.HTTPProxy)
			}
		})
	}
}
