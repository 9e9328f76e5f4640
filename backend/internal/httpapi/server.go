// Package httpapi is Gatepass's JSON API (/api/v1) and its SSE stream, plus
// /healthz and /metrics (served only behind a token or on a separate
// address: see metrics.go). Every route is in routes(); each handler is small
// and lives in a file of its own concern. Handlers never send mail or touch
// WireGuard: they apply a change through access.Service (or a store
// transaction that also writes the audit row and the outbox rows).
package httpapi

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/jonboulle/clockwork"

	"gatepass.dev/backend/internal/access"
	"gatepass.dev/backend/internal/admin"
	"gatepass.dev/backend/internal/events"
	"gatepass.dev/backend/internal/gatewayhub"
	"gatepass.dev/backend/internal/metrics"
	"gatepass.dev/backend/internal/outbox"
	"gatepass.dev/backend/internal/settings"
	"gatepass.dev/backend/internal/signin"
	"gatepass.dev/backend/internal/store"
)

// Deps are what the API needs.
type Deps struct {
	DB       *store.DB
	Access   *access.Service
	Settings *settings.Store
	Bus      *events.Bus
	Clock    clockwork.Clock
	Metrics  *metrics.Metrics
	Logger   *slog.Logger
	Outbox   *outbox.Worker
	Sender   outbox.Sender // for the test email
	Gateway  *gatewayhub.Hub
	// InviteTTL is the lifetime of an invitation link (default 7 days).
	InviteTTL time.Duration
	// Ping is the interval of SSE keep-alives (default 25 s).
	Ping time.Duration
	// FirstListenPort is where the search for a new network's free UDP
	// port starts (default 51820).
	FirstListenPort int
	// Admin runs the administration shared with the web page (default:
	// one built from these deps).
	Admin *admin.Service
	// SignIn checks credentials (required); share it with the web page so
	// that one limiter counts the failures of both.
	SignIn *signin.Service
	// MetricsToken, when set, is the bearer token /metrics requires.
	MetricsToken string
	// MetricsSeparate says /metrics is served on an address of its own
	// (MetricsHandler): the API port then answers 404 for it.
	MetricsSeparate bool
}

// Server serves the API.
type Server struct {
	Deps
	probe *store.WriteProbe // for /healthz
}

// New returns the API server.
func New(d Deps) *Server {
	if d.InviteTTL == 0 {
		d.InviteTTL = 7 * 24 * time.Hour
	}
	if d.Ping == 0 {
		d.Ping = 25 * time.Second
	}
	if d.Logger == nil {
		d.Logger = slog.Default()
	}
	if d.Admin == nil {
		d.Admin = admin.New(admin.Deps{DB: d.DB, Bus: d.Bus, Access: d.Access, Settings: d.Settings, Clock: d.Clock, Outbox: d.Outbox,
			Sender: d.Sender, InviteTTL: d.InviteTTL, FirstListenPort: d.FirstListenPort})
	}
	return &Server{Deps: d, probe: &store.WriteProbe{DB: d.DB, Clock: d.Clock}}
}

