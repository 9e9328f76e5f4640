// Package localapi is the LocalAPI of the Gatepass agent (gatepassd): HTTP
// with JSON bodies over a unix socket (Linux, macOS) or a named pipe
// (Windows), used by the CLI, the window and the tray. It holds the wire
// types, the server (over a Service the agent implements), the listener
// with its owner-only access check, and a typed client.
//
// Only the local user who runs the agent may use it: the socket is 0600 in
// a 0700 directory of that user and every connection's peer credentials are
// checked (SO_PEERCRED on Linux, LOCAL_PEERCRED on macOS); the pipe's
// security descriptor grants access to the owner alone (Windows).
//
// Endpoints (JSON, snake_case; errors {"error":{"code","message"}}):
//
//	GET  /localapi/v1/status                     Status
//	GET  /localapi/v1/watch                      SSE: "status" events, the full Status first, then on every change
//	POST /localapi/v1/login                      LoginRequest → Status (a password, or a service account's API token)
//	POST /localapi/v1/logout                     → Status
//	POST /localapi/v1/networks/{name}/request    AccessRequest → Status (starts_at: scheduled access)
//	POST /localapi/v1/networks/{name}/extend     ExtendRequest → Status (more time on the active grant)
//	POST /localapi/v1/networks/{name}/break-glass BreakGlassRequest → Status (emergency access at once)
//	POST /localapi/v1/networks/{name}/cancel     → Status
//	POST /localapi/v1/networks/{name}/connect    → Status (once the tunnel is up, or an error)
//	POST /localapi/v1/networks/{name}/disconnect → Status
//	POST /localapi/v1/networks/{name}/release    → Status
//	GET  /localapi/v1/networks/{name}/requests   History: the user's latest requests on the network
//	GET  /localapi/v1/prefs                      Prefs
//	PUT  /localapi/v1/prefs                      PrefsInput → Status
//	GET  /localapi/v1/devices                    Devices: the user's devices, this one marked current
//	DELETE /localapi/v1/devices/{device}         → Status (removing this device signs the agent out)
//
// {name} is a network's name (or its id); {device} a device's id, or its
// name when no other device of the user has it. The login token and the
// device's private key are never part of any answer; the local proxies'
// password is (in Status), as only the owner is answered.
package localapi

import (
	"time"

	"gatepass.dev/shared/api"
)

// Tunnel modes of the agent.
const (
	ModeNetstack = "netstack"
	ModeTUN      = "tun"
)

// Status is everything the agent shows: GET /localapi/v1/status, each
// message of /watch, and `gatepassd status --json` (a contract: fields are
// only ever added).
type Status struct {
	SignedIn bool `json:"signed_in"`
	// Server is the backend's URL (the last one signed in to, or the
	// agent's --server, when signed out).
	Server string `json:"server"`
	// User is the signed-in user; null when signed out.
	User     *api.User `json:"user"`
	Networks []Network `json:"networks"`
	// SOCKS5 and HTTPProxy are the local proxies into the tunnels
	// (netstack mode; "" in TUN mode).
	SOCKS5    string `json:"socks5"`
	HTTPProxy string `json:"http_proxy"`
	// ProxyAuth is the user name and password both proxies demand (SOCKS5
	// username/password, HTTP Proxy-Authorization: Basic); null when they
	// demand none (Linux: only the agent's user and root may connect).
	ProxyAuth *ProxyAuth `json:"proxy_auth"`
	// SOCKS5URL and HTTPProxyURL are the proxies as URLs to give apps,
	// with the credentials when there are:
	// socks5h://user:pass@127.0.0.1:PORT, http://user:pass@127.0.0.1:PORT
	// ("" in TUN mode).
	SOCKS5URL    string `json:"socks5_url"`
	HTTPProxyURL string `json:"http_proxy_url"`
	TunnelMode   string `json:"tunnel_mode"`
	// BackendReachable says whether the last exchange with the backend
	// (the watch stream or a call) succeeded.
	BackendReachable bool `json:"backend_reachable"`
	// ClockOffsetMS is the server clock minus the agent's clock.
	ClockOffsetMS int64 `json:"clock_offset_ms"`
	// ServerTime is the agent's clock corrected by the offset: the "now"
	// that expires_at compare to.
	ServerTime time.Time `json:"server_time"`
	Prefs      Prefs     `json:"prefs"`
	// Device is this machine's registered WireGuard identity (public key
	// only); null when signed out.
	Device *Device `json:"device"`
	// Message explains the last sign-out the user did not ask for (e.g.
	// the token expired, or "This device was removed from your account"),
	// or, while signed in, why this device could not be registered (e.g.
	// the device limit); or is empty.
	Message string `json:"message,omitempty"`
}

