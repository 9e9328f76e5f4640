package tunnel

import (
	"crypto/rand"
	"crypto/subtle"
	"errors"
	"net/http"
	"strings"
)

// ProxyAuth is the user name and password the local proxies demand when
// set (NetstackOptions.Auth): SOCKS5 username/password authentication
// (RFC 1929) and, on the HTTP proxy, "Proxy-Authorization: Basic".
type ProxyAuth struct {
	Username string
	Password string
}

// NewProxyAuth returns random credentials: a 12-character user name and a
// 26-character password (130 bits), both lower/upper-case letters and
// digits only, so they need no escaping in a proxy URL.
func NewProxyAuth() ProxyAuth {
	return ProxyAuth{Username: "gp" + strings.ToLower(rand.Text()[:10]), Password: rand.Text()}
}

// Validate says why a can not be used by both proxies, or nil.
func (a ProxyAuth) Validate() error {
	switch {
	case a.Username == "" || a.Password == "":
		return errors.New("proxy credentials: the user name and the password must not be empty")
	case len(a.Username) > 255 || len(a.Password) > 255:
		return errors.New("proxy credentials: at most 255 bytes each (SOCKS5, RFC 1929)")
	case strings.Contains(a.Username, ":"):
		return errors.New("proxy credentials: the user name must not hold a colon (HTTP Basic)")
	case strings.ContainsFunc(a.Username+a.Password, func(r rune) bool { return r < 0x21 || r == 0x7f }):
		return errors.New("proxy credentials: no spaces or control characters")
	}
	return nil
}

// Valid reports whether user and password are a's; it is the SOCKS5
// server's CredentialStore. The comparison takes the same time wherever
// the first difference is.
func (a ProxyAuth) Valid(user, password, _ string) bool {
	u := subtle.ConstantTimeCompare([]byte(user), []byte(a.Username))
	p := subtle.ConstantTimeCompare([]byte(password), []byte(a.Password))
	return u&p == 1
}

// validProxyAuthorization reports whether the request's
// Proxy-Authorization header carries a's credentials (Basic).
func (a ProxyAuth) validProxyAuthorization(h http.Header) bool {
	v := h.Get("Proxy-Authorization")
	if v == "" {
		return false
	}
	// The same syntax as Authorization: let net/http parse it.
	user, pass, ok := (&http.Request{Header: http.Header{"Authorization": {v}}}).BasicAuth()
	return ok && a.Valid(user, pass, "")
}
