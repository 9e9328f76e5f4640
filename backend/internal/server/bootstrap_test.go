package server_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"gatepass.dev/backend/internal/auth"
	"gatepass.dev/backend/internal/config"
	"gatepass.dev/backend/internal/server"
	"gatepass.dev/backend/internal/store"
)

// TestFirstAdminPasswordPolicy: the first admin's password from
// GATEPASS_ADMIN_PASSWORD must pass the password policy, or the server does
// not start (and creates nobody); a strong one starts it.
func TestFirstAdminPasswordPolicy(t *testing.T) {
	auth.SetTestCost()
	dir := t.TempDir()
	start := func(password string) (*server.Server, error) {
		cfg := &config.Config{Listen: "127.0.0.1:0", DataDir: dir, PublicURL: "http://127.0.0.1", PendingTTL: time.Hour,
			Gateway: "off", AdminEmail: "admin@example.com", AdminPassword: password}
		return server.New(context.Background(), server.Options{Config: cfg, Clock: clockwork.NewFakeClock()})
	}
	for password, reason := range map[string]string{
		"password12":       "is too common",
		"admin-password-1": "must not contain your email name",
	} {
		_, err := start(password)
		if err == nil || !strings.Contains(err.Error(), "GATEPASS_ADMIN_PASSWORD") || !strings.Contains(err.Error(), reason) {
			t.Errorf("first admin with %q: %v, want a refusal naming GATEPASS_ADMIN_PASSWORD and %q", password, err, reason)
		}
	}
	srv, err := start("kestrel-Quartz-harbor-81")
	if err != nil {
		t.Fatalf("a strong first admin password refused: %v", err)
	}
	defer srv.Close()
	if n, err := store.CountUsers(t.Context(), srv.DB); err != nil || n != 1 {
		t.Fatalf("users after the refusals and a start: %d %v", n, err)
	}
}
