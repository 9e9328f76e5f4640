package httpapi

import (
	"crypto/sha256"
	"crypto/subtle"
	"net/http"
	"strings"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"gatepass.dev/backend/internal/fault"
)

// Who may read /metrics. The metrics tell who is active, how much mail
// waits and how the process is doing: not for anyone who reaches the API.
//
//   - Neither MetricsListen nor MetricsToken: /metrics is not served (404 on
//     the API port). No loopback exception: a reverse proxy on the same
//     host would make "loopback" mean "everyone".
//   - MetricsToken: /metrics on the API port answers 200 only to
//     "Authorization: Bearer <token>", 401 otherwise.
//   - MetricsListen: /metrics is served on that address only (see
//     MetricsHandler) and answers 404 on the API port; with a token too,
//     the token is needed there as well.

// metricsOnAPI serves GET /metrics on the API port.
func (s *Server) metricsOnAPI(w http.ResponseWriter, r *http.Request) {
	if s.MetricsSeparate || s.MetricsToken == "" {
		s.writeError(w, r, fault.NotFoundf("metrics are not served on this address (see --metrics-listen and --metrics-token)"))
		return
	}
	s.metrics(w, r)
}

// metrics checks the bearer token, when one is set, and serves the
// Prometheus text.
func (s *Server) metrics(w http.ResponseWriter, r *http.Request) {
	if s.MetricsToken != "" && !tokenMatches(r.Header.Get("Authorization"), s.MetricsToken) {
		w.Header().Set("WWW-Authenticate", `Bearer realm="gatepass-metrics"`)
		s.writeError(w, r, fault.New(fault.Unauthenticated, "metrics need the metrics token: Authorization: Bearer <token>"))
		return
	}
	promhttp.HandlerFor(s.Metrics.Registry, promhttp.HandlerOpts{}).ServeHTTP(w, r)
}

// MetricsHandler serves GET /metrics alone, for the separate metrics
// listener (--metrics-listen); every other path is 404.
func (s *Server) MetricsHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/metrics" || (r.Method != http.MethodGet && r.Method != http.MethodHead) {
			s.notFound(w, r)
			return
		}
		s.metrics(w, r)
	})
}

// tokenMatches compares "Bearer <token>" with want in constant time (over
// hashes, so the length does not show either).
func tokenMatches(header, want string) bool {
	scheme, got, ok := strings.Cut(header, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return false
	}
	a, b := sha256.Sum256([]byte(strings.TrimSpace(got))), sha256.Sum256([]byte(want))
	return subtle.ConstantTimeCompare(a[:], b[:]) == 1
}
