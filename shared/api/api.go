// Package api holds the wire types of the Gatepass backend API: requests,
// responses, status constants and error codes. Every enum that crosses the
// wire is an explicit string. JSON is snake_case; times are RFC 3339 UTC;
// ids are opaque strings.
package api

import "time"

// ServerTimeHeader carries the backend's clock on every response so that
// clients can measure and correct their own clock's offset.
const ServerTimeHeader = "Gatepass-Server-Time"

// Role is a user's role.
type Role string

const (
	RoleAdmin Role = "admin"
	RoleUser  Role = "user"
)

// Valid reports whether r is a known role.
func (r Role) Valid() bool { return r == RoleAdmin || r == RoleUser }

// RequestStatus is the state of an access request in the backend lifecycle.
type RequestStatus string

const (
	StatusPending   RequestStatus = "pending"
	StatusApproved  RequestStatus = "approved"
	StatusDenied    RequestStatus = "denied"
	StatusCancelled RequestStatus = "cancelled"
	StatusExpired   RequestStatus = "expired"
	StatusRevoked   RequestStatus = "revoked"
)

// AllStatuses lists every request status in lifecycle order.
var AllStatuses = []RequestStatus{StatusPending, StatusApproved, StatusDenied, StatusCancelled, StatusExpired, StatusRevoked}

// Valid reports whether s is a known status.
func (s RequestStatus) Valid() bool {
	for _, k := range AllStatuses {
		if s == k {
			return true
		}
	}
	return false
}

// Open reports whether a request in this status still blocks a new request
// for the same user and network.
func (s RequestStatus) Open() bool { return s == StatusPending || s == StatusApproved }

// NetworkState is what the desktop shows for one network.
type NetworkState string

const (
	StateRequest  NetworkState = "request"  // JIT network, no valid grant: the Request button
	StatePending  NetworkState = "pending"  // a request awaits an admin
	StateActive   NetworkState = "active"   // a valid grant: connect until expires_at
	StateStanding NetworkState = "standing" // JIT off (or an admin): standing access
)

// User is an account as the API shows it.
type User struct {
	ID       string `json:"id"`
	Email    string `json:"email"`
	Name     string `json:"name"`
	Role     Role   `json:"role"`
	Disabled bool   `json:"disabled"`
	// Service marks a non-human account (a CI runner): it signs in with an
	// API token an admin issued, never with a password.
	Service   bool      `json:"service"`
	CreatedAt time.Time `json:"created_at"`
}

// LoginRequest is the body of POST /api/v1/login.
type LoginRequest struct {
	Email    string `json:"email"`
	Password string `json:"password"`
	// DeviceToken is the device_token of this device's previous sign-in
	// to this account, if it has one: it exempts the attempt from the
	// per-account limit of failed sign-ins.
	DeviceToken string `json:"device_token,omitempty"`
}

// LoginResponse is the answer to a successful login.
type LoginResponse struct {
	Token string `json:"token"`
	// DeviceToken marks this device as one that signed in to this account
	// before: keep it (it is a secret) and send it with the next login.
	DeviceToken string    `json:"device_token"`
	User        User      `json:"user"`
	ExpiresAt   time.Time `json:"expires_at"`
	ServerTime  time.Time `json:"server_time"`
}

