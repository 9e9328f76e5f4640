// Package client is the typed client of the Gatepass backend API, on
// github.com/go-resty/resty/v2, plus the reader of the SSE watch stream.
// Errors from the API are returned as *api.Error with the HTTP status set.
// Every response's server time is used to track the offset between the
// server clock and the local one (Offset).
package client

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/go-resty/resty/v2"

	"gatepass.dev/shared/api"
)

// Client talks to one backend.
type Client struct {
	r    *resty.Client
	base string

	mu     sync.Mutex
	token  string
	offset time.Duration // server clock − local clock
	haveOf bool
}

// Option configures a Client.
type Option func(*Client)

// WithHTTPClient uses hc for requests (timeouts, TLS, proxies).
func WithHTTPClient(hc *http.Client) Option {
	return func(c *Client) { c.r = resty.NewWithClient(hc) }
}

// WithToken sets the bearer token.
func WithToken(t string) Option { return func(c *Client) { c.token = t } }

// New returns a client of the backend at baseURL (e.g. https://gatepass.example.com).
func New(baseURL string, opts ...Option) *Client {
	c := &Client{r: resty.New(), base: strings.TrimRight(baseURL, "/")}
	for _, o := range opts {
		o(c)
	}
	c.r.SetBaseURL(c.base).SetHeader("Accept", "application/json").SetHeader("User-Agent", "gatepass-client")
	return c
}

// BaseURL returns the backend's base URL.
func (c *Client) BaseURL() string { return c.base }

// SetToken sets the bearer token used from now on.
func (c *Client) SetToken(t string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.token = t
}

// Token returns the bearer token.
func (c *Client) Token() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.token
}

// Offset returns the last measured server clock minus the local clock, and
// whether it has been measured.
func (c *Client) Offset() (time.Duration, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.offset, c.haveOf
}

// ServerNow is the local clock corrected by the measured offset.
func (c *Client) ServerNow() time.Time {
	off, _ := c.Offset()
	return time.Now().Add(off)
}

func (c *Client) observe(sent, received time.Time, h http.Header) {
	v := h.Get(api.ServerTimeHeader)
	if v == "" {
		return
	}
	st, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		return
	}
	mid := sent.Add(received.Sub(sent) / 2)
	c.mu.Lock()
	c.offset, c.haveOf = st.Sub(mid), true
	c.mu.Unlock()
}

// do sends one request; body (may be nil) is sent as JSON, out (may be nil)
// receives the JSON answer.
func (c *Client) do(ctx context.Context, method, path string, body, out any) error {
	req := c.r.R().SetContext(ctx)
	if t := c.Token(); t != "" {
		req.SetAuthToken(t)
	}
	if body != nil {
		req.SetHeader("Content-Type", "application/json").SetBody(body)
	}
	var apiErr api.ErrorBody
	req.SetError(&apiErr)
	if out != nil {
		req.SetResult(out)
	}
	sent := time.Now()
	resp, err := req.Execute(method, path)
	if err != nil {
		return err
	}
	c.observe(sent, time.Now(), resp.Header())
	if resp.IsError() {
		e := apiErr.Error
		e.Status = resp.StatusCode()
		if e.Message == "" {
			e.Message = strings.TrimSpace(string(resp.Body()))
			if e.Message == "" {
				e.Message = http.StatusText(resp.StatusCode())
			}
		}
		return &e
	}
	return nil
}

// StatusOf returns the HTTP status of an API error, or 0.
func StatusOf(err error) int {
	var e *api.Error
	if errors.As(err, &e) {
		return e.Status
	}
	return 0
}

// Login signs in and keeps the token.
func (c *Client) Login(ctx context.Context, email, password string) (api.LoginResponse, error) {
	return c.LoginWith(ctx, api.LoginRequest{Email: email, Password: password})
}

// LoginWith signs in with a full login request (e.g. with the device token
// of the previous sign-in) and keeps the token. The answer's DeviceToken is
// for the caller to keep and send next time.
func (c *Client) LoginWith(ctx context.Context, in api.LoginRequest) (api.LoginResponse, error) {
	var out api.LoginResponse
	if err := c.do(ctx, http.MethodPost, "/api/v1/login", in, &out); err != nil {
		return out, err
	}
	c.SetToken(out.Token)
	return out, nil
}

// Logout revokes the token.
func (c *Client) Logout(ctx context.Context) error {
	err := c.do(ctx, http.MethodPost, "/api/v1/logout", nil, nil)
	if err == nil {
		c.SetToken("")
	}
	return err
}

