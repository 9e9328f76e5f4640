// Package signin checks credentials for both ways of signing in to
// gatepass-server: the JSON API's POST /api/v1/login (bearer tokens for the
// agent) and the admin web page's /admin/login (cookie sessions). Both share
// one Service, so one limiter counts the failures of both. Failures and
// blocks are audited (login.failure, login.blocked, with the reason and the
// limits that blocked); the caller audits the success ("login") in the
// transaction that creates its token or session, through Succeeded.
// AcceptInvite sets an invited user's password, under the policy of
// auth.ValidatePassword.
//
// # Throttling without a lockout
//
// A lockout per account ("five wrong passwords lock it for 15 minutes")
// lets anyone keep the real owner out. Instead, following OWASP's "Slow
// Down Online Guessing Attacks with Device Cookies":
//
//   - Device tokens. Every successful sign-in issues a device token bound
//     to the account (v1.<user id>.<expiry>.<nonce>.<mac>, HMAC-SHA256 with
//     a random 32-byte key made on the first start and kept in the settings
//     table as "signin.device_key"; valid DeviceTokenTTL, a year). The web
//     page keeps it in a long-lived HttpOnly, SameSite=Lax cookie
//     (gatepass_device, __Host- prefixed and Secure over https); the API
//     returns it as device_token and the agent sends it back in its next
//     login request. A token that is valid for THE account signing in
//     makes the attempt trusted: only DeviceLimit applies (5 failures with
//     that token in 15 minutes), and its failures count against the token
//     alone. Past DeviceLimit the token is distrusted until the window
//     passes: a stolen token is locked out on its own, not the account.
//     Forged, altered, expired or another account's tokens are ignored.
//   - Untrusted attempts (no valid token) pass three limits, all checked
//     and counted at once before the password is checked (so concurrent
//     guesses cannot overrun them): AccountAddressLimit (5 failures of the
//     account from one address in 15 minutes), AddressLimit (20 failures
//     from one address over all accounts in 15 minutes) and AccountLimit
//     (per account from anywhere: 5 at once, then delays growing 1, 2, 4,
//     8, 15 minutes after each failure, the run forgotten after an hour
//     without failures). IPv6 sources count by their /64.
//   - A success takes its own attempt back (it was no failure) and forgets
//     the failures of its account from its address, or of its device token.
//     It does not end an AccountLimit run: the owner's success must not give
//     a guesser five free guesses again.
//
// What this guarantees: a distributed guesser without a valid device token
// of the account gets at most MaxGuessesPerHour (11) guesses per account in
// any hour, and 4 an hour once the attack is kept up, however many
// addresses it has. The owner on a browser or agent that signed in before
// signs in at once during such an attack. The owner on a new device waits
// at most AccountLimit's cap (15 minutes) after the attacker's latest
// guess, never a fixed lockout; a guesser that keeps pace with the delays
// keeps new devices of that account waiting: the price of the bound, and
// the reason for the device tokens. Failures from other addresses never
// touch the owner's own address limits. Blocks are 429 with Retry-After
// (fault.Limited through BlockedError).
//
// The limiter's state (auth.State) is in the database (DBState): every
// replica of the server counts the same failures, and a restart forgets
// none. Source
// addresses are the TCP peer's: behind a reverse proxy every client has the
// proxy's address, and the per-address limits then apply to all together.
package signin

import (
	"cmp"
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
	"gatepass.dev/backend/internal/events"
	"gatepass.dev/backend/internal/fault"
	"gatepass.dev/backend/internal/metrics"
	"gatepass.dev/backend/internal/store"
)

// ErrBadCredentials is a wrong email or password, or a disabled account:
// callers tell the person only "wrong email or password".
var ErrBadCredentials = fault.Sentinel(fault.Unauthenticated, "wrong email or password")

// BlockedError refuses a sign-in after too many failures.
type BlockedError struct{ Wait time.Duration }

func (e *BlockedError) Error() string {
	return "too many failed sign-in attempts: try again in " + e.Minutes()
}

// Minutes is the wait in words, rounded up to whole minutes ("3 minutes").
func (e *BlockedError) Minutes() string {
	if n := int(math.Ceil(e.Wait.Minutes())); n != 1 {
		return fmt.Sprintf("%d minutes", n)
	}
	return "1 minute"
}

// Fault classifies the block: rate limited, with the wait.
func (e *BlockedError) Fault() *fault.Error {
	return fault.Limited(e.Wait, "%s", e.Error())
}

// Seconds is the wait rounded up to whole seconds (for Retry-After).
func (e *BlockedError) Seconds() int { return int(math.Ceil(e.Wait.Seconds())) }

// Options configure a Service.
type Options struct {
	DB      *store.DB
	Clock   clockwork.Clock
	Metrics *metrics.Metrics
	Logger  *slog.Logger
	// State keeps the limiter's failures; default in the database
	// (DBState).
	State auth.State
	// Bus hears of sign-outs (their streams end).
	Bus *events.Bus
	// TokenTTL is the lifetime of an API token (DefaultTokenTTL).
	TokenTTL time.Duration
	// SessionTTL ends a web session this long after sign-in at the latest
	// (DefaultSessionTTL); IdleTimeout ends it without a page load for this
	// long (DefaultIdleTimeout).
	SessionTTL  time.Duration
	IdleTimeout time.Duration
}

// Service checks credentials.
type Service struct {
	opt     Options
	db      *store.DB
	clock   clockwork.Clock
	metrics *metrics.Metrics
	log     *slog.Logger
	limiter *auth.Limiter
	devices devices
}

