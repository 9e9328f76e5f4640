// Package signin checks credentials for both ways of signing in to
// gatepass-server: the JSON API's POST /api/v1/login (bearer tokens for the
// agent) and the admin web page's /admin/login (cookie sessions). Both share
// one Service, so one limiter counts the failures of both: five failures per
// email or per source address in fifteen minutes block further attempts
// there and here alike. Failures and blocks are audited (login.failure,
// login.blocked); the caller audits the success ("login") in the transaction
// that creates its token or session, through Succeeded. AcceptInvite sets
// an invited user's password, under the policy of auth.ValidatePassword.
package signin

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"strings"
	"time"

	"github.com/jonboulle/clockwork"

	"gatepass.dev/backend/internal/auth"
	"gatepass.dev/backend/internal/fault"
	"gatepass.dev/backend/internal/metrics"
	"gatepass.dev/backend/internal/store"
)

// Limits of failed sign-ins per email and per source address.
const (
	MaxFailures = 5
	Window      = 15 * time.Minute
)

// ErrBadCredentials is a wrong email or password, or a disabled account:
// callers tell the person only "wrong email or password".
var ErrBadCredentials = fault.Sentinel(fault.Unauthenticated, "wrong email or password")

// BlockedError refuses a sign-in after too many failures.
type BlockedError struct{ Wait time.Duration }

func (e *BlockedError) Error() string {
	return fmt.Sprintf("too many failed sign-in attempts: try again in %d minutes", e.Minutes())
}

// Minutes is the wait rounded up to whole minutes.
func (e *BlockedError) Minutes() int { return int(math.Ceil(e.Wait.Minutes())) }

// Fault classifies the block: rate limited, with the wait.
func (e *BlockedError) Fault() *fault.Error {
	return fault.Limited(e.Wait, "too many failed sign-in attempts: try again in %d minutes", e.Minutes())
}

// Seconds is the wait rounded up to whole seconds (for Retry-After).
func (e *BlockedError) Seconds() int { return int(math.Ceil(e.Wait.Seconds())) }

// Service checks credentials.
type Service struct {
	db      *store.DB
	clock   clockwork.Clock
	metrics *metrics.Metrics
	log     *slog.Logger
	limiter *auth.Limiter
}

// New returns a Service with its own limiter.
func New(db *store.DB, clock clockwork.Clock, m *metrics.Metrics, log *slog.Logger) *Service {
	if log == nil {
		log = slog.Default()
	}
	return &Service{db: db, clock: clock, metrics: m, log: log, limiter: auth.NewLimiter(clock, MaxFailures, Window)}
}

func (s *Service) now() time.Time { return s.clock.Now().UTC() }

func keys(email, src string) []string { return []string{"email:" + email, "ip:" + src} }

// Check verifies a sign-in of email (normalized by the caller) with
// password from the source address src. It returns the user, a
// *BlockedError, ErrBadCredentials, or a database error. Failures count
// against the limiter and are audited; an unknown email costs as much time
// as a known one.
func (s *Service) Check(ctx context.Context, email, password, src string) (store.User, error) {
	k := keys(email, src)
	if blocked, wait := s.limiter.Blocked(k...); blocked {
		s.audit(ctx, "login.blocked", store.User{}, email, src, "too many failed attempts")
		return store.User{}, &BlockedError{Wait: wait}
	}
	u, err := store.UserByEmail(ctx, s.db, email)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return store.User{}, err
	}
	reason := ""
	switch {
	case errors.Is(err, store.ErrNotFound):
		_ = auth.CheckPassword("", password) // same cost as a real check
		reason = "unknown email"
	case auth.CheckPassword(u.PasswordHash, password) != nil:
		reason = "wrong password"
	case u.Disabled:
		reason = "account disabled"
	}
	if reason != "" {
		s.limiter.Fail(k...)
		s.metrics.LoginFailures.Inc()
		s.audit(ctx, "login.failure", u, email, src, reason)
		return store.User{}, ErrBadCredentials
	}
	return u, nil
}

// Succeeded forgets the email's failures and writes the "login" audit row
// inside tx (the transaction that creates the token or the session).
func (s *Service) Succeeded(ctx context.Context, tx *sql.Tx, u store.User, src string, details map[string]string) error {
	s.limiter.Reset("email:" + u.Email)
	return store.InsertAudit(ctx, tx, store.AuditEntry{At: s.now(), ActorID: u.ID, ActorEmail: u.Email, Action: "login",
		TargetType: "user", TargetID: u.ID, SourceAddr: src, Details: details})
}

func (s *Service) audit(ctx context.Context, action string, u store.User, email, src, reason string) {
	err := store.InsertAudit(ctx, s.db, store.AuditEntry{At: s.now(), ActorID: u.ID, ActorEmail: Clip(email, 254), Action: action,
		TargetType: "user", TargetID: u.ID, SourceAddr: src, Details: map[string]string{"reason": reason}})
	if err != nil {
		s.log.Error("audit: login", "err", err)
	}
}

// Clip shortens s to at most n bytes (valid UTF-8) with an ellipsis.
func Clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "") + "…"
}
