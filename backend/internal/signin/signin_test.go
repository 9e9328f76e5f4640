package signin_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"gatepass.dev/backend/backendtest"
	"gatepass.dev/backend/internal/signin"
	"gatepass.dev/shared/api"
)

// TestDistributedGuessingLeavesOwnerIn: guessers on a hundred addresses
// try the admin's password for an hour, each as soon as they may. They get
// at most MaxGuessesPerHour guesses, and no address of theirs ever reaches
// its own limits. Meanwhile the admin signs in at once, again and again,
// through the API with the agent's device token and through the web form
// with the browser's device cookie. Without a device token, from their own
// address, the admin waits no longer than the growing delay's cap.
func TestDistributedGuessingLeavesOwnerIn(t *testing.T) {
	srv := backendtest.NewServer(t)
	const owner, ownerIP = backendtest.AdminEmail, "127.0.0.1"

	// The usual browser and agent signed in once before the attack.
	br := newBrowser(t, srv, ownerIP)
	if p := br.signIn(owner, backendtest.AdminPassword); p.Status != http.StatusSeeOther {
		t.Fatalf("first web sign-in: %d", p.Status)
	}
	if br.cookie("gatepass_device") == nil {
		t.Fatal("the web sign-in set no device cookie")
	}
	first := apiLogin(t, srv, ownerIP, owner, backendtest.AdminPassword, "")
	if first.Status != http.StatusOK || first.OK.DeviceToken == "" {
		t.Fatalf("first API login: %d, device token %q", first.Status, first.OK.DeviceToken)
	}
	agentToken := first.OK.DeviceToken

	start := srv.Now()
	guesses, blocked, ownerIns := 0, 0, 0
	for i := 0; srv.Now().Sub(start) < time.Hour; i++ {
		for j := range 2 {
			ip := fmt.Sprintf("127.0.2.%d", 1+(2*i+j)%100)
			a := apiLogin(t, srv, ip, owner, fmt.Sprintf("guess-%d-%d", i, j), "")
			switch a.Status {
			case http.StatusUnauthorized:
				guesses++
			case http.StatusTooManyRequests:
				blocked++
				if a.RetryAfter <= 0 || a.RetryAfter > 15*60 {
					t.Fatalf("guesser blocked with Retry-After %d", a.RetryAfter)
				}
			default:
				t.Fatalf("guess from %s: %d %+v", ip, a.Status, a.Err)
			}
		}
		if i%45 == 7 { // every 15 minutes the owner signs in, at once
			a := apiLogin(t, srv, ownerIP, owner, backendtest.AdminPassword, agentToken)
			if a.Status != http.StatusOK {
				t.Fatalf("minute %v: the agent's login with its device token: %d %+v", srv.Now().Sub(start), a.Status, a.Err)
			}
			agentToken = a.OK.DeviceToken
			if p := br.signIn(owner, backendtest.AdminPassword); p.Status != http.StatusSeeOther {
				t.Fatalf("minute %v: the browser's sign-in with its device cookie: %d", srv.Now().Sub(start), p.Status)
			}
			ownerIns += 2
		}
		srv.Advance(20 * time.Second)
	}
	if guesses > signin.MaxGuessesPerHour || guesses < signin.MaxGuessesPerHour-2 {
		t.Errorf("guesses in an hour: %d, want at most %d (and the guesser kept pace)", guesses, signin.MaxGuessesPerHour)
	}
	if n := len(srv.AuditRows(t, "login.failure")); n != guesses {
		t.Errorf("login.failure rows %d, guesses %d", n, guesses)
	}
	if n := len(srv.AuditRows(t, "login.blocked")); n != blocked || blocked < 300 {
		t.Errorf("login.blocked rows %d, blocked answers %d", n, blocked)
	}
	known := 0
	for _, r := range srv.AuditRows(t, "login") {
		if r.Details["device"] == "known" {
			known++
		}
	}
	if known != ownerIns || ownerIns != 8 {
		t.Errorf("sign-ins with a known device: %d audited, %d made", known, ownerIns)
	}
	for _, r := range srv.AuditRows(t, "login.blocked") {
		if r.Details["limits"] != "account" {
			t.Fatalf("a guesser hit a limit other than the account's: %+v", r.Details)
		}
	}

	// Without a device token, from their own address: blocked right after
	// a guess for at most the cap, then in.
	for i := 0; ; i++ {
		if a := apiLogin(t, srv, "127.0.3.1", owner, "one-more-guess", ""); a.Status == http.StatusUnauthorized {
			break
		}
		if i == 100 {
			t.Fatal("the guesser never got another guess")
		}
		srv.Advance(10 * time.Second)
	}
	a := apiLogin(t, srv, ownerIP, owner, backendtest.AdminPassword, "")
	if a.Status != http.StatusTooManyRequests || a.RetryAfter != 15*60 || !strings.Contains(a.Err.Message, "try again in 15 minutes") {
		t.Fatalf("a new device of the owner right after a guess: %d, Retry-After %d, %q; want 429 for the 15-minute cap", a.Status, a.RetryAfter, a.Err.Message)
	}
	srv.Advance(time.Duration(a.RetryAfter) * time.Second)
	if a := apiLogin(t, srv, ownerIP, owner, backendtest.AdminPassword, ""); a.Status != http.StatusOK || a.OK.DeviceToken == "" {
		t.Fatalf("the owner after Retry-After: %d %+v", a.Status, a.Err)
	}
	if r := lastAudit(t, srv, "login"); r.Details["device"] != "new" || r.Source != ownerIP {
		t.Errorf("the owner's sign-in without a token audited as %+v", r)
	}
}