// Request is an access request as the API shows it.
type Request struct {
	ID          string        `json:"id"`
	NetworkID   string        `json:"network_id"`
	NetworkName string        `json:"network_name"`
	UserID      string        `json:"user_id"`
	UserEmail   string        `json:"user_email"`
	UserName    string        `json:"user_name"`
	Status      RequestStatus `json:"status"`
	Reason      string        `json:"reason"`
	// DurationSeconds is the duration the requester wished for (0: none given).
	DurationSeconds int64 `json:"duration_seconds,omitempty"`
	// GrantedSeconds is the duration an admin approved.
	GrantedSeconds int64      `json:"granted_seconds,omitempty"`
	RequestedAt    time.Time  `json:"requested_at"`
	DecidedAt      *time.Time `json:"decided_at"`
	DecidedBy      string     `json:"decided_by"`
	Note           string     `json:"note"`
	ExpiresAt      *time.Time `json:"expires_at"`
	EndedAt        *time.Time `json:"ended_at,omitempty"`
	EndedBy        string     `json:"ended_by,omitempty"`
	// AgainOf is the closed request an admin granted again as this one.
	AgainOf string `json:"again_of,omitempty"`

	// Kind is access, extension or break_glass.
	Kind RequestKind `json:"kind"`
	// StartsAt is when a scheduled grant starts; null: at approval.
	StartsAt *time.Time `json:"starts_at"`
	// Approvals are the approvals given so far ("1 of 2" is
	// len(approvals) of required_approvals while pending).
	Approvals         []Approval `json:"approvals"`
	RequiredApprovals int        `json:"required_approvals"`
	// Rule is the name of the rule (or "break-glass") that approved the
	// request; "" when people decided.
	Rule string `json:"rule"`
	// GrantID is, for an extension, the grant it extends.
	GrantID string `json:"grant_id,omitempty"`
	// ReviewRequired marks a break-glass grant that no approver has
	// acknowledged yet.
	ReviewRequired bool       `json:"review_required"`
	ReviewedAt     *time.Time `json:"reviewed_at,omitempty"`
	ReviewedBy     string     `json:"reviewed_by,omitempty"`
	// UserService marks a request of a service user.
	UserService bool `json:"user_service"`
}

// MyNetwork is one network in GET /api/v1/me/networks.
type MyNetwork struct {
	ID          string       `json:"id"`
	Name        string       `json:"name"`
	Description string       `json:"description"`
	JITEnabled  bool         `json:"jit_enabled"`
	State       NetworkState `json:"state"`
	// Request is the user's latest request on this network, or null.
	Request   *Request   `json:"request"`
	ExpiresAt *time.Time `json:"expires_at"`
	// DefaultDurationSeconds and MaxDurationSeconds help the request dialog.
	DefaultDurationSeconds int64 `json:"default_duration_seconds"`
	MaxDurationSeconds     int64 `json:"max_duration_seconds"`
	// StartsAt is when the access of a scheduled grant (state
	// "scheduled") or of a pending scheduled request starts; else null.
	StartsAt *time.Time `json:"starts_at"`
	// Extension is the latest extension request of the active grant
	// (pending: "Extension pending, 1 of 2"), or null.
	Extension *Request `json:"extension"`
	// MaxExtensionSeconds is how much longer the active grant may become
	// (the network's maximum caps one grant); 0 when it cannot.
	MaxExtensionSeconds int64 `json:"max_extension_seconds"`
	// RequiredApprovals is how many approvers must approve a request here.
	RequiredApprovals int `json:"required_approvals"`
	// BreakGlass is set when the user may take emergency access here.
	BreakGlass *MyBreakGlass `json:"break_glass"`
}

// MyNetworksResponse wraps the list of the caller's networks.
type MyNetworksResponse struct {
	Networks   []MyNetwork `json:"networks"`
	ServerTime time.Time   `json:"server_time"`
}

// NewRequest is the body of POST /api/v1/networks/{id}/requests.
type NewRequest struct {
	Reason string `json:"reason"`
	// DurationSeconds is the wished duration; absent for none.
	DurationSeconds *int64 `json:"duration_seconds,omitempty"`
	// StartsAt schedules the access for later; absent: at approval.
	StartsAt *time.Time `json:"starts_at,omitempty"`
}

// ApproveRequest is the body of POST /api/v1/admin/requests/{id}/approve.
// An absent duration means the network's default.
type ApproveRequest struct {
	DurationSeconds *int64 `json:"duration_seconds,omitempty"`
}

// DenyRequest is the body of POST /api/v1/admin/requests/{id}/deny.
type DenyRequest struct {
	Note string `json:"note,omitempty"`
}