// Network is one of the user's networks as the desktop shows it.
type Network struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	Description string `json:"description"`
	JITEnabled  bool   `json:"jit_enabled"`
	// State is request, pending, scheduled, active or standing, derived by
	// the agent with the server clock (an expired grant is never active; a
	// scheduled one turns active at its start on the agent's own timer).
	State api.NetworkState `json:"state"`
	// Connected says the tunnel is up on this device (TunnelState
	// handshaking or connected).
	Connected bool `json:"connected"`
	// Connecting says the tunnel is being brought up (TunnelState
	// connecting).
	Connecting bool `json:"connecting"`
	// TunnelState is where the tunnel is; "connected" only once the
	// gateway answered (the first WireGuard handshake).
	TunnelState TunnelState `json:"tunnel_state"`
	// WantConnected is the user's wish (the toggle); the tunnel is up iff
	// the network is active or standing and this is true.
	WantConnected bool `json:"want_connected"`
	// ExpiresAt is when the grant ends (active only), RFC 3339 UTC.
	ExpiresAt *time.Time `json:"expires_at"`
	// Request is the user's latest request on this network, or null.
	Request *api.Request `json:"request"`
	// Address is this device's address in the network ("" until known).
	Address string `json:"address"`
	// Tunnel is the running tunnel's counters; null when not connected.
	Tunnel                 *TunnelStats `json:"tunnel"`
	DefaultDurationSeconds int64        `json:"default_duration_seconds"`
	MaxDurationSeconds     int64        `json:"max_duration_seconds"`
	// Error is why the tunnel could not be brought up (retried with back-off).
	Error string `json:"error,omitempty"`

	// StartsAt is when access starts: a scheduled grant's start (state
	// scheduled) or a pending request's wished start; else null.
	StartsAt *time.Time `json:"starts_at"`
	// Extension is the latest extension request of the active grant
	// (pending: "Extension requested: +2h, pending"), or null.
	Extension *api.Request `json:"extension"`
	// MaxExtensionSeconds is how much longer the active grant may become
	// (the network's maximum caps one grant); 0 when it cannot.
	MaxExtensionSeconds int64 `json:"max_extension_seconds"`
	// RequiredApprovals is how many approvers must approve a request here
	// ("1 of 2 approvals" while pending).
	RequiredApprovals int `json:"required_approvals"`
	// BreakGlass is set when the user may take emergency access here now,
	// with its cap; null otherwise.
	BreakGlass *api.MyBreakGlass `json:"break_glass"`
}

// TunnelState is where a network's tunnel is on this device (the agent's
// transition diagram: desktop/internal/agent/tunnelstate.go).
type TunnelState string

const (
	TunnelOff         TunnelState = "off"         // no tunnel, nothing in flight
	TunnelConnecting  TunnelState = "connecting"  // fetching the config and bringing the tunnel up
	TunnelHandshaking TunnelState = "handshaking" // up, waiting for the gateway's first WireGuard handshake
	TunnelConnected   TunnelState = "connected"   // up, and the gateway answered
	TunnelRetrying    TunnelState = "retrying"    // the last bring-up failed (Error says why); retried with back-off
)

// ProxyAuth is the local proxies' user name and password.
type ProxyAuth struct {
	Username string `json:"username"`
	Password string `json:"password"`
}

// TunnelStats are a running tunnel's WireGuard counters.
type TunnelStats struct {
	LastHandshake *time.Time `json:"last_handshake"`
	RxBytes       int64      `json:"rx_bytes"`
	TxBytes       int64      `json:"tx_bytes"`
}

// Device is this machine's registered device (never the private key).
type Device struct {
	ID        string `json:"id"`
	Name      string `json:"name"`
	PublicKey string `json:"public_key"`
}

// Prefs are the user's preferences, kept by the agent in its state dir.
type Prefs struct {
	// ConnectOnApproval brings the tunnel up as soon as a grant is
	// approved (default on).
	ConnectOnApproval bool `json:"connect_on_approval"`
}

// PrefsInput is the body of PUT /localapi/v1/prefs; absent fields are kept.
type PrefsInput struct {
	ConnectOnApproval *bool `json:"connect_on_approval"`
}

// LoginRequest is the body of POST /localapi/v1/login: an email and a
// password, or (a service account, e.g. a CI runner) an API token alone.
type LoginRequest struct {
	// Server is the backend's URL; empty means the agent's --server.
	Server   string `json:"server"`
	Email    string `json:"email"`
	Password string `json:"password"`
	// Token is a service account's API token (an admin issued it); given,
	// Email and Password must be empty.
	Token string `json:"token,omitempty"`
}

// AccessRequest is the body of POST /localapi/v1/networks/{name}/request.
type AccessRequest struct {
	Reason string `json:"reason"`
	// DurationSeconds is the wished duration; 0 for none (the admin decides).
	DurationSeconds int64 `json:"duration_seconds,omitempty"`
	// StartsAt schedules the access for later (RFC 3339; at most 90 days
	// ahead); absent: from the approval.
	StartsAt *time.Time `json:"starts_at,omitempty"`
}

// ExtendRequest is the body of POST /localapi/v1/networks/{name}/extend:
// more time on the network's active grant, within its
// max_extension_seconds.
type ExtendRequest struct {
	Reason          string `json:"reason"`
	DurationSeconds int64  `json:"duration_seconds"`
}

// BreakGlassRequest is the body of POST
// /localapi/v1/networks/{name}/break-glass: emergency access at once, with
// a mandatory reason, for at most the network's break-glass maximum (0:
// that maximum).
type BreakGlassRequest struct {
	Reason          string `json:"reason"`
	DurationSeconds int64  `json:"duration_seconds,omitempty"`
}

// NetworkByName returns the network with this name (or id).
func (s Status) NetworkByName(name string) (Network, bool) {
	for _, n := range s.Networks {
		if n.Name == name || n.ID == name {
			return n, true
		}
	}
	return Network{}, false
}
