package agent

// Signing in and out: with an email and a password (people), or with an
// API token (service accounts: a CI runner has no password).
//
// Decisions about service accounts:
//   - `gatepassd login --token-stdin` hands the agent an API token an
//     admin issued; the agent asks the backend who it belongs to
//     (GET /api/v1/me) and takes it only if that is a service account: a
//     person signs in with their password (and gets a token of this
//     device, limited by the sign-in rules).
//   - Signing out forgets the token on this machine but does not revoke it
//     on the backend: it is the admin's (shown once, often shared by every
//     job of a CI pipeline); revoking it is the admin's "new token". A
//     person's token is revoked on sign-out as before.
//   - The rest is a person's sign-in: the device key is made on the first
//     sign-in of the account on this machine and its public key
//     registered, and status shows the account as a service account
//     (User.Service).

import (
	"context"
	"net/http"
	"strings"
	"time"

	"gatepass.dev/desktop/internal/localapi"
	"gatepass.dev/shared/api"
	"gatepass.dev/shared/client"
)

// Login signs in to a backend: the token is kept in the Store, the
// device's key pair is created on the first sign-in of this account and its
// public key registered, and the watch starts. With a password, the device
// token of the previous sign-in to the account is sent along, and the new
// one saved; with an API token (Token), the token must be a service
// account's. A previous session (another account) is signed out once the
// new sign-in succeeded.
func (a *Agent) Login(ctx context.Context, in localapi.LoginRequest) error {
	server := in.Server
	if server == "" {
		server = a.opts.DefaultServer
	}
	if server == "" {
		return apiError(http.StatusBadRequest, api.CodeBadRequest, "server: which Gatepass server? (e.g. https://gatepass.example.com)")
	}
	server, err := normalizeServer(server)
	if err != nil {
		return err
	}
	email, token := strings.TrimSpace(in.Email), strings.TrimSpace(in.Token)
	switch {
	case token != "" && (email != "" || in.Password != ""):
		return apiError(http.StatusBadRequest, api.CodeBadRequest, "sign in with an email and a password, or with a service account's API token: not both")
	case token == "" && (email == "" || in.Password == ""):
		return apiError(http.StatusBadRequest, api.CodeBadRequest, "email and password are required")
	}
	ctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	c := client.New(server, client.WithHTTPClient(a.hc))
	var signed signedIn
	if token != "" {
		signed, err = a.tokenLogin(ctx, c, server, token)
	} else {
		signed, err = a.passwordLogin(ctx, c, server, email, in.Password)
	}
	if err != nil {
		return err
	}
	return a.finishLogin(ctx, c, server, signed)
}

// signedIn is what a sign-in brought: the account, its token, and the
// server's time with the agent-clock instants of the call around it.
type signedIn struct {
	user       api.User
	token      string
	serverTime time.Time // zero: none measured
	sent, recv time.Time
}

func (a *Agent) passwordLogin(ctx context.Context, c *client.Client, server, email, password string) (signedIn, error) {
	sent := a.clock.Now()
	resp, err := c.LoginWith(ctx, api.LoginRequest{Email: email, Password: password,
		DeviceToken: readDeviceToken(deviceTokenPath(a.opts.StateDir, server, email))})
	recv := a.clock.Now()
	if err != nil {
		return signedIn{}, backendErr(server, err)
	}
	if resp.DeviceToken != "" {
		if err := writeFileAtomic(deviceTokenPath(a.opts.StateDir, server, resp.User.Email), []byte(resp.DeviceToken+"\n")); err != nil {
			a.log.Warn("the device token could not be saved: sign-ins from here are limited like a new device's", "err", err)
		}
	}
	return signedIn{user: resp.User, token: resp.Token, serverTime: resp.ServerTime, sent: sent, recv: recv}, nil
}

