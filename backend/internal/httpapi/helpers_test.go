package httpapi_test

// Helpers shared by this package's test files. What other packages' tests
// need too (raw HTTP, waiting, the user's network state, mail matchers,
// error assertions, audit and outbox readers) is in backendtest.

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"gatepass.dev/backend/backendtest"
	"gatepass.dev/backend/internal/auth"
	"gatepass.dev/backend/internal/store"
	"gatepass.dev/shared/api"
	"gatepass.dev/shared/client"
	"gatepass.dev/shared/wgkey"
)

// metricsToken is the metrics bearer token of the tests that configure one.
const metricsToken = "test-metrics-token-0123456789"

// scrapeMetrics reads /metrics on the API port with metricsToken.
func scrapeMetrics(t *testing.T, srv *backendtest.Server) backendtest.Response {
	t.Helper()
	return backendtest.Do(t, "GET", srv.URL+"/metrics", metricsToken, "", "")
}

// metricValue reads an unlabelled sample from Prometheus text.
func metricValue(t *testing.T, text, name string) float64 {
	t.Helper()
	for _, line := range strings.Split(text, "\n") {
		if v, ok := strings.CutPrefix(line, name+" "); ok {
			f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			if err != nil {
				t.Fatalf("metric line %q: %v", line, err)
			}
			return f
		}
	}
	t.Fatalf("no sample %s in:\n%s", name, text)
	return 0
}

// countMail counts the received emails to one recipient whose subject
// contains part.
func countMail(srv *backendtest.Server, to, part string) int {
	n := 0
	match := backendtest.MailTo(to, part)
	for _, m := range srv.SMTP.Messages() {
		if match(m) {
			n++
		}
	}
	return n
}

// newDeviceKey returns a fresh device public key (base64).
func newDeviceKey(t testing.TB) string {
	t.Helper()
	k, err := wgkey.NewPrivate()
	if err != nil {
		t.Fatal(err)
	}
	return k.Public().String()
}

// fixedKey is a valid WireGuard public key (32 non-zero bytes) made from seed.
func fixedKey(seed byte) string {
	b := bytes.Repeat([]byte{seed}, 32)
	b[0] = 1
	return base64.StdEncoding.EncodeToString(b)
}

// adminRequest returns any request as an admin sees it.
func adminRequest(t *testing.T, admin *client.Client, id string) api.Request {
	t.Helper()
	r, err := admin.AdminRequest(t.Context(), id)
	if err != nil {
		t.Fatalf("admin get request %s: %v", id, err)
	}
	return r
}

// jsonEqual reports whether a and b have the same JSON.
func jsonEqual(t *testing.T, a, b any) bool {
	t.Helper()
	ja, err := json.Marshal(a)
	if err != nil {
		t.Fatal(err)
	}
	jb, err := json.Marshal(b)
	if err != nil {
		t.Fatal(err)
	}
	return bytes.Equal(ja, jb)
}

// ---- bulk fixtures, written straight into the store ----------------------

// storeUsers creates n users (role user, no password) in one transaction
// and returns them.
func storeUsers(tb testing.TB, srv *backendtest.Server, prefix string, n int) []store.User {
	tb.Helper()
	now := srv.Now()
	users := make([]store.User, n)
	err := srv.DB.Tx(context.Background(), func(tx *sql.Tx) error {
		for i := range users {
			users[i] = store.User{ID: store.NewID("usr"), Email: fmt.Sprintf("%s-%d@example.com", prefix, i), Name: fmt.Sprintf("%s %d", prefix, i),
				Role: api.RoleUser, CreatedAt: now, UpdatedAt: now}
			if err := store.CreateUser(context.Background(), tx, users[i]); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		tb.Fatalf("create %d users: %v", n, err)
	}
	return users
}

// storeTokens gives each user an API token and returns the secrets.
func storeTokens(tb testing.TB, srv *backendtest.Server, users []store.User) []string {
	tb.Helper()
	now := srv.Now()
	secrets := make([]string, len(users))
	err := srv.DB.Tx(context.Background(), func(tx *sql.Tx) error {
		for i, u := range users {
			secret, hash := auth.NewToken()
			secrets[i] = secret
			if err := store.CreateToken(context.Background(), tx, store.Token{ID: store.NewID("tok"), UserID: u.ID, Hash: hash, Kind: store.TokenAPI,
				CreatedAt: now, ExpiresAt: now.Add(30 * 24 * time.Hour)}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		tb.Fatalf("create tokens: %v", err)
	}
	return secrets
}

// storePending stores one pending request of each user on a network, in
// one transaction, and returns their ids.
func storePending(tb testing.TB, srv *backendtest.Server, networkID string, users []store.User, reason string) []string {
	tb.Helper()
	ids := make([]string, len(users))
	now := srv.Now()
	err := srv.DB.Tx(tb.Context(), func(tx *sql.Tx) error {
		for i, u := range users {
			ids[i] = store.NewID("req")
			if err := store.InsertRequest(tb.Context(), tx, store.Request{ID: ids[i], NetworkID: networkID, UserID: u.ID, Status: api.StatusPending,
				Reason: reason, RequestedAt: now}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
	return ids
}

// keepAliveClient is an HTTP client for many concurrent connections to one
// host (for backendtest.Send from many goroutines).
func keepAliveClient(conns int) *http.Client {
	return &http.Client{Transport: &http.Transport{MaxIdleConns: conns, MaxIdleConnsPerHost: conns, MaxConnsPerHost: 0, IdleConnTimeout: time.Minute}}
}