// RevokeRequest is the body of POST /api/v1/admin/requests/{id}/revoke.
type RevokeRequest struct {
	Note string `json:"note,omitempty"`
}

// BulkDecision is the body of POST /api/v1/admin/requests/bulk: one
// approval (for one duration; absent: each network's default) or one
// denial (with one note) of many pending requests, each decided on its
// own.
type BulkDecision struct {
	Action          string   `json:"action"` // approve | deny
	IDs             []string `json:"ids"`
	DurationSeconds *int64   `json:"duration_seconds,omitempty"`
	Note            string   `json:"note,omitempty"`
}

// Outcomes of one request in a bulk decision.
const (
	BulkApproved = "approved"
	BulkDenied   = "denied"
	BulkChanged  = "changed"   // decided or ended by someone else meanwhile
	BulkRefused  = "refused"   // e.g. over its network's maximum, or the admin's own
	BulkNotFound = "not_found" // no such request
	BulkNotDone  = "not_done"  // not tried: the server could not save changes (retry later)
)

// BulkResult is what a bulk decision did to one request.
type BulkResult struct {
	ID      string `json:"id"`
	OK      bool   `json:"ok"`
	Outcome string `json:"outcome"`
	// Message says it in words, times in UTC: "casey@example.com →
	// staging-internal: had changed meanwhile: it is approved by
	// ann@example.com until Nov 23, 17:00 UTC".
	Message string `json:"message"`
	// Error is why it failed (absent when OK).
	Error *Error `json:"error,omitempty"`
	// Request is the request after the decision, or as it is now when it
	// failed (absent when there is none).
	Request *Request `json:"request,omitempty"`
}

// BulkResponse answers POST /api/v1/admin/requests/bulk: one result per
// request, in the order given, and a summary ("2 granted; 1 had changed
// meanwhile").
type BulkResponse struct {
	Results    []BulkResult `json:"results"`
	Summary    string       `json:"summary"`
	ServerTime time.Time    `json:"server_time"`
}

// RequestResponse wraps one request.
type RequestResponse struct {
	Request    Request   `json:"request"`
	ServerTime time.Time `json:"server_time"`
}

// RequestList is a page of requests.
type RequestList struct {
	Requests []Request `json:"requests"`
	// Counts holds the number of requests in each status for the same
	// network and search filters (the tabs of the admin page).
	Counts     map[RequestStatus]int `json:"counts"`
	Total      int                   `json:"total"`
	NextCursor string                `json:"next_cursor,omitempty"`
	ServerTime time.Time             `json:"server_time"`
}

// Network is a network as admins see and edit it.
type Network struct {
	ID                     string   `json:"id"`
	Name                   string   `json:"name"`
	Description            string   `json:"description"`
	CIDR                   string   `json:"cidr"`
	Routes                 []string `json:"routes"`
	ListenPort             int      `json:"listen_port"`
	Endpoint               string   `json:"endpoint"`
	JITEnabled             bool     `json:"jit_enabled"`
	DefaultDurationSeconds int64    `json:"default_duration_seconds"`
	MaxDurationSeconds     int64    `json:"max_duration_seconds"`
	AllUsers               bool     `json:"all_users"`
	MemberIDs              []string `json:"member_ids"`
	MemberGroupIDs         []string `json:"member_group_ids"`
	// ApproverIDs and ApproverGroupIDs name who decides the network's
	// requests (admins always may); none: the admins.
	ApproverIDs       []string   `json:"approver_ids"`
	ApproverGroupIDs  []string   `json:"approver_group_ids"`
	RequiredApprovals int        `json:"required_approvals"`
	BreakGlass        BreakGlass `json:"break_glass"`
	CreatedAt         time.Time  `json:"created_at"`
	UpdatedAt         time.Time  `json:"updated_at"`
}