// tokenLogin checks a service account's API token: the backend must know
// it, and it must be a service account's.
func (a *Agent) tokenLogin(ctx context.Context, c *client.Client, server, token string) (signedIn, error) {
	c.SetToken(token)
	u, err := c.Me(ctx)
	if err != nil {
		if client.StatusOf(err) == http.StatusUnauthorized {
			return signedIn{}, apiError(http.StatusUnauthorized, api.CodeUnauthorized, "the API token was refused: it is wrong, expired or was replaced (an admin can issue a new one)")
		}
		return signedIn{}, backendErr(server, err)
	}
	if !u.Service {
		return signedIn{}, apiError(http.StatusBadRequest, api.CodeBadRequest, "%s is a person's account: sign in with the email and password (API tokens are for service accounts)", u.Email)
	}
	return signedIn{user: u, token: token}, nil
}

// finishLogin registers the device key, keeps the token and starts the
// session.
func (a *Agent) finishLogin(ctx context.Context, c *client.Client, server string, in signedIn) error {
	kp := keyPath(a.opts.StateDir, server, in.user.Email)
	key, _, err := loadOrCreateKey(kp)
	if err != nil {
		a.abandon(ctx, c, in.user)
		return apiError(http.StatusInternalServerError, api.CodeInternal, "%v", err)
	}
	dev, key, err := a.registerKey(ctx, c, kp, key) // a refused key is replaced once
	if err != nil {
		a.abandon(ctx, c, in.user)
		return backendErr(server, err)
	}
	s := &session{
		state:      sessionState{Server: server, Email: in.user.Email, User: in.user, DeviceID: dev.ID, DeviceName: dev.Name, Addresses: dev.Addresses},
		client:     c,
		key:        key,
		registered: true,
	}
	if err := a.creds.Set(server, s.state.Email, in.token); err != nil {
		a.log.Warn("the login token could not be saved: sign in again after a restart", "err", err)
	}
	if err := writeJSONFile(a.path(sessionFile), s.state); err != nil {
		a.log.Warn("could not save the session", "err", err)
	}
	nsent := a.clock.Now()
	nets, nerr := c.MyNetworks(ctx)
	nrecv := a.clock.Now()

	a.mu.Lock()
	if a.closed {
		a.mu.Unlock()
		return apiError(http.StatusServiceUnavailable, api.CodeUnavailable, "the agent is stopping (the sign-in is saved for its next start)")
	}
	old := a.sess
	if old != nil {
		a.endSessionLocked()
	}
	a.observeLocked(in.serverTime, in.sent, in.recv)
	if nerr == nil {
		a.observeLocked(nets.ServerTime, nsent, nrecv)
		a.replaceNetworksLocked(nets.Networks)
	}
	a.reachable = true
	a.startSessionLocked(s)
	a.mu.Unlock()
	a.log.Info("signed in", "server", server, "email", s.state.Email, "device", dev.ID, "service", in.user.Service)
	if old != nil && (old.state.Server != server || old.state.Email != s.state.Email) {
		a.revoke(old)
		if err := a.creds.Delete(old.state.Server, old.state.Email); err != nil {
			a.log.Warn("could not delete the previous login token", "err", err)
		}
	}
	return nil
}

// abandon ends a sign-in that failed half-way: a person's new token is
// revoked (best effort: do not leave a live token behind); a service
// account's API token is the admin's and stays.
func (a *Agent) abandon(ctx context.Context, c *client.Client, u api.User) {
	if !u.Service {
		c.Logout(ctx) //nolint:errcheck // best effort
	}
}

// revoke signs a session's token out on the backend (best effort). A
// service account's API token is not revoked: it is the admin's.
func (a *Agent) revoke(s *session) {
	if s.state.User.Service {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := s.client.Logout(ctx); err != nil && client.StatusOf(err) != http.StatusUnauthorized {
		a.log.Info("could not revoke the login token on the backend", "err", err)
	}
}

// Logout closes every tunnel, revokes the token on the backend (best
// effort; not a service account's API token), and forgets it. The device
// key stays for the next sign-in.
func (a *Agent) Logout(ctx context.Context) error {
	a.mu.Lock()
	s := a.sess
	if s == nil {
		a.message = ""
		a.broadcastLocked()
		a.mu.Unlock()
		return nil
	}
	a.endSessionLocked()
	a.message = ""
	a.broadcastLocked()
	a.mu.Unlock()
	a.revoke(s)
	a.forget(s)
	a.log.Info("signed out", "server", s.state.Server, "email", s.state.Email)
	return nil
}