// Routes registers every route of the API on mux.
func (s *Server) Routes(mux *http.ServeMux) {
	mux.HandleFunc("GET /healthz", s.health)
	mux.HandleFunc("GET /metrics", s.metricsOnAPI)

	mux.HandleFunc("POST /api/v1/login", s.login)
	mux.HandleFunc("POST /api/v1/logout", s.user(s.logout))
	mux.HandleFunc("POST /api/v1/invites/accept", s.acceptInvite)

	mux.HandleFunc("GET /api/v1/me", s.user(s.me))
	mux.HandleFunc("GET /api/v1/me/networks", s.user(s.myNetworks))
	mux.HandleFunc("GET /api/v1/me/events", s.user(s.myEvents))
	mux.HandleFunc("GET /api/v1/me/requests", s.user(s.myRequests))
	mux.HandleFunc("GET /api/v1/devices", s.user(s.listDevices))
	mux.HandleFunc("POST /api/v1/devices", s.user(s.registerDevice))
	mux.HandleFunc("DELETE /api/v1/devices/{id}", s.user(s.removeDevice))
	mux.HandleFunc("POST /api/v1/networks/{id}/requests", s.user(s.createRequest))
	mux.HandleFunc("GET /api/v1/requests/{id}", s.user(s.getRequest))
	mux.HandleFunc("POST /api/v1/requests/{id}/cancel", s.user(s.requestEvent(access.EventCancel)))
	mux.HandleFunc("POST /api/v1/requests/{id}/release", s.user(s.requestEvent(access.EventRelease)))
	mux.HandleFunc("POST /api/v1/requests/{id}/extend", s.user(s.extendRequest))
	mux.HandleFunc("POST /api/v1/networks/{id}/break-glass", s.user(s.breakGlass))
	mux.HandleFunc("GET /api/v1/networks/{id}/tunnel", s.user(s.tunnelConfig))

	// The request queue is also the approvers' (reviewer): they see and
	// decide their networks' requests; revoking stays with the admins.
	mux.HandleFunc("GET /api/v1/admin/requests", s.reviewer(s.adminListRequests))
	mux.HandleFunc("GET /api/v1/admin/requests/{id}", s.reviewer(s.adminGetRequest))
	mux.HandleFunc("GET /api/v1/admin/requests/{id}/patterns", s.reviewer(s.adminPatterns))
	mux.HandleFunc("POST /api/v1/admin/requests/bulk", s.admin(s.adminBulk))
	mux.HandleFunc("POST /api/v1/admin/requests/{id}/approve", s.reviewer(s.adminApprove))
	mux.HandleFunc("POST /api/v1/admin/requests/{id}/deny", s.reviewer(s.adminDeny))
	mux.HandleFunc("POST /api/v1/admin/requests/{id}/acknowledge", s.reviewer(s.adminAcknowledge))
	mux.HandleFunc("POST /api/v1/admin/requests/{id}/revoke", s.admin(s.adminRevoke))
	mux.HandleFunc("POST /api/v1/admin/requests/{id}/grant-again", s.admin(s.adminGrantAgain))
	mux.HandleFunc("GET /api/v1/admin/networks", s.admin(s.adminListNetworks))
	mux.HandleFunc("POST /api/v1/admin/networks", s.admin(s.adminCreateNetwork))
	mux.HandleFunc("GET /api/v1/admin/networks/{id}", s.admin(s.adminGetNetwork))
	mux.HandleFunc("PATCH /api/v1/admin/networks/{id}", s.admin(s.adminUpdateNetwork))
	mux.HandleFunc("DELETE /api/v1/admin/networks/{id}", s.admin(s.adminDeleteNetwork))
	mux.HandleFunc("GET /api/v1/admin/networks/{id}/peers", s.admin(s.adminPeers))
	mux.HandleFunc("POST /api/v1/admin/networks/{id}/gateways", s.admin(s.adminAddGateway))
	mux.HandleFunc("GET /api/v1/admin/gateways", s.admin(s.adminListGateways))
	mux.HandleFunc("DELETE /api/v1/admin/gateways/{id}", s.admin(s.adminRevokeGateway))
	mux.HandleFunc("GET /api/v1/admin/networks/{id}/rules", s.admin(s.adminListRules))
	mux.HandleFunc("POST /api/v1/admin/networks/{id}/rules", s.admin(s.adminCreateRule))
	mux.HandleFunc("POST /api/v1/admin/networks/{id}/rules/preview", s.admin(s.adminPreviewRules))
	mux.HandleFunc("PATCH /api/v1/admin/rules/{id}", s.admin(s.adminUpdateRule))
	mux.HandleFunc("DELETE /api/v1/admin/rules/{id}", s.admin(s.adminDeleteRule))
	mux.HandleFunc("GET /api/v1/admin/groups", s.admin(s.adminListGroups))
	mux.HandleFunc("POST /api/v1/admin/groups", s.admin(s.adminCreateGroup))
	mux.HandleFunc("PATCH /api/v1/admin/groups/{id}", s.admin(s.adminUpdateGroup))
	mux.HandleFunc("DELETE /api/v1/admin/groups/{id}", s.admin(s.adminDeleteGroup))
	mux.HandleFunc("GET /api/v1/admin/users", s.admin(s.adminListUsers))
	mux.HandleFunc("POST /api/v1/admin/users", s.admin(s.adminCreateUser))
	mux.HandleFunc("PATCH /api/v1/admin/users/{id}", s.admin(s.adminUpdateUser))
	mux.HandleFunc("POST /api/v1/admin/users/{id}/token", s.admin(s.adminServiceToken))
	mux.HandleFunc("GET /api/v1/admin/users/{id}/devices", s.admin(s.adminUserDevices))
	mux.HandleFunc("DELETE /api/v1/admin/devices/{id}", s.admin(s.removeDevice))
	mux.HandleFunc("GET /api/v1/admin/audit", s.admin(s.adminAudit))
	mux.HandleFunc("GET /api/v1/admin/outbox", s.admin(s.adminListOutbox))
	mux.HandleFunc("POST /api/v1/admin/outbox/retry-undeliverable", s.admin(s.adminRetryUndeliverable))
	mux.HandleFunc("POST /api/v1/admin/outbox/{id}/retry", s.admin(s.adminRetryOutbox))
	mux.HandleFunc("GET /api/v1/admin/settings", s.admin(s.adminGetSettings))
	mux.HandleFunc("PATCH /api/v1/admin/settings", s.admin(s.adminUpdateSettings))
	mux.HandleFunc("POST /api/v1/admin/settings/test-email", s.admin(s.adminTestEmail))

	mux.HandleFunc("POST /api/v1/gateway/enroll", s.gatewayEnroll)
	mux.HandleFunc("GET /api/v1/gateway/watch", s.gateway(s.gatewayWatch))
	mux.HandleFunc("POST /api/v1/gateway/report", s.gateway(s.gatewayReport))

	mux.HandleFunc("/api/", s.notFound)
}

// Handler returns the API with its middleware, on a mux of its own.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	s.Routes(mux)
	return s.Middleware(mux)
}