// NetworkInput is the body of POST and PATCH /api/v1/admin/networks. Absent
// fields keep their value on PATCH and take their default on POST; an absent
// member_ids on POST means all users.
type NetworkInput struct {
	Name                   *string          `json:"name"`
	Description            *string          `json:"description"`
	CIDR                   *string          `json:"cidr"`
	Routes                 *[]string        `json:"routes"`
	ListenPort             *int             `json:"listen_port"`
	Endpoint               *string          `json:"endpoint"`
	JITEnabled             *bool            `json:"jit_enabled"`
	DefaultDurationSeconds *int64           `json:"default_duration_seconds"`
	MaxDurationSeconds     *int64           `json:"max_duration_seconds"`
	AllUsers               *bool            `json:"all_users"`
	MemberIDs              *[]string        `json:"member_ids"`
	MemberGroupIDs         *[]string        `json:"member_group_ids"`
	ApproverIDs            *[]string        `json:"approver_ids"`
	ApproverGroupIDs       *[]string        `json:"approver_group_ids"`
	RequiredApprovals      *int             `json:"required_approvals"`
	BreakGlass             *BreakGlassInput `json:"break_glass"`
}

// NetworkList wraps the admin list of networks.
type NetworkList struct {
	Networks   []Network `json:"networks"`
	ServerTime time.Time `json:"server_time"`
}

// NetworkResponse wraps one network.
type NetworkResponse struct {
	Network    Network   `json:"network"`
	ServerTime time.Time `json:"server_time"`
}

// UserInput is the body of POST /api/v1/admin/users. Without a password the
// user is invited: they get an email with a link to set one.
type UserInput struct {
	Email    string `json:"email"`
	Name     string `json:"name"`
	Role     Role   `json:"role"`
	Password string `json:"password,omitempty"`
	// Service creates a service user: no password, an API token in the
	// answer (shown once).
	Service bool `json:"service,omitempty"`
}

// UserPatch is the body of PATCH /api/v1/admin/users/{id}.
type UserPatch struct {
	Name     *string `json:"name"`
	Role     *Role   `json:"role"`
	Disabled *bool   `json:"disabled"`
}

// UserList wraps the admin list of users.
type UserList struct {
	Users      []User    `json:"users"`
	ServerTime time.Time `json:"server_time"`
}

// UserResponse wraps one user.
type UserResponse struct {
	User User `json:"user"`
	// Token is a new service user's API token, shown once.
	Token      string    `json:"token,omitempty"`
	ServerTime time.Time `json:"server_time"`
}

// SetPasswordRequest is the body of POST /api/v1/invites/accept.
type SetPasswordRequest struct {
	Token    string `json:"token"`
	Password string `json:"password"`
}

// Device is a registered WireGuard public key of a user's machine.
type Device struct {
	ID        string `json:"id"`
	Name      string `json:"name"`
	PublicKey string `json:"public_key"`
	// Addresses maps a network id to the device's address in it.
	Addresses map[string]string `json:"addresses"`
	CreatedAt time.Time         `json:"created_at"`
	// LastSeenAt is when the device last fetched a tunnel config or opened
	// its watch stream; null before that.
	LastSeenAt *time.Time `json:"last_seen_at"`
	// Current marks the device the caller's token was registered with
	// ("this device").
	Current bool `json:"current"`
}

// DeviceInput is the body of POST /api/v1/devices.
type DeviceInput struct {
	Name      string `json:"name"`
	PublicKey string `json:"public_key"`
}

// DeviceResponse wraps one device.
type DeviceResponse struct {
	Device
	ServerTime time.Time `json:"server_time"`
}

// AuditEntry is one row of the append-only audit log.
type AuditEntry struct {
	ID         int64             `json:"id"`
	At         time.Time         `json:"at"`
	ActorID    string            `json:"actor_id"`
	ActorEmail string            `json:"actor_email"`
	Action     string            `json:"action"`
	TargetType string            `json:"target_type"`
	TargetID   string            `json:"target_id"`
	NetworkID  string            `json:"network_id,omitempty"`
	SourceAddr string            `json:"source_addr"`
	Details    map[string]string `json:"details"`
	// Text is the entry in words: "Alex granted 8h to Casey on
	// staging-internal" (the raw fields above stay the record).
	Text string `json:"text"`
}

