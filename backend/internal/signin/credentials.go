package signin

// The credentials a sign-in yields, and their end: API tokens (the agent's,
// valid TokenTTL) and web sessions (the admin page's, valid SessionTTL at
// most and IdleTimeout without a page load). Only the SHA-256 of each
// secret is stored. Every creation, touch and revocation is written here,
// each in one transaction with its audit row; a revocation is published on
// the bus so that the credential's open streams end at once.

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/base64"
	"errors"
	"time"

	"gatepass.dev/backend/internal/actor"
	"gatepass.dev/backend/internal/auth"
	"gatepass.dev/backend/internal/events"
	"gatepass.dev/backend/internal/fault"
	"gatepass.dev/backend/internal/store"
)

// Default lifetimes of the credentials.
const (
	DefaultTokenTTL    = 30 * 24 * time.Hour
	DefaultSessionTTL  = 12 * time.Hour
	DefaultIdleTimeout = 2 * time.Hour
	// touchEvery bounds how often a session's activity is written.
	touchEvery = time.Minute
)

// Login is a successful API sign-in.
type Login struct {
	Secret      string // the bearer token, shown once
	Token       store.Token
	DeviceToken string // for the client to keep and send at its next sign-in
	User        store.User
}

// Login checks an attempt and, when it passes, creates an API token in one
// transaction with its "login" audit row.
func (s *Service) Login(ctx context.Context, a Attempt, userAgent string) (Login, error) {
	if a.Email == "" || a.Password == "" {
		return Login{}, fault.Invalidf("email and password are required")
	}
	pass, err := s.Check(ctx, a)
	if err != nil {
		return Login{}, err
	}
	now := s.now()
	secret, hash := auth.NewToken()
	out := Login{Secret: secret, User: pass.User,
		Token: store.Token{ID: store.NewID("tok"), UserID: pass.User.ID, Hash: hash, Kind: store.TokenAPI, CreatedAt: now, ExpiresAt: now.Add(s.opt.TokenTTL)}}
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		if err := store.CreateToken(ctx, tx, out.Token); err != nil {
			return err
		}
		out.DeviceToken, err = s.Succeeded(ctx, tx, pass, map[string]string{"user_agent": Clip(userAgent, 200)})
		return err
	})
	return out, err
}

// Authenticate resolves an API bearer token: the actor, with the token's
// hash and the device registered with it. An unknown, expired or revoked
// token (or a disabled user's) is Unauthenticated.
func (s *Service) Authenticate(ctx context.Context, secret, source string) (actor.Actor, error) {
	if secret == "" {
		return actor.Actor{}, fault.New(fault.Unauthenticated, "sign in first: this endpoint needs an Authorization: Bearer token")
	}
	hash := auth.HashToken(secret)
	u, tok, err := store.TokenUser(ctx, s.db, store.TokenAPI, hash, s.now())
	if errors.Is(err, store.ErrNotFound) {
		return actor.Actor{}, fault.New(fault.Unauthenticated, "the token is invalid, expired or revoked: sign in again")
	}
	if err != nil {
		return actor.Actor{}, err
	}
	a := u.Actor(source)
	a.TokenHash, a.DeviceID = hash, tok.DeviceID
	return a, nil
}

// Session is a signed-in web visit: its session (CSRF token, expiry) and
// who is acting.
type Session struct {
	store.Session
	Actor actor.Actor
}

// SessionStart is a new web session: the cookie's secret (shown once) and
// a fresh device token for the browser's device cookie.
type SessionStart struct {
	Secret      string
	Session     store.Session
	DeviceToken string
}