// TestLimitsPerAccountAddressAndAddress: five failures of one account
// from one address block that pair for 15 minutes; the account's growing
// delay holds other addresses for a minute; twenty failures from one
// address over many accounts block that address. Each block names its
// limits in the audit log and says when to retry.
func TestLimitsPerAccountAddressAndAddress(t *testing.T) {
	srv := backendtest.NewServer(t)
	srv.NewUser(t, "alice@example.com", api.RoleUser)
	srv.NewUser(t, "bob@example.com", api.RoleUser)
	pw := backendtest.UserPassword

	for i := range 5 {
		if a := apiLogin(t, srv, "127.0.3.1", "alice@example.com", fmt.Sprint("wrong-", i), ""); a.Status != http.StatusUnauthorized {
			t.Fatalf("failure %d: %d", i+1, a.Status)
		}
	}
	a := apiLogin(t, srv, "127.0.3.1", "alice@example.com", pw, "")
	if a.Status != http.StatusTooManyRequests || a.RetryAfter != 900 || a.Err.Code != api.CodeRateLimited {
		t.Fatalf("the sixth attempt from the same address: %d Retry-After %d", a.Status, a.RetryAfter)
	}
	if r := lastAudit(t, srv, "login.blocked"); r.Details["limits"] != "account_address account" || r.Source != "127.0.3.1" {
		t.Errorf("blocked audit %+v", r)
	}
	a = apiLogin(t, srv, "127.0.3.2", "alice@example.com", pw, "")
	if a.Status != http.StatusTooManyRequests || a.RetryAfter != 60 {
		t.Fatalf("another address at once: %d Retry-After %d, want 429 for the account's first delay", a.Status, a.RetryAfter)
	}
	if r := lastAudit(t, srv, "login.blocked"); r.Details["limits"] != "account" {
		t.Errorf("blocked audit %+v", r)
	}
	srv.Advance(time.Minute)
	if a := apiLogin(t, srv, "127.0.3.2", "alice@example.com", pw, ""); a.Status != http.StatusOK {
		t.Fatalf("another address after the delay: %d %+v", a.Status, a.Err)
	}
	if a := apiLogin(t, srv, "127.0.3.1", "alice@example.com", pw, ""); a.Status != http.StatusTooManyRequests || a.RetryAfter != 840 {
		t.Fatalf("the failing address a minute later: %d Retry-After %d", a.Status, a.RetryAfter)
	}

	// One address spraying many accounts, four failures each at most.
	for i := range 20 {
		email := fmt.Sprintf("nobody%d@example.com", i/4)
		if a := apiLogin(t, srv, "127.0.4.1", email, "spray-guess", ""); a.Status != http.StatusUnauthorized {
			t.Fatalf("spray %d: %d %+v", i+1, a.Status, a.Err)
		}
		srv.Advance(time.Second)
	}
	a = apiLogin(t, srv, "127.0.4.1", "bob@example.com", pw, "")
	if a.Status != http.StatusTooManyRequests || a.RetryAfter != 900-20 {
		t.Fatalf("the spraying address: %d Retry-After %d", a.Status, a.RetryAfter)
	}
	if r := lastAudit(t, srv, "login.blocked"); r.Details["limits"] != "address" || r.ActorEmail != "bob@example.com" {
		t.Errorf("blocked audit %+v", r)
	}
	if a := apiLogin(t, srv, "127.0.4.2", "bob@example.com", pw, ""); a.Status != http.StatusOK {
		t.Fatalf("bob from his own address: %d %+v", a.Status, a.Err)
	}
	// The web form answers the same block with a readable page.
	p := newBrowser(t, srv, "127.0.4.1").signIn("bob@example.com", pw)
	if p.Status != http.StatusTooManyRequests || p.RetryAfter != "880" || !strings.Contains(p.Body, "Try again in 15 minutes.") {
		t.Errorf("the web form from the spraying address: %d Retry-After %q", p.Status, p.RetryAfter)
	}
}