// Me returns the signed-in user.
func (c *Client) Me(ctx context.Context) (api.User, error) {
	var out api.UserResponse
	err := c.do(ctx, http.MethodGet, "/api/v1/me", nil, &out)
	return out.User, err
}

// MyNetworks lists the user's networks with their states.
func (c *Client) MyNetworks(ctx context.Context) (api.MyNetworksResponse, error) {
	var out api.MyNetworksResponse
	err := c.do(ctx, http.MethodGet, "/api/v1/me/networks", nil, &out)
	return out, err
}

// MyRequests lists the user's requests, newest first.
func (c *Client) MyRequests(ctx context.Context, q RequestQuery) (api.RequestList, error) {
	var out api.RequestList
	err := c.do(ctx, http.MethodGet, "/api/v1/me/requests?"+q.values().Encode(), nil, &out)
	return out, err
}

// RegisterDevice registers the device's public key.
func (c *Client) RegisterDevice(ctx context.Context, name, publicKey string) (api.Device, error) {
	var out api.DeviceResponse
	err := c.do(ctx, http.MethodPost, "/api/v1/devices", api.DeviceInput{Name: name, PublicKey: publicKey}, &out)
	return out.Device, err
}

// Devices lists the user's devices.
func (c *Client) Devices(ctx context.Context) ([]api.Device, error) {
	var out api.DeviceList
	err := c.do(ctx, http.MethodGet, "/api/v1/devices", nil, &out)
	return out.Devices, err
}

// RemoveDevice removes one of the user's devices (the tokens registered
// with it are signed out).
func (c *Client) RemoveDevice(ctx context.Context, id string) error {
	return c.do(ctx, http.MethodDelete, "/api/v1/devices/"+url.PathEscape(id), nil, nil)
}

// UserDevices lists a user's devices (admin).
func (c *Client) UserDevices(ctx context.Context, userID string) ([]api.Device, error) {
	var out api.DeviceList
	err := c.do(ctx, http.MethodGet, "/api/v1/admin/users/"+url.PathEscape(userID)+"/devices", nil, &out)
	return out.Devices, err
}

// AdminRemoveDevice removes any user's device (admin).
func (c *Client) AdminRemoveDevice(ctx context.Context, id string) error {
	return c.do(ctx, http.MethodDelete, "/api/v1/admin/devices/"+url.PathEscape(id), nil, nil)
}

// Request asks for access to a network; wished may be zero for no wish.
func (c *Client) Request(ctx context.Context, networkID, reason string, wished time.Duration) (api.Request, error) {
	in := api.NewRequest{Reason: reason}
	if wished != 0 {
		s := int64(wished / time.Second)
		in.DurationSeconds = &s
	}
	var out api.RequestResponse
	err := c.do(ctx, http.MethodPost, "/api/v1/networks/"+url.PathEscape(networkID)+"/requests", in, &out)
	return out.Request, err
}

// GetRequest returns one of the user's requests.
func (c *Client) GetRequest(ctx context.Context, id string) (api.Request, error) {
	var out api.RequestResponse
	err := c.do(ctx, http.MethodGet, "/api/v1/requests/"+url.PathEscape(id), nil, &out)
	return out.Request, err
}

// Cancel withdraws a pending request.
func (c *Client) Cancel(ctx context.Context, id string) (api.Request, error) {
	return c.requestAction(ctx, "/api/v1/requests/"+url.PathEscape(id)+"/cancel", nil)
}

// Release gives up an active grant early.
func (c *Client) Release(ctx context.Context, id string) (api.Request, error) {
	return c.requestAction(ctx, "/api/v1/requests/"+url.PathEscape(id)+"/release", nil)
}

// Approve grants a request for d (zero: the network's default).
func (c *Client) Approve(ctx context.Context, id string, d time.Duration) (api.Request, error) {
	in := api.ApproveRequest{}
	if d != 0 {
		s := int64(d / time.Second)
		in.DurationSeconds = &s
	}
	return c.requestAction(ctx, "/api/v1/admin/requests/"+url.PathEscape(id)+"/approve", in)
}

// Deny refuses a request with an optional note.
func (c *Client) Deny(ctx context.Context, id, note string) (api.Request, error) {
	return c.requestAction(ctx, "/api/v1/admin/requests/"+url.PathEscape(id)+"/deny", api.DenyRequest{Note: note})
}

// Revoke ends an active grant now.
func (c *Client) Revoke(ctx context.Context, id, note string) (api.Request, error) {
	return c.requestAction(ctx, "/api/v1/admin/requests/"+url.PathEscape(id)+"/revoke", api.RevokeRequest{Note: note})
}