// StartSession checks a web sign-in and, when it passes, creates a new
// session (never reusing the one the browser presented, whose secret is
// oldSecret: it is revoked — no fixation) in one transaction with its
// "login" audit row; sessions long expired are pruned on the way.
func (s *Service) StartSession(ctx context.Context, a Attempt, userAgent, oldSecret string) (SessionStart, error) {
	if a.Email == "" || a.Password == "" {
		return SessionStart{}, fault.Invalidf("enter your email and password")
	}
	pass, err := s.Check(ctx, a)
	if err != nil {
		return SessionStart{}, err
	}
	now := s.now()
	secret, hash := auth.NewToken()
	out := SessionStart{Secret: secret, Session: store.Session{ID: store.NewID("ses"), Hash: hash, UserID: pass.User.ID, CSRF: randomToken(),
		Source: a.Source, UserAgent: Clip(userAgent, 200), CreatedAt: now, LastSeenAt: now, ExpiresAt: now.Add(s.opt.SessionTTL)}}
	out.Session.IdleExpiresAt = earlier(now.Add(s.opt.IdleTimeout), out.Session.ExpiresAt)
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		if oldSecret != "" {
			if err := store.RevokeSession(ctx, tx, auth.HashToken(oldSecret), now); err != nil {
				return err
			}
		}
		if err := store.PruneSessions(ctx, tx, now.Add(-30*24*time.Hour)); err != nil {
			return err
		}
		if err := store.CreateSession(ctx, tx, out.Session); err != nil {
			return err
		}
		out.DeviceToken, err = s.Succeeded(ctx, tx, pass, map[string]string{"via": "web", "session": out.Session.ID, "user_agent": out.Session.UserAgent})
		return err
	})
	return out, err
}

// ResolveSession finds the valid session of a cookie's secret (ok false
// when there is none) and, when touch is set, records the activity (the
// idle expiry moves, at most once a minute). A failing database does not
// stop reading pages: the idle expiry then moves at the next page load
// that can write.
func (s *Service) ResolveSession(ctx context.Context, secret, source string, touch bool) (Session, bool, error) {
	if secret == "" {
		return Session{}, false, nil
	}
	hash := auth.HashToken(secret)
	now := s.now()
	sess, u, err := store.SessionUser(ctx, s.db, hash, now)
	if errors.Is(err, store.ErrNotFound) {
		return Session{}, false, nil
	}
	if err != nil {
		return Session{}, false, err
	}
	if touch && now.Sub(sess.LastSeenAt) >= touchEvery {
		idle := earlier(now.Add(s.opt.IdleTimeout), sess.ExpiresAt)
		err := s.db.Tx(ctx, func(tx *sql.Tx) error { return store.TouchSession(ctx, tx, hash, now, idle) })
		if err != nil && !fault.Is(err, fault.Unavailable) {
			return Session{}, false, err
		}
	}
	a := u.Actor(source)
	a.SessionID = sess.ID
	return Session{Session: sess, Actor: a}, true, nil
}

// Logout ends the credential of a's request — its API token or its web
// session — audits it, and publishes it so that the credential's open
// streams end at once.
func (s *Service) Logout(ctx context.Context, a actor.Actor, sessionHash string) error {
	now := s.now()
	details := map[string]string{}
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		switch {
		case sessionHash != "":
			details["via"], details["session"] = "web", a.SessionID
			if err := store.RevokeSession(ctx, tx, sessionHash, now); err != nil {
				return err
			}
		case a.TokenHash != "":
			if err := store.RevokeToken(ctx, tx, a.TokenHash, now); err != nil {
				return err
			}
		default:
			return fault.Invalidf("no credential to sign out")
		}
		return store.InsertAudit(ctx, tx, store.AuditEntry{At: now, ActorID: a.ID, ActorEmail: a.Email, Action: "logout",
			TargetType: "user", TargetID: a.ID, Source: a.Source, Details: details})
	})
	if err != nil {
		return err
	}
	s.opt.Bus.Publish(events.Change{UserIDs: []string{a.ID}})
	return nil
}

// SetFlash stores the outcome message shown once on a session's next page.
func (s *Service) SetFlash(ctx context.Context, sessionHash, flash string) error {
	return s.db.Tx(ctx, func(tx *sql.Tx) error { return store.SetSessionFlash(ctx, tx, sessionHash, flash) })
}

// TakeFlash returns a session's flash message and clears it, so that one
// page shows it.
func (s *Service) TakeFlash(ctx context.Context, sessionHash string) (string, error) {
	return store.TakeSessionFlash(ctx, s.db, sessionHash)
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
