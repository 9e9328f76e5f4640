package api

import "time"

// Gateways: the WireGuard gateway of a network runs either inside
// gatepass-server (kind "embedded", the default) or as gatepass-gateway at
// the site it guards (kind "remote"), enrolled once with a one-time token
// and authenticated afterwards with its own credential.

// GatewayKind says where a gateway runs.
type GatewayKind string

const (
	GatewayEmbedded GatewayKind = "embedded" // inside gatepass-server
	GatewayRemote   GatewayKind = "remote"   // gatepass-gateway at the site
)

// GatewayStatus is whether the server hears from a gateway.
type GatewayStatus string

const (
	// GatewayOnline: an embedded gateway's device is up, or a remote
	// gateway was in contact within the lease.
	GatewayOnline GatewayStatus = "online"
	// GatewayOffline: not enrolled yet, device down, or no contact for a
	// lease or longer.
	GatewayOffline GatewayStatus = "offline"
)

// Gateway is a gateway as admins see it (GET /api/v1/admin/gateways).
type Gateway struct {
	ID          string        `json:"id"`
	NetworkID   string        `json:"network_id"`
	NetworkName string        `json:"network_name"`
	Kind        GatewayKind   `json:"kind"`
	Status      GatewayStatus `json:"status"`
	// Enrolled is false for a remote gateway whose enroll token has not
	// been used yet; EnrollExpiresAt is when that token stops working.
	Enrolled        bool       `json:"enrolled"`
	EnrollExpiresAt *time.Time `json:"enroll_expires_at,omitempty"`
	// Active says the gateway serves its network now: tunnel configs carry
	// its public key and endpoint.
	Active bool `json:"active"`
	// LastSeenAt is the gateway's last contact (stream, report).
	LastSeenAt *time.Time `json:"last_seen_at"`
	// Endpoint is the UDP host:port clients dial.
	Endpoint string `json:"endpoint"`
	// ReportedEndpoint is the address the gateway reported it listens on.
	ReportedEndpoint string `json:"reported_endpoint,omitempty"`
	Version          string `json:"version"`
	Hostname         string `json:"hostname,omitempty"`
	PublicKey        string `json:"public_key,omitempty"`
	ListenPort       int    `json:"listen_port,omitempty"`
	// Revision is the last state revision the gateway reported applied.
	Revision   uint64     `json:"revision,omitempty"`
	PeerCount  int        `json:"peer_count"`
	CreatedAt  time.Time  `json:"created_at"`
	EnrolledAt *time.Time `json:"enrolled_at,omitempty"`
	RevokedAt  *time.Time `json:"revoked_at,omitempty"`
}

// GatewayInput is the body of POST /api/v1/admin/networks/{id}/gateways.
type GatewayInput struct {
	// Endpoint is the UDP host:port clients will dial; absent: the
	// network's endpoint.
	Endpoint *string `json:"endpoint,omitempty"`
	// EnrollTTLSeconds is how long the enroll token works (default one
	// day, at most 30 days).
	EnrollTTLSeconds *int64 `json:"enroll_ttl_seconds,omitempty"`
}

// NewGatewayResponse answers POST /api/v1/admin/networks/{id}/gateways. The
// enroll token is shown this once: only its hash is kept.
type NewGatewayResponse struct {
	Gateway         Gateway   `json:"gateway"`
	EnrollToken     string    `json:"enroll_token"`
	EnrollExpiresAt time.Time `json:"enroll_expires_at"`
	// Command is the line to run on the gateway's host.
	Command    string    `json:"command"`
	ServerTime time.Time `json:"server_time"`
}

// GatewayList is GET /api/v1/admin/gateways: every gateway not revoked.
type GatewayList struct {
	Gateways   []Gateway `json:"gateways"`
	ServerTime time.Time `json:"server_time"`
}

