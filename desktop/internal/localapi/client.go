package localapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"gatepass.dev/shared/api"
	"gatepass.dev/shared/sse"
)

var (
	// ErrNotRunning is wrapped by the error of a call when no agent listens
	// on the socket (or pipe).
	ErrNotRunning = errors.New("gatepassd is not running")
	// ErrAlreadyRunning is wrapped by Listen's error when an agent already
	// serves the socket (or pipe).
	ErrAlreadyRunning = errors.New("gatepassd is already running")
)

// Client is a typed client of the LocalAPI. Errors of the agent are
// *api.Error with the HTTP status set; when no agent answers the error
// wraps ErrNotRunning.
type Client struct {
	path string
	hc   *http.Client
}

// NewClient returns a client of the agent listening at path (a unix socket
// path, or a named pipe on Windows); "" means DefaultSocketPath().
func NewClient(path string) *Client {
	if path == "" {
		path = DefaultSocketPath()
	}
	tr := &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			return dial(ctx, path)
		},
		MaxIdleConns:          4,
		IdleConnTimeout:       30 * time.Second,
		ResponseHeaderTimeout: 0, // connect waits for the tunnel: bounded by the caller's context
		DisableCompression:    true,
	}
	return &Client{path: path, hc: &http.Client{Transport: tr}}
}

// Path is the socket (or pipe) the client talks to.
func (c *Client) Path() string { return c.path }

// Status returns the agent's status.
func (c *Client) Status(ctx context.Context) (Status, error) {
	var st Status
	err := c.do(ctx, http.MethodGet, "/localapi/v1/status", nil, &st)
	return st, err
}

// Login signs the agent in to server (empty: the agent's --server).
func (c *Client) Login(ctx context.Context, server, email, password string) (Status, error) {
	return c.LoginWith(ctx, LoginRequest{Server: server, Email: email, Password: password})
}

// LoginToken signs the agent in to server (empty: the agent's --server)
// with a service account's API token.
func (c *Client) LoginToken(ctx context.Context, server, token string) (Status, error) {
	return c.LoginWith(ctx, LoginRequest{Server: server, Token: token})
}

// LoginWith signs the agent in with every field of LoginRequest.
func (c *Client) LoginWith(ctx context.Context, in LoginRequest) (Status, error) {
	return c.statusCall(ctx, http.MethodPost, "/localapi/v1/login", in)
}

// Logout signs the agent out (tunnels down, token revoked and forgotten).
func (c *Client) Logout(ctx context.Context) (Status, error) {
	return c.statusCall(ctx, http.MethodPost, "/localapi/v1/logout", nil)
}

// Request asks for access to network with a reason and a wished duration
// (0: none).
func (c *Client) Request(ctx context.Context, network, reason string, wished time.Duration) (Status, error) {
	return c.statusCall(ctx, http.MethodPost, netPath(network, "request"), AccessRequest{Reason: reason, DurationSeconds: int64(wished / time.Second)})
}

// RequestWith asks for access to network with every field of
// AccessRequest (a scheduled start, say).
func (c *Client) RequestWith(ctx context.Context, network string, in AccessRequest) (Status, error) {
	return c.statusCall(ctx, http.MethodPost, netPath(network, "request"), in)
}

// Extend asks for d more on network's active grant.
func (c *Client) Extend(ctx context.Context, network, reason string, d time.Duration) (Status, error) {
	return c.statusCall(ctx, http.MethodPost, netPath(network, "extend"), ExtendRequest{Reason: reason, DurationSeconds: int64(d / time.Second)})
}

// BreakGlass takes emergency access to network for d (0: the network's
// break-glass maximum).
func (c *Client) BreakGlass(ctx context.Context, network, reason string, d time.Duration) (Status, error) {
	return c.statusCall(ctx, http.MethodPost, netPath(network, "break-glass"), BreakGlassRequest{Reason: reason, DurationSeconds: int64(d / time.Second)})
}

// Cancel withdraws the pending request on network.
func (c *Client) Cancel(ctx context.Context, network string) (Status, error) {
	return c.statusCall(ctx, http.MethodPost, netPath(network, "cancel"), nil)
}

