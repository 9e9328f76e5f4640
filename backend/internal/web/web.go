package web

import (
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/jonboulle/clockwork"

	"gatepass.dev/backend/internal/access"
	"gatepass.dev/backend/internal/admin"
	"gatepass.dev/backend/internal/events"
	"gatepass.dev/backend/internal/metrics"
	"gatepass.dev/backend/internal/settings"
	"gatepass.dev/backend/internal/signin"
	"gatepass.dev/backend/internal/store"
	"gatepass.dev/shared/api"
)

// Gateway is what the pages ask of the WireGuard gateway.
type Gateway interface {
	Peers(networkID string) []api.PeerStatus
}

// Deps are what the web page needs.
type Deps struct {
	DB       *store.DB
	Access   *access.Service
	Admin    *admin.Service
	SignIn   *signin.Service
	Settings *settings.Store
	Bus      *events.Bus
	Gateway  Gateway // may be nil: no connection state shown
	Gateways GatewayAdmin
	Mail     MailState // may be nil: no banner when mail fails
	Clock    clockwork.Clock
	Metrics  *metrics.Metrics
	Logger   *slog.Logger
	// Ping is the interval of keep-alives on the live-update stream
	// (default 25 s).
	Ping time.Duration
}

// Server serves the admin web page.
type Server struct {
	Deps
	pages *pages
}

// New returns the web page's server.
func New(d Deps) *Server {
	if d.Ping == 0 {
		d.Ping = 25 * time.Second
	}
	if d.Logger == nil {
		d.Logger = slog.Default()
	}
	return &Server{Deps: d, pages: mustParsePages()}
}

// now is the server clock in UTC.
func (s *Server) now() time.Time { return s.Clock.Now().UTC() }

// https reports whether the public URL is https: cookies are then Secure
// and __Host- prefixed.
func (s *Server) https() bool { return strings.HasPrefix(s.Settings.PublicURL(), "https://") }

// sourceAddr is the client's address for the audit log.
func sourceAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