func (c *Client) requestAction(ctx context.Context, path string, body any) (api.Request, error) {
	var out api.RequestResponse
	err := c.do(ctx, http.MethodPost, path, body, &out)
	return out.Request, err
}

// RequestQuery filters request lists.
type RequestQuery struct {
	Status  string // a status, a comma list, or "ended"
	Network string
	User    string
	Q       string
	Limit   int
	Cursor  string
	Order   string // newest (default) or oldest
}

func (q RequestQuery) values() url.Values {
	v := url.Values{}
	for k, s := range map[string]string{"status": q.Status, "network": q.Network, "user": q.User, "q": q.Q, "cursor": q.Cursor, "order": q.Order} {
		if s != "" {
			v.Set(k, s)
		}
	}
	if q.Limit > 0 {
		v.Set("limit", strconv.Itoa(q.Limit))
	}
	return v
}

// GrantAgain gives the user of a closed request a new grant on its
// network for d (0: the network's default) and returns the new request.
func (c *Client) GrantAgain(ctx context.Context, id string, d time.Duration) (api.Request, error) {
	var in api.ApproveRequest
	if d > 0 {
		secs := int64(d / time.Second)
		in.DurationSeconds = &secs
	}
	return c.requestAction(ctx, "/api/v1/admin/requests/"+url.PathEscape(id)+"/grant-again", in)
}

// BulkDecide approves or denies many pending requests, each on its own.
func (c *Client) BulkDecide(ctx context.Context, in api.BulkDecision) (api.BulkResponse, error) {
	var out api.BulkResponse
	err := c.do(ctx, http.MethodPost, "/api/v1/admin/requests/bulk", in, &out)
	return out, err
}

// AdminRequests lists requests for admins.
func (c *Client) AdminRequests(ctx context.Context, q RequestQuery) (api.RequestList, error) {
	var out api.RequestList
	err := c.do(ctx, http.MethodGet, "/api/v1/admin/requests?"+q.values().Encode(), nil, &out)
	return out, err
}

// AdminRequest returns any request.
func (c *Client) AdminRequest(ctx context.Context, id string) (api.Request, error) {
	var out api.RequestResponse
	err := c.do(ctx, http.MethodGet, "/api/v1/admin/requests/"+url.PathEscape(id), nil, &out)
	return out.Request, err
}

// Networks lists every network (admin).
func (c *Client) Networks(ctx context.Context) ([]api.Network, error) {
	var out api.NetworkList
	err := c.do(ctx, http.MethodGet, "/api/v1/admin/networks", nil, &out)
	return out.Networks, err
}

// CreateNetwork creates a network (admin).
func (c *Client) CreateNetwork(ctx context.Context, in api.NetworkInput) (api.Network, error) {
	var out api.NetworkResponse
	err := c.do(ctx, http.MethodPost, "/api/v1/admin/networks", in, &out)
	return out.Network, err
}

// UpdateNetwork changes a network (admin).
func (c *Client) UpdateNetwork(ctx context.Context, id string, in api.NetworkInput) (api.Network, error) {
	var out api.NetworkResponse
	err := c.do(ctx, http.MethodPatch, "/api/v1/admin/networks/"+url.PathEscape(id), in, &out)
	return out.Network, err
}

// DeleteNetwork deletes a network (admin).
func (c *Client) DeleteNetwork(ctx context.Context, id string) error {
	return c.do(ctx, http.MethodDelete, "/api/v1/admin/networks/"+url.PathEscape(id), nil, nil)
}

// Users lists users (admin).
func (c *Client) Users(ctx context.Context) ([]api.User, error) {
	var out api.UserList
	err := c.do(ctx, http.MethodGet, "/api/v1/admin/users", nil, &out)
	return out.Users, err
}

// CreateUser creates or invites a user (admin).
func (c *Client) CreateUser(ctx context.Context, in api.UserInput) (api.User, error) {
	var out api.UserResponse
	err := c.do(ctx, http.MethodPost, "/api/v1/admin/users", in, &out)
	return out.User, err
}

// UpdateUser changes a user's name, role or disabled flag (admin).
func (c *Client) UpdateUser(ctx context.Context, id string, in api.UserPatch) (api.User, error) {
	var out api.UserResponse
	err := c.do(ctx, http.MethodPatch, "/api/v1/admin/users/"+url.PathEscape(id), in, &out)
	return out.User, err
}

// AcceptInvite sets the password of an invited user.
func (c *Client) AcceptInvite(ctx context.Context, token, password string) (api.User, error) {
	var out api.UserResponse
	err := c.do(ctx, http.MethodPost, "/api/v1/invites/accept", api.SetPasswordRequest{Token: token, Password: password}, &out)
	return out.User, err
}

