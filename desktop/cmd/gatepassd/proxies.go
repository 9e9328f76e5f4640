package main

import (
	"fmt"
	"io"

	"gatepass.dev/desktop/internal/agent"
	"gatepass.dev/desktop/internal/localapi"
	"gatepass.dev/desktop/internal/tunnel"
)

// proxyAuth returns the user name and password the proxies demand, or nil
// for none: the per-install ones from the state dir where the proxies
// demand them (Windows and macOS always; Linux with --proxy-password, on
// top of the check that only the agent's user and root connect).
func proxyAuth(stateDir string, password bool) (*tunnel.ProxyAuth, error) {
	if !password && tunnel.ProxyOwnerCheck {
		return nil, nil
	}
	a, err := agent.LoadOrCreateProxyAuth(stateDir)
	if err != nil {
		return nil, err
	}
	return &a, nil
}

// printProxies prints the local proxies (netstack mode) and who may use
// them: the credentials and ready-made URLs when they demand credentials.
func printProxies(w io.Writer, st localapi.Status) {
	if st.SOCKS5 == "" && st.HTTPProxy == "" {
		return
	}
	fmt.Fprintf(w, "Proxies into the tunnels: SOCKS5 %s, HTTP %s.\n", st.SOCKS5, st.HTTPProxy)
	if a := st.ProxyAuth; a != nil {
		fmt.Fprintf(w, "They ask for user name %s and password %s; as URLs:\n  %s\n  %s\n", a.Username, a.Password, st.SOCKS5URL, st.HTTPProxyURL)
		return
	}
	fmt.Fprintln(w, "Only your user (and root) can use them.")
}
