package replicas_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"gatepass.dev/backend/backendtest"
	"gatepass.dev/backend/internal/config"
	"gatepass.dev/shared/api"
	"gatepass.dev/shared/client"
)

// login signs in at url (a replica or the balancer).
func login(t testing.TB, url, email, password string) *client.Client {
	t.Helper()
	c := client.New(url, client.WithHTTPClient(&http.Client{Timeout: 30 * time.Second}))
	if _, err := c.Login(t.Context(), email, password); err != nil {
		t.Fatalf("login %s at %s: %v", email, url, err)
	}
	return c
}

// user creates a user through srv and signs them in at url.
func user(t testing.TB, srv *backendtest.Server, url, email string) (*client.Client, api.User) {
	t.Helper()
	u, err := srv.Admin(t).CreateUser(t.Context(), api.UserInput{Email: email, Name: email, Role: api.RoleUser, Password: backendtest.UserPassword})
	if err != nil {
		t.Fatal(err)
	}
	return login(t, url, email, backendtest.UserPassword), u
}

// watch is a user's event stream (GET /api/v1/me/events) read into a
// channel.
type watch struct {
	ch    chan api.Event
	ended chan struct{}
}

func newWatch(t testing.TB, c *client.Client) *watch {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	w := &watch{ch: make(chan api.Event, 256), ended: make(chan struct{})}
	go func() {
		defer close(w.ended)
		_ = c.Watch(ctx, func(ev api.Event) error {
			select {
			case w.ch <- ev:
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		})
	}()
	t.Cleanup(func() { cancel(); <-w.ended })
	return w
}

// until reads events until one satisfies ok, and fails the test when none
// does within backendtest.Timeout.
func (w *watch) until(t testing.TB, what string, ok func(api.Event) bool) api.Event {
	t.Helper()
	deadline := time.NewTimer(backendtest.Timeout)
	defer deadline.Stop()
	for {
		select {
		case ev := <-w.ch:
			if ok(ev) {
				return ev
			}
		case <-w.ended:
			t.Fatalf("the stream ended before %s", what)
		case <-deadline.C:
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

// networkState is true of an event that shows network id in state st.
func networkState(id string, st api.NetworkState) func(api.Event) bool {
	return func(ev api.Event) bool {
		if ev.Type == api.EventSnapshot {
			for _, n := range ev.Networks {
				if n.ID == id && n.State == st {
					return true
				}
			}
		}
		return ev.Type == api.EventNetwork && ev.Network != nil && ev.Network.ID == id && ev.Network.State == st
	}
}

// configFor is the configuration of a replica started by hand on the
// database db (server.New), listening nowhere yet.
func configFor(t testing.TB, db, gateway string) *config.Config {
	t.Helper()
	return &config.Config{Listen: "127.0.0.1:0", DataDir: t.TempDir(), Database: db, PublicURL: "http://127.0.0.1:1",
		PendingTTL: 7 * 24 * time.Hour, LogLevel: "info", Gateway: gateway, GatewayLease: time.Minute}
}
