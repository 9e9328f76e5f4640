package httpapi_test

import (
	"net/http"
	"strings"
	"testing"

	"gatepass.dev/backend/backendtest"
	"gatepass.dev/backend/internal/config"
)

// TestMetricsAccess: /metrics is served only when asked for. Without a
// metrics setting the API port answers 404 to everyone (admins too); with a
// token, 401 without it or with a wrong one and 200 with it; with a
// separate listen address, there (and only /metrics there) and 404 on the
// API port, even with the token.
func TestMetricsAccess(t *testing.T) {
	wantError := func(t *testing.T, what string, r backendtest.Response, status int) {
		t.Helper()
		r.WantError(t, what, status)
		if strings.Contains(string(r.Body), "gatepass_") {
			t.Errorf("%s: the answer holds metrics", what)
		}
	}
	wantMetrics := func(t *testing.T, what string, r backendtest.Response) {
		t.Helper()
		if r.Status != http.StatusOK || !strings.Contains(string(r.Body), "gatepass_outbox_depth") {
			t.Errorf("%s: %d, want 200 with the metrics\n%.300s", what, r.Status, r.Body)
		}
	}
	withToken := backendtest.WithConfig(func(c *config.Config) { c.MetricsToken = metricsToken })
	separate := backendtest.WithConfig(func(c *config.Config) { c.MetricsListen = "127.0.0.1:0" })

	t.Run("neither", func(t *testing.T) {
		srv := backendtest.NewServer(t, backendtest.WithoutSMTP())
		wantError(t, "no token", backendtest.Do(t, "GET", srv.URL+"/metrics", "", "", ""), http.StatusNotFound)
		wantError(t, "an admin's API token", backendtest.Do(t, "GET", srv.URL+"/metrics", srv.Admin(t).Token(), "", ""), http.StatusNotFound)
		wantError(t, "some token", backendtest.Do(t, "GET", srv.URL+"/metrics", metricsToken, "", ""), http.StatusNotFound)
	})

	t.Run("token", func(t *testing.T) {
		srv := backendtest.NewServer(t, backendtest.WithoutSMTP(), withToken)
		for what, auth := range map[string]string{"no token": "", "a wrong token": "wrong-" + metricsToken,
			"a prefix of the token": metricsToken[:len(metricsToken)-1], "an admin's API token": srv.Admin(t).Token(),
			"basic auth": "raw:Basic " + metricsToken} {
			r := backendtest.Do(t, "GET", srv.URL+"/metrics", auth, "", "")
			wantError(t, what, r, http.StatusUnauthorized)
			if !strings.HasPrefix(r.Header.Get("WWW-Authenticate"), "Bearer") {
				t.Errorf("%s: WWW-Authenticate %q", what, r.Header.Get("WWW-Authenticate"))
			}
		}
		wantMetrics(t, "the token", backendtest.Do(t, "GET", srv.URL+"/metrics", metricsToken, "", ""))
		wantMetrics(t, "the token, scheme in lower case", backendtest.Do(t, "GET", srv.URL+"/metrics", "raw:bearer "+metricsToken, "", ""))
	})

	t.Run("separate", func(t *testing.T) {
		srv := backendtest.NewServer(t, backendtest.WithoutSMTP(), separate)
		if srv.MetricsURL == "" || srv.MetricsURL == srv.URL {
			t.Fatalf("metrics URL %q", srv.MetricsURL)
		}
		wantMetrics(t, "the metrics address", backendtest.Do(t, "GET", srv.MetricsURL+"/metrics", "", "", ""))
		wantError(t, "the API port", backendtest.Do(t, "GET", srv.URL+"/metrics", "", "", ""), http.StatusNotFound)
		wantError(t, "the API on the metrics address", backendtest.Do(t, "GET", srv.MetricsURL+"/api/v1/me", srv.Admin(t).Token(), "", ""), http.StatusNotFound)
		wantError(t, "healthz on the metrics address", backendtest.Do(t, "GET", srv.MetricsURL+"/healthz", "", "", ""), http.StatusNotFound)
	})

	t.Run("separate with token", func(t *testing.T) {
		srv := backendtest.NewServer(t, backendtest.WithoutSMTP(), separate, withToken)
		wantError(t, "the metrics address without the token", backendtest.Do(t, "GET", srv.MetricsURL+"/metrics", "", "", ""), http.StatusUnauthorized)
		wantMetrics(t, "the metrics address with the token", backendtest.Do(t, "GET", srv.MetricsURL+"/metrics", metricsToken, "", ""))
		wantError(t, "the API port with the token", backendtest.Do(t, "GET", srv.URL+"/metrics", metricsToken, "", ""), http.StatusNotFound)
	})
}