// Connect turns network's toggle on; it returns once the tunnel is up (or
// could not be brought up).
func (c *Client) Connect(ctx context.Context, network string) (Status, error) {
	return c.statusCall(ctx, http.MethodPost, netPath(network, "connect"), nil)
}

// Disconnect turns network's toggle off: the tunnel goes down at once.
func (c *Client) Disconnect(ctx context.Context, network string) (Status, error) {
	return c.statusCall(ctx, http.MethodPost, netPath(network, "disconnect"), nil)
}

// Release gives up network's grant early.
func (c *Client) Release(ctx context.Context, network string) (Status, error) {
	return c.statusCall(ctx, http.MethodPost, netPath(network, "release"), nil)
}

// History lists the user's latest requests on network, newest first.
func (c *Client) History(ctx context.Context, network string) (History, error) {
	var h History
	err := c.do(ctx, http.MethodGet, "/localapi/v1/networks/"+url.PathEscape(network)+"/requests", nil, &h)
	return h, err
}

// Prefs returns the preferences.
func (c *Client) Prefs(ctx context.Context) (Prefs, error) {
	var p Prefs
	err := c.do(ctx, http.MethodGet, "/localapi/v1/prefs", nil, &p)
	return p, err
}

// SetPrefs changes the preferences (nil fields are kept).
func (c *Client) SetPrefs(ctx context.Context, in PrefsInput) (Status, error) {
	return c.statusCall(ctx, http.MethodPut, "/localapi/v1/prefs", in)
}

// Devices lists the signed-in user's devices, this one marked current.
func (c *Client) Devices(ctx context.Context) (Devices, error) {
	var d Devices
	err := c.do(ctx, http.MethodGet, "/localapi/v1/devices", nil, &d)
	return d, err
}

// RemoveDevice removes one of the user's devices (by id, or by a name no
// other device has). Removing this device signs the agent out.
func (c *Client) RemoveDevice(ctx context.Context, device string) (Status, error) {
	return c.statusCall(ctx, http.MethodDelete, "/localapi/v1/devices/"+url.PathEscape(device), nil)
}

// Watch calls fn with the full status at once and after every change,
// until ctx ends, the stream breaks or fn returns an error; it returns the
// reason.
func (c *Client) Watch(ctx context.Context, fn func(Status) error) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://gatepassd/localapi/v1/watch", nil)
	if err != nil {
		return err
	}
	req.Header.Set("Accept", "text/event-stream")
	resp, err := c.hc.Do(req)
	if err != nil {
		return unwrapURL(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return decodeError(resp)
	}
	sr := sse.NewReader(resp.Body)
	for {
		e, err := sr.Next()
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return fmt.Errorf("localapi watch: stream ended: %w", err)
		}
		if e.Type != EventStatus {
			continue // a later agent may send more kinds
		}
		var st Status
		if err := json.Unmarshal([]byte(e.Data), &st); err != nil {
			return fmt.Errorf("localapi watch: bad event: %w", err)
		}
		if err := fn(st); err != nil {
			return err
		}
	}
}

func netPath(network, action string) string {
	return "/localapi/v1/networks/" + url.PathEscape(network) + "/" + action
}

func (c *Client) statusCall(ctx context.Context, method, path string, body any) (Status, error) {
	var st Status
	err := c.do(ctx, method, path, body, &st)
	return st, err
}

func (c *Client) do(ctx context.Context, method, path string, body, out any) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, "http://gatepassd"+path, rd)
	if err != nil {
		return err
	}
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return unwrapURL(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 300 {
		return decodeError(resp)
	}
	if out == nil {
		return nil
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return fmt.Errorf("localapi: bad answer: %w", err)
	}
	return nil
}

// unwrapURL drops net/http's "Get \"http://gatepassd/…\":" prefix, which
// names a host that does not exist.
func unwrapURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

func decodeError(resp *http.Response) error {
	b, _ := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	var e api.ErrorBody
	if err := json.Unmarshal(b, &e); err != nil || e.Error.Code == "" {
		msg := strings.TrimSpace(string(b))
		if msg == "" {
			msg = http.StatusText(resp.StatusCode)
		}
		return &api.Error{Status: resp.StatusCode, Code: codeOf(resp.StatusCode), Message: msg}
	}
	e.Error.Status = resp.StatusCode
	return &e.Error
}