// New returns a Service, reading (on the first start: creating) the key of
// the device tokens.
func New(ctx context.Context, o Options) (*Service, error) {
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Bus == nil {
		return nil, errors.New("signin: no bus to tell of sign-outs")
	}
	o.TokenTTL = cmp.Or(o.TokenTTL, DefaultTokenTTL)
	o.SessionTTL = cmp.Or(o.SessionTTL, DefaultSessionTTL)
	o.IdleTimeout = cmp.Or(o.IdleTimeout, DefaultIdleTimeout)
	d, err := loadDevices(ctx, o.DB)
	if err != nil {
		return nil, err
	}
	if o.State == nil {
		o.State = DBState{DB: o.DB}
	}
	return &Service{opt: o, db: o.DB, clock: o.Clock, metrics: o.Metrics, log: o.Logger, limiter: auth.NewLimiter(o.Clock, o.State), devices: d}, nil
}

func (s *Service) now() time.Time { return s.clock.Now().UTC() }

// Attempt is one sign-in attempt.
type Attempt struct {
	Email    string // normalized by the caller (store.NormalizeEmail)
	Password string
	Source   string // the client's address
	// DeviceToken is the token of a previous sign-in on this device (the
	// web page's cookie, the agent's saved token); may be empty.
	DeviceToken string
}

// Pass is a successful check, for Succeeded.
type Pass struct {
	User    store.User
	attempt Attempt
	taken   auth.Taken
	device  string // the nonce of the trusted device token, if any
}

// Check verifies an attempt. It returns the Pass, a *BlockedError,
// ErrBadCredentials, or a database error. Failures count against the
// limits and are audited; an unknown email costs as much time as a known
// one.
func (s *Service) Check(ctx context.Context, a Attempt) (Pass, error) {
	u, err := store.UserByEmail(ctx, s.db, a.Email)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return Pass{}, err
	}
	device, trust := "", "none"
	var taken auth.Taken
	ok := false
	if nonce := s.devices.check(a.DeviceToken, u.ID, s.now()); nonce != "" {
		if taken, _, ok, err = s.limiter.Take(ctx, deviceKey(nonce)); err != nil {
			return Pass{}, err
		} else if ok {
			device, trust = nonce, "trusted"
		} else {
			trust = "locked"
		}
	} else if a.DeviceToken != "" {
		trust = "invalid"
	}
	if !ok {
		keys := untrustedKeys(a.Email, a.Source)
		var waits []time.Duration
		if taken, waits, ok, err = s.limiter.Take(ctx, keys...); err != nil {
			return Pass{}, err
		} else if !ok {
			var wait time.Duration
			var limits []string
			for i, w := range waits {
				if w > 0 {
					wait = max(wait, w)
					limits = append(limits, strings.SplitN(keys[i].Name, ":", 2)[0])
				}
			}
			s.audit(ctx, "login.blocked", u, a, map[string]string{"reason": "too many failed attempts", "limits": strings.Join(limits, " "), "device": trust})
			return Pass{}, &BlockedError{Wait: wait}
		}
	}
	reason := ""
	switch {
	case u.ID == "":
		_ = auth.CheckPassword("", a.Password) // same cost as a real check
		reason = "unknown email"
	case u.Service:
		_ = auth.CheckPassword("", a.Password)
		reason = "service user: it signs in with its API token"
	case auth.CheckPassword(u.PasswordHash, a.Password) != nil:
		reason = "wrong password"
	case u.Disabled:
		reason = "account disabled"
	}
	if reason != "" {
		s.metrics.LoginFailures.Inc()
		s.audit(ctx, "login.failure", u, a, map[string]string{"reason": reason, "device": trust})
		return Pass{}, ErrBadCredentials
	}
	return Pass{User: u, attempt: a, taken: taken, device: device}, nil
}

// Succeeded writes the "login" audit row inside tx (the transaction that
// creates the token or the session), forgets the failures the pass makes
// void (in tx too), and returns a new device token for the client to keep.
func (s *Service) Succeeded(ctx context.Context, tx *sql.Tx, p Pass, details map[string]string) (deviceToken string, err error) {
	u, a := p.User, p.attempt
	if p.device != "" {
		if err := s.limiter.Reset(ctx, tx, deviceKey(p.device).Name); err != nil {
			return "", err
		}
	} else {
		keys := untrustedKeys(a.Email, a.Source)
		if err := s.limiter.Undo(ctx, tx, p.taken, keys[1].Name, keys[2].Name); err != nil {
			return "", err
		}
		if err := s.limiter.Reset(ctx, tx, keys[0].Name); err != nil {
			return "", err
		}
	}
	d := map[string]string{"device": "new"}
	if p.device != "" {
		d["device"] = "known"
	}
	for k, v := range details {
		d[k] = v
	}
	now := s.now()
	err = store.InsertAudit(ctx, tx, store.AuditEntry{At: now, ActorID: u.ID, ActorEmail: u.Email, Action: "login",
		TargetType: "user", TargetID: u.ID, Source: a.Source, Details: d})
	if err != nil {
		return "", err
	}
	return s.devices.issue(u.ID, now), nil
}

func (s *Service) audit(ctx context.Context, action string, u store.User, a Attempt, details map[string]string) {
	err := store.InsertAudit(ctx, s.db, store.AuditEntry{At: s.now(), ActorID: u.ID, ActorEmail: Clip(a.Email, 254), Action: action,
		TargetType: "user", TargetID: u.ID, Source: a.Source, Details: details})
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