// AuditList is a page of the audit log.
type AuditList struct {
	Entries    []AuditEntry `json:"entries"`
	NextCursor string       `json:"next_cursor,omitempty"`
	ServerTime time.Time    `json:"server_time"`
}

// RetriedResponse answers POST /api/v1/admin/outbox/retry-undeliverable:
// how many undeliverable emails were queued again.
type RetriedResponse struct {
	Retried    int       `json:"retried"`
	ServerTime time.Time `json:"server_time"`
}

// OutboxStatus is the delivery state of a queued email.
type OutboxStatus string

const (
	OutboxPending       OutboxStatus = "pending"       // waiting for its (next) attempt
	OutboxSent          OutboxStatus = "sent"          // accepted by the SMTP server
	OutboxFailed        OutboxStatus = "failed"        // gave up after the last retry
	OutboxUndeliverable OutboxStatus = "undeliverable" // no SMTP server configured
)

// OutboxMessage is one email in the outbox.
type OutboxMessage struct {
	ID            int64        `json:"id"`
	Kind          string       `json:"kind"`
	To            string       `json:"to"`
	Subject       string       `json:"subject"`
	Status        OutboxStatus `json:"status"`
	Attempts      int          `json:"attempts"`
	LastError     string       `json:"last_error"`
	CreatedAt     time.Time    `json:"created_at"`
	NextAttemptAt *time.Time   `json:"next_attempt_at"`
	SentAt        *time.Time   `json:"sent_at"`
}

// OutboxList is a page of the outbox, newest first. NextCursor, when set,
// is the cursor= of the next page (an opaque string).
type OutboxList struct {
	Messages   []OutboxMessage `json:"messages"`
	NextCursor string          `json:"next_cursor,omitempty"`
	ServerTime time.Time       `json:"server_time"`
}

// SMTPTLS says how to secure the SMTP connection.
type SMTPTLS string

const (
	SMTPTLSNone     SMTPTLS = "none"
	SMTPTLSStartTLS SMTPTLS = "starttls"
	SMTPTLSTLS      SMTPTLS = "tls"
)

// Valid reports whether t is a known mode.
func (t SMTPTLS) Valid() bool { return t == SMTPTLSNone || t == SMTPTLSStartTLS || t == SMTPTLSTLS }

// Settings are the server settings an admin edits at run time. The SMTP
// password is write-only: it is never returned, PasswordSet says whether one
// is stored.
type Settings struct {
	PublicURL string       `json:"public_url"`
	SMTP      SMTPSettings `json:"smtp"`
	// MaxDevicesPerUser is how many active devices one user may register
	// (default 5).
	MaxDevicesPerUser int `json:"max_devices_per_user"`
}

// SMTPSettings configure outgoing mail. An empty host means no SMTP.
type SMTPSettings struct {
	Host        string  `json:"host"`
	Port        int     `json:"port"`
	Username    string  `json:"username"`
	Password    string  `json:"password,omitempty"`
	PasswordSet bool    `json:"password_set"`
	From        string  `json:"from"`
	TLS         SMTPTLS `json:"tls"`
	// AllowInsecureAuth lets the server send the username and password
	// over a connection without TLS (tls "none"). Off by default: such
	// mail then fails with an error instead of leaking the password.
	AllowInsecureAuth bool `json:"allow_insecure_auth"`
}

// SettingsInput is the body of PATCH /api/v1/admin/settings. Absent fields
// are kept; an empty smtp.password clears it, an absent one keeps it —
// except that a change of the SMTP host, port or TLS mode clears the stored
// password unless the same change gives one (the old server's password is
// not for the new one); SettingsResponse.SMTPPasswordCleared then says so.
type SettingsInput struct {
	PublicURL         *string            `json:"public_url"`
	SMTP              *SMTPSettingsInput `json:"smtp"`
	MaxDevicesPerUser *int               `json:"max_devices_per_user"`
}

