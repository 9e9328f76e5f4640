package web

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"database/sql"
	"encoding/base64"
	"errors"
	"net/http"
	"net/url"
	"time"

	"gatepass.dev/backend/internal/admin"
	"gatepass.dev/backend/internal/auth"
	"gatepass.dev/backend/internal/events"
	"gatepass.dev/backend/internal/fault"
	"gatepass.dev/backend/internal/signin"
	"gatepass.dev/backend/internal/store"
	"gatepass.dev/shared/api"
)

// visit is one request of a signed-in user.
type visit struct {
	Session store.Session
	User    store.User
	Source  string
}

func (v *visit) caller() admin.Caller { return admin.Caller{User: v.User, Source: v.Source} }

func (v *visit) isAdmin() bool { return v.User.Role == api.RoleAdmin }

// checkCSRF compares the form's token with the session's.
func (v *visit) checkCSRF(r *http.Request) bool {
	got := r.PostFormValue("csrf")
	return got != "" && subtle.ConstantTimeCompare([]byte(got), []byte(v.Session.CSRF)) == 1
}

// touchEvery bounds how often activity is written to the database.
const touchEvery = time.Minute

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
// is no valid session.
func (s *Server) currentSession(r *http.Request) (*visit, bool, error) {
	c, err := r.Cookie(s.cookieName())
	if err != nil || c.Value == "" {
		return nil, false, nil
	}
	hash := auth.HashToken(c.Value)
	now := s.now()
	sess, u, err := store.SessionUser(r.Context(), s.DB, hash, now)
	if errors.Is(err, store.ErrNotFound) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	// Activity moves the idle expiry; the page's own live refreshes do not.
	if now.Sub(sess.LastSeenAt) >= touchEvery && r.Header.Get(liveHeader) == "" {
		idle := earlier(now.Add(s.IdleTimeout), sess.ExpiresAt)
		// A failing database does not stop reading pages: the idle
		// expiry moves at the next page load that can write.
		if err := store.TouchSession(r.Context(), s.DB, hash, now, idle); err != nil && !fault.Is(err, fault.Unavailable) {
			return nil, false, err
		}
	}
	return &visit{Session: sess, User: u, Source: sourceAddr(r)}, true, nil
}

// signedIn returns the visit of a signed-in user (an admin when adminOnly),
// or answers for it: a redirect to the sign-in page (a 401 for the event
// stream and POSTs), or the 403 page for a non-admin.
func (s *Server) signedIn(w http.ResponseWriter, r *http.Request, adminOnly bool) (*visit, bool) {
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
	if adminOnly && !v.isAdmin() {
		s.forbidden(w, r, v)
		return nil, false
	}
	return v, true
}

// forbidden is the page of a signed-in non-admin.
func (s *Server) forbidden(w http.ResponseWriter, r *http.Request, v *visit) {
	s.render(w, r, v, http.StatusForbidden, "forbidden", "Admins only", nil)
}

// startSession creates a new session for the user of pass (never reusing
// the one the browser presented: no fixation), revokes the old one, sets
// the cookie and a fresh device cookie, and audits the sign-in.
func (s *Server) startSession(w http.ResponseWriter, r *http.Request, pass signin.Pass) error {
	u := pass.User
	secret, hash := auth.NewToken()
	now := s.now()
	sess := store.Session{ID: store.NewID("ses"), Hash: hash, UserID: u.ID, CSRF: randomToken(), SourceAddr: sourceAddr(r),
		UserAgent: signin.Clip(r.UserAgent(), 200), CreatedAt: now, LastSeenAt: now, ExpiresAt: now.Add(s.SessionTTL)}
	sess.IdleExpiresAt = earlier(now.Add(s.IdleTimeout), sess.ExpiresAt)
	var device string
	err := s.DB.Tx(r.Context(), func(tx *sql.Tx) error {
		if old, err := r.Cookie(s.cookieName()); err == nil && old.Value != "" {
			if err := store.RevokeSession(r.Context(), tx, auth.HashToken(old.Value), now); err != nil {
				return err
			}
		}
		if err := store.PruneSessions(r.Context(), tx, now.Add(-30*24*time.Hour)); err != nil {
			return err
		}
		if err := store.CreateSession(r.Context(), tx, sess); err != nil {
			return err
		}
		var err error
		device, err = s.SignIn.Succeeded(r.Context(), tx, pass, map[string]string{"via": "web", "session": sess.ID, "user_agent": sess.UserAgent})
		return err
	})
	if err != nil {
		return err
	}
	http.SetCookie(w, s.cookie(s.cookieName(), secret, int(s.SessionTTL/time.Second), http.SameSiteLaxMode))
	http.SetCookie(w, s.cookie(s.deviceCookieName(), device, int(signin.DeviceTokenTTL/time.Second), http.SameSiteLaxMode))
	return nil
}

// endSession revokes the visit's session, audits it and clears the cookie.
func (s *Server) endSession(w http.ResponseWriter, r *http.Request, v *visit) error {
	now := s.now()
	err := s.DB.Tx(r.Context(), func(tx *sql.Tx) error {
		if err := store.RevokeSession(r.Context(), tx, v.Session.Hash, now); err != nil {
			return err
		}
		return store.InsertAudit(r.Context(), tx, store.AuditEntry{At: now, ActorID: v.User.ID, ActorEmail: v.User.Email, Action: "logout",
			TargetType: "user", TargetID: v.User.ID, SourceAddr: v.Source, Details: map[string]string{"via": "web", "session": v.Session.ID}})
	})
	http.SetCookie(w, s.cookie(s.cookieName(), "", -1, http.SameSiteLaxMode))
	if err == nil {
		s.Bus.Publish(events.Change{UserIDs: []string{v.User.ID}}) // its live pages' streams end now
	}
	return err
}

// setFlash stores the outcome message shown on the session's next page.
func (s *Server) setFlash(ctx context.Context, v *visit, kind, text string) {
	if err := store.SetSessionFlash(ctx, s.DB, v.Session.Hash, encodeFlash(flash{Kind: kind, Text: text})); err != nil {
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