// Audit lists audit entries (admin); q holds the filter parameters.
func (c *Client) Audit(ctx context.Context, q url.Values) (api.AuditList, error) {
	var out api.AuditList
	err := c.do(ctx, http.MethodGet, "/api/v1/admin/audit?"+q.Encode(), nil, &out)
	return out, err
}

// Outbox lists emails with their delivery state (admin).
func (c *Client) Outbox(ctx context.Context, status api.OutboxStatus) ([]api.OutboxMessage, error) {
	var out api.OutboxList
	q := url.Values{}
	if status != "" {
		q.Set("status", string(status))
	}
	err := c.do(ctx, http.MethodGet, "/api/v1/admin/outbox?"+q.Encode(), nil, &out)
	return out.Messages, err
}

// OutboxPage lists one page of emails (admin); q holds status, limit and
// the cursor of the previous page's NextCursor.
func (c *Client) OutboxPage(ctx context.Context, q url.Values) (api.OutboxList, error) {
	var out api.OutboxList
	err := c.do(ctx, http.MethodGet, "/api/v1/admin/outbox?"+q.Encode(), nil, &out)
	return out, err
}

// RetryMail queues a failed or undeliverable email again (admin).
func (c *Client) RetryMail(ctx context.Context, id int64) error {
	return c.do(ctx, http.MethodPost, "/api/v1/admin/outbox/"+strconv.FormatInt(id, 10)+"/retry", nil, nil)
}

// RetryUndeliverable queues every undeliverable email again and returns
// how many.
func (c *Client) RetryUndeliverable(ctx context.Context) (int, error) {
	var out api.RetriedResponse
	err := c.do(ctx, http.MethodPost, "/api/v1/admin/outbox/retry-undeliverable", nil, &out)
	return out.Retried, err
}

// Settings returns the server settings (admin).
func (c *Client) Settings(ctx context.Context) (api.Settings, error) {
	var out api.SettingsResponse
	err := c.do(ctx, http.MethodGet, "/api/v1/admin/settings", nil, &out)
	return out.Settings, err
}

// UpdateSettings changes the server settings (admin).
func (c *Client) UpdateSettings(ctx context.Context, in api.SettingsInput) (api.Settings, error) {
	var out api.SettingsResponse
	err := c.do(ctx, http.MethodPatch, "/api/v1/admin/settings", in, &out)
	return out.Settings, err
}

// TestEmail sends a test email now (admin).
func (c *Client) TestEmail(ctx context.Context, to string) (api.TestEmailResponse, error) {
	var out api.TestEmailResponse
	err := c.do(ctx, http.MethodPost, "/api/v1/admin/settings/test-email", api.TestEmailRequest{To: to}, &out)
	return out, err
}

// Raw sends a request with a raw body and returns the status and body, for
// callers that need what the typed methods hide.
func (c *Client) Raw(ctx context.Context, method, path, contentType string, body []byte) (int, []byte, error) {
	req := c.r.R().SetContext(ctx)
	if t := c.Token(); t != "" {
		req.SetAuthToken(t)
	}
	if body != nil {
		req.SetBody(body)
	}
	if contentType != "" {
		req.SetHeader("Content-Type", contentType)
	}
	resp, err := req.Execute(method, path)
	if err != nil {
		return 0, nil, err
	}
	return resp.StatusCode(), resp.Body(), nil
}

// DecodeError parses an API error body.
func DecodeError(status int, body []byte) *api.Error {
	var e api.ErrorBody
	if err := json.Unmarshal(body, &e); err != nil || e.Error.Code == "" {
		return &api.Error{Status: status, Message: fmt.Sprintf("unexpected answer: %s", strings.TrimSpace(string(body)))}
	}
	e.Error.Status = status
	return &e.Error
}

// Tunnel returns the WireGuard configuration of a device on a network; 403
// unless the user may use the network now.
func (c *Client) Tunnel(ctx context.Context, networkID, deviceID string) (api.TunnelConfig, error) {
	var out api.TunnelConfig
	err := c.do(ctx, http.MethodGet, "/api/v1/networks/"+url.PathEscape(networkID)+"/tunnel?device="+url.QueryEscape(deviceID), nil, &out)
	return out, err
}

// Peers lists a network's peers with their connection state (admin).
func (c *Client) Peers(ctx context.Context, networkID string) ([]api.PeerStatus, error) {
	var out api.PeerList
	err := c.do(ctx, http.MethodGet, "/api/v1/admin/networks/"+url.PathEscape(networkID)+"/peers", nil, &out)
	return out.Peers, err
}
