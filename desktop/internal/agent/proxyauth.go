package agent

import (
	"fmt"
	"net/url"
	"path/filepath"

	"gatepass.dev/desktop/internal/tunnel"
)

// proxyAuthFile holds the local proxies' credentials.
const proxyAuthFile = "proxy-auth.json"

type proxyAuthState struct {
	Username string `json:"username"`
	Password string `json:"password"`
}

// LoadOrCreateProxyAuth returns the user name and password of the local
// proxies (where they demand them: Windows, macOS, and Linux when asked),
// kept in stateDir's proxy-auth.json (0600). They are generated once per
// install, so the proxy URLs pasted into apps keep working across
// restarts; deleting the file makes new ones at the next start.
func LoadOrCreateProxyAuth(stateDir string) (tunnel.ProxyAuth, error) {
	path := filepath.Join(stateDir, proxyAuthFile)
	var st proxyAuthState
	found, err := readJSONFile(path, &st)
	if err != nil {
		return tunnel.ProxyAuth{}, fmt.Errorf("proxy credentials: %w (delete the file for new ones)", err)
	}
	if found {
		a := tunnel.ProxyAuth{Username: st.Username, Password: st.Password}
		if err := a.Validate(); err != nil {
			return tunnel.ProxyAuth{}, fmt.Errorf("%s: %w (delete the file for new ones)", path, err)
		}
		return a, nil
	}
	a := tunnel.NewProxyAuth()
	if err := writeJSONFile(path, proxyAuthState{Username: a.Username, Password: a.Password}); err != nil {
		return tunnel.ProxyAuth{}, fmt.Errorf("proxy credentials: %w", err)
	}
	return a, nil
}

// proxyURL is a proxy's URL for apps, with the credentials when there are
// ("" when there is no proxy).
func proxyURL(scheme, addr string, auth *tunnel.ProxyAuth) string {
	if addr == "" {
		return ""
	}
	u := &url.URL{Scheme: scheme, Host: addr}
	if auth != nil {
		u.User = url.UserPassword(auth.Username, auth.Password)
	}
	return u.String()
}
