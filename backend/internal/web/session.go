package web

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"net/http"
	"net/url"
	"time"

	"gatepass.dev/backend/internal/admin"
	"gatepass.dev/backend/internal/signin"
)

// visit is one request of a signed-in user: who is acting (Actor) and
// their session.
type visit struct {
	signin.Session
	approves []string // the networks a non-admin approves (loadApprovals)
}

func (v *visit) isAdmin() bool { return v.Actor.IsAdmin() }

// checkCSRF compares the form's token with the session's.
func (v *visit) checkCSRF(r *http.Request) bool {
	got := r.PostFormValue("csrf")
	return got != "" && subtle.ConstantTimeCompare([]byte(got), []byte(v.Session.CSRF)) == 1
}

// liveHeader marks the page script's background refreshes, which are not
// activity of the admin.
const liveHeader = "X-Gatepass-Live"

// cookieName is the session cookie's name: __Host- prefixed over https.
func (s *Server) cookieName() string {
	if s.https() {
		return "__Host-gatepass_session"
	}
	return "gatepass_session"
}

// deviceCookieName is the device token's cookie: it marks a browser that
// signed in before (signin's device tokens), __Host- prefixed over https.
func (s *Server) deviceCookieName() string {
	if s.https() {
		return "__Host-gatepass_device"
	}
	return "gatepass_device"
}

// deviceToken is the device token the browser sent, or "".
func (s *Server) deviceToken(r *http.Request) string {
	if c, err := r.Cookie(s.deviceCookieName()); err == nil {
		return c.Value
	}
	return ""
}

func (s *Server) cookie(name, value string, maxAge int, sameSite http.SameSite) *http.Cookie {
	return &http.Cookie{Name: name, Value: value, Path: "/", MaxAge: maxAge, HttpOnly: true, Secure: s.https(), SameSite: sameSite}
}

// currentSession resolves the session cookie of r; ok is false when there
// is no valid session. Activity moves the idle expiry; the page's own live
// refreshes do not.
func (s *Server) currentSession(r *http.Request) (*visit, bool, error) {
	c, err := r.Cookie(s.cookieName())
	if err != nil || c.Value == "" {
		return nil, false, nil
	}
	sess, ok, err := s.SignIn.ResolveSession(r.Context(), c.Value, sourceAddr(r), r.Header.Get(liveHeader) == "")
	if !ok || err != nil {
		return nil, false, err
	}
	return &visit{Session: sess}, true, nil
}

// signedIn returns the visit of a signed-in user whom a route of audience
// a is for, or answers for it: a redirect to the sign-in page (a 401 for
// the event stream and POSTs), or the 403 page for anyone else.
func (s *Server) signedIn(w http.ResponseWriter, r *http.Request, a audience) (*visit, bool) {
	v, ok, err := s.currentSession(r)
	if err != nil {
		s.serverError(w, r, nil, err)
		return nil, false
	}
	if !ok {
		if r.URL.Path == "/admin/logout" {
			redirect(w, r, "/admin/login?signed_out=1")
			return nil, false
		}
		if r.Method != http.MethodGet || r.URL.Path == "/admin/events" {
			s.renderError(w, r, nil, http.StatusUnauthorized, "Signed out", "Your session has ended. Sign in again.")
			return nil, false
		}
		http.Redirect(w, r, "/admin/login?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
		return nil, false
	}
	if err := s.loadApprovals(r.Context(), v); err != nil {
		s.serverError(w, r, v, err)
		return nil, false
	}
	if !v.allows(a) {
		s.forbidden(w, r, v)
		return nil, false
	}
	return v, true
}

// forbidden is the page of a signed-in visitor a route is not for: a user,
// or an approver on an admin's page (it links their queue).
func (s *Server) forbidden(w http.ResponseWriter, r *http.Request, v *visit) {
	s.render(w, r, v, http.StatusForbidden, "forbidden", "Admins only", nil)
}

// setSessionCookies sets the cookie of a new session and the browser's
// fresh device cookie.
func (s *Server) setSessionCookies(w http.ResponseWriter, st signin.SessionStart) {
	http.SetCookie(w, s.cookie(s.cookieName(), st.Secret, int(st.Session.ExpiresAt.Sub(st.Session.CreatedAt)/time.Second), http.SameSiteLaxMode))
	http.SetCookie(w, s.cookie(s.deviceCookieName(), st.DeviceToken, int(signin.DeviceTokenTTL/time.Second), http.SameSiteLaxMode))
}

// setFlash stores the outcome message shown on the session's next page.
func (s *Server) setFlash(ctx context.Context, v *visit, kind, text string) {
	s.keepFlash(ctx, v, flash{Kind: kind, Text: text})
}

// setFlashWords keeps a message with times in it (and the lines of a bulk
// action) for the next page.
func (s *Server) setFlashWords(ctx context.Context, v *visit, kind string, words admin.Sentence, lines ...admin.Sentence) {
	s.keepFlash(ctx, v, flash{Kind: kind, Words: words, Lines: lines})
}

func (s *Server) keepFlash(ctx context.Context, v *visit, f flash) {
	if err := s.SignIn.SetFlash(ctx, v.Session.Hash, encodeFlash(f)); err != nil {
		s.Logger.Error("web: flash", "err", err)
	}
}

func randomToken() string {
	var b [32]byte
	_, _ = rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

func earlier(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}