// TestDeviceTokenExemptsOnlyItsAccount: while carol's account is held by
// guesses from elsewhere, only a valid device token of HER account lets a
// client through; forged, altered and other accounts' tokens give no
// exemption. Failures with a token count against that token: after five,
// it is distrusted on its own while carol's other device still signs in.
func TestDeviceTokenExemptsOnlyItsAccount(t *testing.T) {
	srv := backendtest.NewServer(t)
	_, carol := srv.NewUser(t, "carol@example.com", api.RoleUser)
	srv.NewUser(t, "dave@example.com", api.RoleUser)
	pw := backendtest.UserPassword
	laptop := apiLogin(t, srv, "127.0.5.1", "carol@example.com", pw, "").OK.DeviceToken
	phone := apiLogin(t, srv, "127.0.5.2", "carol@example.com", pw, "").OK.DeviceToken
	daves := apiLogin(t, srv, "127.0.5.3", "dave@example.com", pw, "").OK.DeviceToken
	if laptop == "" || phone == "" || daves == "" || laptop == phone {
		t.Fatalf("device tokens %q %q %q", laptop, phone, daves)
	}
	for i := range 5 {
		if a := apiLogin(t, srv, fmt.Sprintf("127.0.6.%d", i+1), "carol@example.com", "guess", ""); a.Status != http.StatusUnauthorized {
			t.Fatalf("guess %d: %d", i+1, a.Status)
		}
	}
	parts := strings.Split(laptop, ".")
	alter := func(s string) string {
		if s[len(s)-1] == 'A' {
			return s[:len(s)-1] + "B"
		}
		return s[:len(s)-1] + "A"
	}
	if a := apiLogin(t, srv, "127.0.5.9", "carol@example.com", pw, ""); a.Status != http.StatusTooManyRequests || a.RetryAfter != 60 {
		t.Fatalf("carol without a token: %d Retry-After %d, want 429 for the account's first delay", a.Status, a.RetryAfter)
	}
	for name, tok := range map[string]string{
		"dave's":           daves,
		"mac altered":      strings.Join(append(parts[:4:4], alter(parts[4])), "."),
		"nonce altered":    strings.Join([]string{parts[0], parts[1], parts[2], alter(parts[3]), parts[4]}, "."),
		"forged for carol": "v1." + carol.ID + ".4102444800.AAAAAAAAAAAAAAAAAAAAAA.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
	} {
		a := apiLogin(t, srv, "127.0.5.9", "carol@example.com", pw, tok)
		if a.Status != http.StatusTooManyRequests || a.RetryAfter != 60 {
			t.Errorf("token %s: %d Retry-After %d, want 429 like any untrusted client", name, a.Status, a.RetryAfter)
		}
		if r := lastAudit(t, srv, "login.blocked"); r.Details["device"] != "invalid" {
			t.Errorf("token %s: block audited as %+v", name, r.Details)
		}
	}
	a := apiLogin(t, srv, "127.0.5.9", "carol@example.com", pw, laptop)
	if a.Status != http.StatusOK || a.OK.DeviceToken == "" || a.OK.DeviceToken == laptop {
		t.Fatalf("carol's laptop token during the attack: %d %+v", a.Status, a.Err)
	}

	// A stolen laptop token: five failures with it, from anywhere.
	for i := range 5 {
		if a := apiLogin(t, srv, fmt.Sprintf("127.0.7.%d", i+1), "carol@example.com", "thief-guess", laptop); a.Status != http.StatusUnauthorized {
			t.Fatalf("thief guess %d: %d", i+1, a.Status)
		}
		if r := lastAudit(t, srv, "login.failure"); r.Details["device"] != "trusted" {
			t.Fatalf("a failure with the token audited as %+v", r.Details)
		}
	}
	a = apiLogin(t, srv, "127.0.5.1", "carol@example.com", pw, laptop)
	if a.Status != http.StatusTooManyRequests || a.RetryAfter != 60 {
		t.Fatalf("the locked laptop token: %d Retry-After %d, want 429 as untrusted", a.Status, a.RetryAfter)
	}
	if r := lastAudit(t, srv, "login.blocked"); r.Details["device"] != "locked" || r.Details["limits"] != "account" {
		t.Errorf("the locked token's block audited as %+v", r.Details)
	}
	if a := apiLogin(t, srv, "127.0.5.2", "carol@example.com", pw, phone); a.Status != http.StatusOK {
		t.Fatalf("carol's phone while the laptop token is locked: %d %+v", a.Status, a.Err)
	}
	// The thief's failures did not count against the account: a minute
	// after the five guesses, an untrusted client passes again.
	srv.Advance(time.Minute)
	if a := apiLogin(t, srv, "127.0.5.4", "carol@example.com", pw, ""); a.Status != http.StatusOK {
		t.Fatalf("carol from a new device after the delay: %d %+v", a.Status, a.Err)
	}
	srv.Advance(15 * time.Minute)
	if a := apiLogin(t, srv, "127.0.5.1", "carol@example.com", pw, laptop); a.Status != http.StatusOK {
		t.Fatalf("the laptop token after its window: %d %+v", a.Status, a.Err)
	}
}

// TestDeviceCookie: the web sign-in's device cookie is HttpOnly,
// SameSite=Lax, for the whole site, kept a year; signing out keeps it.
func TestDeviceCookie(t *testing.T) {
	srv := backendtest.NewServer(t)
	br := newBrowser(t, srv, "127.0.0.1")
	p := br.signIn(backendtest.AdminEmail, backendtest.AdminPassword)
	var dc *http.Cookie
	for _, c := range p.Cookies {
		if c.Name == "gatepass_device" {
			dc = c
		}
	}
	if p.Status != http.StatusSeeOther || dc == nil {
		t.Fatalf("sign-in %d, device cookie %v", p.Status, dc)
	}
	if !dc.HttpOnly || dc.SameSite != http.SameSiteLaxMode || dc.Path != "/" || dc.MaxAge != int(signin.DeviceTokenTTL/time.Second) || dc.Secure {
		t.Errorf("device cookie %+v", dc)
	}
	if !strings.HasPrefix(dc.Value, "v1.") {
		t.Errorf("device cookie value %q", dc.Value)
	}
}
