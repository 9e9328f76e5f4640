package web

import (
	"crypto/subtle"
	"net/http"
	"net/url"
	"strings"
)

// sameOrigin checks what the browser says about where a POST came from:
// Sec-Fetch-Site must be same-origin, and Origin (when sent) must be this
// server — as reached (the Host header) or as published (the public URL).
// A request with neither header is not from a current browser, so it cannot
// be a cross-site forgery; the CSRF token still applies.
func (s *Server) sameOrigin(r *http.Request) bool {
	if site := r.Header.Get("Sec-Fetch-Site"); site != "" && site != "same-origin" {
		return false
	}
	origin := r.Header.Get("Origin")
	if origin == "" {
		return true
	}
	if origin == "null" {
		return false
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	if strings.EqualFold(origin, scheme+"://"+r.Host) {
		return true
	}
	if u, err := url.Parse(s.Settings.PublicURL()); err == nil && u.Host != "" && strings.EqualFold(origin, u.Scheme+"://"+u.Host) {
		return true
	}
	return false
}

// csrfRefused answers a POST that failed the CSRF checks.
func (s *Server) csrfRefused(w http.ResponseWriter, r *http.Request, v *visit, why string) {
	s.Logger.Warn("web: CSRF check failed", "path", r.URL.Path, "why", why, "origin", r.Header.Get("Origin"), "source", sourceAddr(r))
	s.renderError(w, r, v, http.StatusForbidden, "Request refused",
		"Nothing was changed: "+why+". Go back, reload the page and try again.")
}

// Before sign-in there is no session to hold the CSRF token, so the sign-in
// and invitation forms use a double-submit cookie: a random value in a
// Strict cookie that the form must repeat.

func (s *Server) formCookieName() string {
	if s.https() {
		return "__Host-gatepass_form"
	}
	return "gatepass_form"
}

// formToken returns the pre-session token, setting its cookie if needed.
func (s *Server) formToken(w http.ResponseWriter, r *http.Request) string {
	if c, err := r.Cookie(s.formCookieName()); err == nil && len(c.Value) >= 32 {
		return c.Value
	}
	t := randomToken()
	http.SetCookie(w, s.cookie(s.formCookieName(), t, 3600, http.SameSiteStrictMode))
	return t
}

// checkFormToken verifies a pre-session form: same origin, and the field
// repeats the cookie.
func (s *Server) checkFormToken(r *http.Request) bool {
	if !s.sameOrigin(r) {
		return false
	}
	c, err := r.Cookie(s.formCookieName())
	got := r.PostFormValue("csrf")
	return err == nil && c.Value != "" && got != "" && subtle.ConstantTimeCompare([]byte(got), []byte(c.Value)) == 1
}
