package agent_test

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gatepass.dev/backend/backendtest"
	"gatepass.dev/shared/client"
)

// clientFrom is a backend client whose connections come from the loopback
// address ip: another machine, as far as the server can tell.
func clientFrom(srv *backendtest.Server, ip string) *client.Client {
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}, Timeout: 10 * time.Second}
	hc := &http.Client{Transport: &http.Transport{DialContext: d.DialContext}, Timeout: 30 * time.Second}
	return client.New(srv.URL, client.WithHTTPClient(hc))
}

// TestLoginSendsSavedDeviceToken: the agent keeps the device token of its
// sign-in (0600, in the state dir, never in the LocalAPI) and sends it with
// its next login, so that it signs in at once while guesses from other
// addresses hold the account for clients without one.
func TestLoginSendsSavedDeviceToken(t *testing.T) {
	h := newHarness(t, hopt{})
	files, _ := filepath.Glob(filepath.Join(h.dir, "keys", "*.device"))
	if len(files) != 1 {
		t.Fatalf("device token files: %v", files)
	}
	fi, err := os.Stat(files[0])
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("device token file: %v %v", fi, err)
	}
	b, _ := os.ReadFile(files[0])
	first := strings.TrimSpace(string(b))
	if !strings.HasPrefix(first, "v1.") {
		t.Fatalf("device token %q", first)
	}
	st, err := h.lc.Status(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if raw, _ := json.Marshal(st); strings.Contains(string(raw), first) {
		t.Fatal("the device token appears in the status JSON")
	}

	// Guesses from five other addresses: the account now makes clients
	// without a device token wait.
	for i := range 5 {
		_, err := clientFrom(h.srv, fmt.Sprintf("127.0.8.%d", i+1)).Login(t.Context(), userEmail, "a-wrong-guess")
		if client.StatusOf(err) != http.StatusUnauthorized {
			t.Fatalf("guess %d: %v", i+1, err)
		}
	}
	if _, err := h.srv.Client().Login(t.Context(), userEmail, backendtest.UserPassword); client.StatusOf(err) != http.StatusTooManyRequests {
		t.Fatalf("a client without the device token during the attack: %v, want 429", err)
	}

	h.login() // fails with 429 unless the agent sends its saved token
	b, _ = os.ReadFile(files[0])
	if next := strings.TrimSpace(string(b)); next == first || !strings.HasPrefix(next, "v1.") {
		t.Errorf("the device token was not renewed by the sign-in: %q", next)
	}
	res, err := h.admin.Audit(t.Context(), url.Values{"action": {"login"}, "actor": {h.userID}})
	if err != nil || len(res.Entries) == 0 {
		t.Fatalf("login audit: %v", err)
	}
	if d := res.Entries[0].Details["device"]; d != "known" {
		t.Errorf("the agent's second sign-in audited with device %q, want known", d)
	}
}