// GatewayEnrollRequest is the body of POST /api/v1/gateway/enroll.
type GatewayEnrollRequest struct {
	EnrollToken string `json:"enroll_token"`
	// PublicKey is the gateway's WireGuard public key (base64); the
	// private key never leaves its host.
	PublicKey string `json:"public_key"`
	Version   string `json:"version"`
	Hostname  string `json:"hostname"`
	// ListenPort is the UDP port the gateway listens on; 0: the port of
	// its endpoint.
	ListenPort int `json:"listen_port"`
}

// GatewayEnrollResponse answers an enrollment. The credential is shown
// this once: the gateway keeps it, the server only its hash.
type GatewayEnrollResponse struct {
	GatewayID  string    `json:"gateway_id"`
	Credential string    `json:"credential"`
	NetworkID  string    `json:"network_id"`
	ServerTime time.Time `json:"server_time"`
}

// GatewayEventType names a message of GET /api/v1/gateway/watch (the SSE
// "event:" field; "data:" is a GatewayEvent as JSON).
type GatewayEventType string

const (
	// GatewayEventState carries the full desired state: first on every
	// connection, then after every change.
	GatewayEventState GatewayEventType = "state"
	// GatewayEventPing carries the server time, at least every lease/4.
	GatewayEventPing GatewayEventType = "ping"
	// GatewayEventRevoked says an admin revoked the gateway: drop every
	// peer; the stream ends and the credential is refused from then on.
	GatewayEventRevoked GatewayEventType = "revoked"
)

// GatewayEvent is the data of one message of the gateway's watch stream.
type GatewayEvent struct {
	Type       GatewayEventType `json:"type"`
	State      *GatewayState    `json:"state,omitempty"`
	Message    string           `json:"message,omitempty"`
	ServerTime time.Time        `json:"server_time"`
}

// GatewayState is everything a gateway must enforce for its network.
type GatewayState struct {
	// Revision grows with every change the server sends; the gateway
	// reports the last one it applied.
	Revision uint64 `json:"revision"`
	// ServerTime is the server's clock when the state was sent: the
	// gateway measures its clock's offset with it.
	ServerTime time.Time `json:"server_time"`
	// LeaseSeconds: with no word from the server for this long the
	// gateway drops every peer that has an expires_at (fail closed).
	LeaseSeconds int            `json:"lease_seconds"`
	Network      GatewayNetwork `json:"network"`
	Peers        []GatewayPeer  `json:"peers"`
}

// GatewayNetwork is the network a gateway serves.
type GatewayNetwork struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	// CIDR is the network's range; Address the gateway's own address in
	// it (the first), where the status page answers.
	CIDR    string   `json:"cidr"`
	Address string   `json:"address"`
	Routes  []string `json:"routes"`
	// ListenPort is the UDP port to listen on (a gateway's flag may
	// override it).
	ListenPort int `json:"listen_port"`
}

// GatewayPeer is one device the gateway must accept.
type GatewayPeer struct {
	PublicKey  string   `json:"public_key"`
	AllowedIPs []string `json:"allowed_ips"`
	// ExpiresAt is when the grant ends (server clock): the gateway removes
	// the peer then by its own timer. Null for standing access.
	ExpiresAt *time.Time `json:"expires_at"`
	// For the status page.
	UserEmail  string `json:"user_email"`
	DeviceName string `json:"device_name"`
}

// GatewayReport is the body of POST /api/v1/gateway/report, sent about
// every 10 s.
type GatewayReport struct {
	Version string `json:"version"`
	// Endpoint is the host:port the gateway listens on, as it sees it.
	Endpoint string `json:"endpoint"`
	// Revision is the last state revision applied.
	Revision uint64              `json:"revision"`
	Peers    []GatewayPeerReport `json:"peers"`
}

// GatewayPeerReport is one peer as the gateway's device sees it.
type GatewayPeerReport struct {
	PublicKey     string     `json:"public_key"`
	Endpoint      string     `json:"endpoint"`
	LastHandshake *time.Time `json:"last_handshake"`
	RxBytes       int64      `json:"rx_bytes"`
	TxBytes       int64      `json:"tx_bytes"`
}

// GatewayReportResponse answers a report.
type GatewayReportResponse struct {
	ServerTime time.Time `json:"server_time"`
}