// SMTPSettingsInput is the SMTP part of SettingsInput.
type SMTPSettingsInput struct {
	Host     *string  `json:"host"`
	Port     *int     `json:"port"`
	Username *string  `json:"username"`
	Password *string  `json:"password"`
	From     *string  `json:"from"`
	TLS      *SMTPTLS `json:"tls"`
	// AllowInsecureAuth: see SMTPSettings.
	AllowInsecureAuth *bool `json:"allow_insecure_auth"`
}

// SettingsResponse wraps the settings.
type SettingsResponse struct {
	Settings Settings `json:"settings"`
	// SMTPPasswordCleared is true in the answer to a change of the SMTP
	// host, port or TLS mode that removed the stored password (enter it
	// again for the new server).
	SMTPPasswordCleared bool      `json:"smtp_password_cleared,omitempty"`
	ServerTime          time.Time `json:"server_time"`
}

// TestEmailRequest asks the server to send a test email now.
type TestEmailRequest struct {
	To string `json:"to"`
}

// TestEmailResponse reports the SMTP server's answer.
type TestEmailResponse struct {
	OK         bool      `json:"ok"`
	Message    string    `json:"message"`
	ServerTime time.Time `json:"server_time"`
}

// Health is the body of GET /healthz: Status is "ok", or "degraded" (503)
// when the database does not accept writes; Store names the database
// ("sqlite").
type Health struct {
	Status     string    `json:"status"`
	Store      string    `json:"store"`
	ServerTime time.Time `json:"server_time"`
}

// DeviceList wraps the caller's devices.
type DeviceList struct {
	Devices    []Device  `json:"devices"`
	ServerTime time.Time `json:"server_time"`
}

// TunnelConfig is the WireGuard configuration of one device on one network,
// from GET /api/v1/networks/{id}/tunnel?device=ID. It is given only while
// the user may use the network (a valid grant, or standing access); the
// private key never leaves the device, so it is not part of it.
type TunnelConfig struct {
	NetworkID   string `json:"network_id"`
	NetworkName string `json:"network_name"`
	DeviceID    string `json:"device_id"`
	// Address is the device's address in the network, e.g. "10.77.0.2/32".
	Address          string `json:"address"`
	GatewayPublicKey string `json:"gateway_public_key"`
	// GatewayAddress is the gateway's own address in the network (the
	// first of its range): its status page answers there on port 80, and
	// its DNS forwarder on port 53.
	GatewayAddress string `json:"gateway_address"`
	// Endpoint is the gateway's UDP host:port.
	Endpoint            string   `json:"endpoint"`
	AllowedIPs          []string `json:"allowed_ips"`
	DNS                 []string `json:"dns"`
	PersistentKeepalive int      `json:"persistent_keepalive"`
	// ExpiresAt is when the grant ends; null for standing access.
	ExpiresAt  *time.Time   `json:"expires_at"`
	State      NetworkState `json:"state"`
	ServerTime time.Time    `json:"server_time"`
}

// PeerStatus is a device's connection state as the gateway sees it.
type PeerStatus struct {
	PublicKey     string     `json:"public_key"`
	DeviceID      string     `json:"device_id"`
	DeviceName    string     `json:"device_name"`
	UserID        string     `json:"user_id"`
	UserEmail     string     `json:"user_email"`
	Address       string     `json:"address"`
	LastHandshake *time.Time `json:"last_handshake"`
	RxBytes       int64      `json:"rx_bytes"`
	TxBytes       int64      `json:"tx_bytes"`
	// ExpiresAt is when the peer's grant ends; null for standing access.
	ExpiresAt *time.Time `json:"expires_at"`
}

// PeerList is GET /api/v1/admin/networks/{id}/peers.
type PeerList struct {
	Peers      []PeerStatus `json:"peers"`
	ServerTime time.Time    `json:"server_time"`
}
