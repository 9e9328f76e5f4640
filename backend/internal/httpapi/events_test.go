package httpapi_test

import (
	"context"
	"slices"
	"sort"
	"testing"
	"time"

	"gatepass.dev/backend/backendtest"
	"gatepass.dev/shared/api"
	"gatepass.dev/shared/client"
)

// evStream is an open GET /api/v1/me/events read by client.Watch in a
// goroutine that feeds its events into a channel.
type evStream struct {
	ch     chan api.Event
	ended  chan struct{}
	err    error // valid once ended is closed
	cancel context.CancelFunc
}

// evWatch opens the stream of c; it is closed at the end of the test.
func evWatch(t *testing.T, c *client.Client) *evStream {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	s := &evStream{ch: make(chan api.Event, 256), ended: make(chan struct{}), cancel: cancel}
	go func() {
		defer close(s.ended)
		s.err = c.Watch(ctx, func(ev api.Event) error {
			select {
			case s.ch <- ev:
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		})
	}()
	t.Cleanup(func() {
		cancel()
		<-s.ended
	})
	return s
}

// next returns the next event that is not a ping, checking that every
// event (pings included) carries the server time.
func (s *evStream) next(t *testing.T, what string) api.Event {
	t.Helper()
	deadline := time.NewTimer(10 * time.Second)
	defer deadline.Stop()
	for {
		select {
		case ev := <-s.ch:
			if ev.ServerTime.IsZero() {
				t.Errorf("a %s event without server_time: %+v", ev.Type, ev)
			}
			if ev.Type == api.EventPing {
				continue
			}
			return ev
		case <-s.ended:
			// Drain what was delivered before the stream ended.
			select {
			case ev := <-s.ch:
				if ev.Type != api.EventPing {
					return ev
				}
				continue
			default:
			}
			t.Fatalf("waiting for %s: the stream ended: %v", what, s.err)
		case <-deadline.C:
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

// nextNetwork returns the next event, which must be a network event of
// network id.
func (s *evStream) nextNetwork(t *testing.T, id, what string) api.MyNetwork {
	t.Helper()
	ev := s.next(t, what)
	if ev.Type != api.EventNetwork || ev.Network == nil || ev.Network.ID != id {
		t.Fatalf("waiting for %s: got %+v (network %+v)", what, ev, ev.Network)
	}
	return *ev.Network
}

func evIDs(nets []api.MyNetwork) []string {
	ids := make([]string, 0, len(nets))
	for _, n := range nets {
		ids = append(ids, n.ID)
	}
	sort.Strings(ids)
	return ids
}

// TestEventsLifecycle follows one user's stream through every kind of
// change, without polling the REST API between them.
func TestEventsLifecycle(t *testing.T) {
	srv := backendtest.NewServer(t)
	admin := srv.Admin(t)
	alice, _ := srv.NewUser(t, "alice@example.com", api.RoleUser)
	net := srv.NewNetwork(t, "prod")
	other := srv.NewNetwork(t, "staging")

	rest, err := alice.MyNetworks(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	stream := evWatch(t, alice)

	// The first event is a snapshot of every network of the user.
	snap := stream.next(t, "the snapshot")
	if snap.Type != api.EventSnapshot {
		t.Fatalf("first event: %+v, want a snapshot", snap)
	}
	if got, want := evIDs(snap.Networks), evIDs(rest.Networks); len(got) != 2 || !slices.Equal(got, want) {
		t.Fatalf("snapshot networks %v, want %v", got, want)
	}
	for _, n := range snap.Networks {
		if n.State != api.StateRequest {
			t.Fatalf("snapshot: %s in state %q, want request", n.Name, n.State)
		}
	}
	if !snap.ServerTime.Equal(srv.Now()) {
		t.Fatalf("snapshot server_time %s, want the server clock %s", snap.ServerTime, srv.Now())
	}

	// Request → pending.
	req, err := alice.Request(t.Context(), net.ID, "deploy", 0)
	if err != nil {
		t.Fatal(err)
	}
	if n := stream.nextNetwork(t, net.ID, "the pending event"); n.State != api.StatePending || n.Request == nil || n.Request.ID != req.ID {
		t.Fatalf("after request: %+v", n)
	}

	// Approve → active with the grant's expiry.
	srv.Advance(3 * time.Minute)
	approvedAt := srv.Now()
	if _, err := admin.Approve(t.Context(), req.ID, time.Hour); err != nil {
		t.Fatal(err)
	}
	ev := stream.next(t, "the active event")
	if ev.Type != api.EventNetwork || ev.Network == nil || ev.Network.ID != net.ID {
		t.Fatalf("after approval: %+v", ev)
	}
	if n := ev.Network; n.State != api.StateActive || n.ExpiresAt == nil || !n.ExpiresAt.Equal(approvedAt.Add(time.Hour)) {
		t.Fatalf("after approval: state %q expires %v, want active until %s", n.State, n.ExpiresAt, approvedAt.Add(time.Hour))
	}
	if !ev.ServerTime.Equal(approvedAt) {
		t.Fatalf("active event server_time %s, want %s", ev.ServerTime, approvedAt)
	}

	// The clock passes expiry → request.
	srv.Advance(time.Hour)
	if n := stream.nextNetwork(t, net.ID, "the expiry event"); n.State != api.StateRequest || n.ExpiresAt != nil || n.Request == nil || n.Request.Status != api.StatusExpired {
		t.Fatalf("after expiry: %+v", n)
	}

	// Deny → request (after pending).
	req, err = alice.Request(t.Context(), net.ID, "deploy again", 0)
	if err != nil {
		t.Fatal(err)
	}
	if n := stream.nextNetwork(t, net.ID, "the second pending event"); n.State != api.StatePending {
		t.Fatalf("after the second request: %+v", n)
	}
	if _, err := admin.Deny(t.Context(), req.ID, "not today"); err != nil {
		t.Fatal(err)
	}
	if n := stream.nextNetwork(t, net.ID, "the deny event"); n.State != api.StateRequest || n.Request == nil || n.Request.Status != api.StatusDenied || n.Request.Note != "not today" {
		t.Fatalf("after deny: %+v", n)
	}

	// Revoke → request (after pending and active).
	req, err = alice.Request(t.Context(), net.ID, "third time", 0)
	if err != nil {
		t.Fatal(err)
	}
	stream.nextNetwork(t, net.ID, "the third pending event")
	if _, err := admin.Approve(t.Context(), req.ID, 0); err != nil {
		t.Fatal(err)
	}
	if n := stream.nextNetwork(t, net.ID, "the second active event"); n.State != api.StateActive {
		t.Fatalf("after the second approval: %+v", n)
	}
	if _, err := admin.Revoke(t.Context(), req.ID, "enough"); err != nil {
		t.Fatal(err)
	}
	if n := stream.nextNetwork(t, net.ID, "the revoke event"); n.State != api.StateRequest || n.ExpiresAt != nil || n.Request == nil || n.Request.Status != api.StatusRevoked {
		t.Fatalf("after revoke: %+v", n)
	}

	// Deleting a network → network_removed.
	if err := admin.DeleteNetwork(t.Context(), other.ID); err != nil {
		t.Fatal(err)
	}
	ev = stream.next(t, "the network_removed event")
	if ev.Type != api.EventNetworkRemoved || ev.NetworkID != other.ID {
		t.Fatalf("after deleting a network: %+v", ev)
	}
}

// TestEventsNeedToken: the stream is for signed-in users only.
func TestEventsNeedToken(t *testing.T) {
	srv := backendtest.NewServer(t)
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	called := false
	err := srv.Client().Watch(ctx, func(api.Event) error { called = true; return nil })
	if client.StatusOf(err) != 401 || called {
		t.Fatalf("a stream without a token: %v (events delivered: %v), want 401", err, called)
	}
	bad := client.New(srv.URL, client.WithToken("not-a-token"))
	err = bad.Watch(ctx, func(api.Event) error { called = true; return nil })
	if client.StatusOf(err) != 401 || called {
		t.Fatalf("a stream with a bad token: %v (events delivered: %v), want 401", err, called)
	}
}

// TestEventsIsolation: a user's stream tells nothing of another user's
// requests. Bob's own later request is the barrier: the first event Bob
// gets after the snapshot must be about it.
func TestEventsIsolation(t *testing.T) {
	srv := backendtest.NewServer(t)
	admin := srv.Admin(t)
	alice, _ := srv.NewUser(t, "alice@example.com", api.RoleUser)
	bob, bobUser := srv.NewUser(t, "bob@example.com", api.RoleUser)
	net := srv.NewNetwork(t, "prod")

	aliceStream := evWatch(t, alice)
	bobStream := evWatch(t, bob)
	if ev := aliceStream.next(t, "alice's snapshot"); ev.Type != api.EventSnapshot {
		t.Fatalf("alice's first event: %+v", ev)
	}
	if ev := bobStream.next(t, "bob's snapshot"); ev.Type != api.EventSnapshot {
		t.Fatalf("bob's first event: %+v", ev)
	}

	req, err := alice.Request(t.Context(), net.ID, "alice's reason", 0)
	if err != nil {
		t.Fatal(err)
	}
	aliceStream.nextNetwork(t, net.ID, "alice's pending event")
	if _, err := admin.Approve(t.Context(), req.ID, 0); err != nil {
		t.Fatal(err)
	}
	// Alice's own stream has seen the approval, so it has been published.
	if n := aliceStream.nextNetwork(t, net.ID, "alice's active event"); n.State != api.StateActive {
		t.Fatalf("alice after approval: %+v", n)
	}

	// The barrier: Bob's own request on the same network.
	mine, err := bob.Request(t.Context(), net.ID, "bob's reason", 0)
	if err != nil {
		t.Fatal(err)
	}
	n := bobStream.nextNetwork(t, net.ID, "bob's own pending event")
	if n.State != api.StatePending || n.Request == nil || n.Request.ID != mine.ID || n.Request.UserID != bobUser.ID {
		t.Fatalf("bob's first event after the snapshot is not about his own request: %+v (request %+v)", n, n.Request)
	}
	// Nothing else is queued for Bob (pings aside).
	for len(bobStream.ch) > 0 {
		if ev := <-bobStream.ch; ev.Type != api.EventPing {
			t.Fatalf("bob got an unexpected event: %+v", ev)
		}
	}
}

// TestEventsEndOnRevocation: an open stream ends as soon as its token is
// logged out, its device removed, its user disabled or given another role
// — not at the next keep-alive (the fake clock never moves here).
func TestEventsEndOnRevocation(t *testing.T) {
	srv := backendtest.NewServer(t)
	admin := srv.Admin(t)
	srv.NewNetwork(t, "office-network")
	_, aliceU := srv.NewUser(t, "alice@example.com", api.RoleUser)
	login := func() *client.Client { return srv.Login(t, "alice@example.com", backendtest.UserPassword) }
	cases := []struct {
		name   string
		revoke func(c *client.Client)
	}{
		{"logout", func(c *client.Client) {
			if err := c.Logout(t.Context()); err != nil {
				t.Fatal(err)
			}
		}},
		{"device removed", func(c *client.Client) {
			d, err := c.RegisterDevice(t.Context(), "laptop", newDeviceKey(t))
			if err != nil {
				t.Fatal(err)
			}
			if err := admin.AdminRemoveDevice(t.Context(), d.ID); err != nil {
				t.Fatal(err)
			}
		}},
		{"role change", func(*client.Client) {
			// One change: changed and changed back at once, the stream
			// may wake only after both and find the role it started with.
			role := api.RoleAdmin
			if _, err := admin.UpdateUser(t.Context(), aliceU.ID, api.UserPatch{Role: &role}); err != nil {
				t.Fatal(err)
			}
		}},
		{"disabled", func(*client.Client) {
			yes := true
			if _, err := admin.UpdateUser(t.Context(), aliceU.ID, api.UserPatch{Disabled: &yes}); err != nil {
				t.Fatal(err)
			}
		}},
	}
	for _, c := range cases {
		alice := login()
		s := evWatch(t, alice)
		if ev := s.next(t, "the snapshot"); ev.Type != api.EventSnapshot {
			t.Fatalf("%s: first event %+v", c.name, ev)
		}
		c.revoke(alice)
		select {
		case <-s.ended:
		case <-time.After(10 * time.Second):
			t.Fatalf("%s: the stream did not end", c.name)
		}
	}
}
