package gatewayhub_test

import (
	"context"
	"database/sql"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"gatepass.dev/backend/backendtest"
	"gatepass.dev/backend/internal/gatewayhub"
	"gatepass.dev/backend/internal/store"
	"gatepass.dev/shared/api"
	"gatepass.dev/shared/client"
	"gatepass.dev/shared/wgkey"
)

func newKey(t testing.TB) wgkey.Key {
	t.Helper()
	k, err := wgkey.NewPrivate()
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// enrolled adds a remote gateway to n and enrolls it; it returns the
// gateway's client (its credential as token) and id.
func enrolled(t testing.TB, srv *backendtest.Server, admin *client.Client, n api.Network) (*client.Client, string) {
	t.Helper()
	ep := "gw.example.com:51999"
	added, err := admin.AddGateway(t.Context(), n.ID, api.GatewayInput{Endpoint: &ep})
	if err != nil {
		t.Fatal(err)
	}
	out, err := srv.Client().EnrollGateway(t.Context(), api.GatewayEnrollRequest{EnrollToken: added.EnrollToken,
		PublicKey: newKey(t).Public().String(), Version: "1.0", Hostname: "gw1"})
	if err != nil {
		t.Fatal(err)
	}
	return client.New(srv.URL, client.WithToken(out.Credential)), out.GatewayID
}

// stream is a gateway's watch stream read into a channel.
type stream struct {
	events chan api.GatewayEvent
	done   chan error
	cancel context.CancelFunc
}

func watch(t testing.TB, gc *client.Client, leaseSeconds int) *stream {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	s := &stream{events: make(chan api.GatewayEvent, 100), done: make(chan error, 1), cancel: cancel}
	go func() {
		s.done <- gc.WatchGateway(ctx, leaseSeconds, func(ev api.GatewayEvent) error {
			s.events <- ev
			return nil
		})
	}()
	t.Cleanup(cancel)
	return s
}

// next returns the next event of type typ, skipping others.
func (s *stream) next(t testing.TB, typ api.GatewayEventType) api.GatewayEvent {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		select {
		case ev := <-s.events:
			if ev.Type == typ {
				return ev
			}
		case err := <-s.done:
			s.done <- err // it stays ended for the next reader
			// What the stream delivered before it ended comes first.
			for {
				select {
				case ev := <-s.events:
					if ev.Type == typ {
						return ev
					}
					continue
				default:
				}
				break
			}
			t.Fatalf("the stream ended waiting for %s: %v", typ, err)
		case <-deadline:
			t.Fatalf("no %s event within 10 s", typ)
		}
	}
}

func hasPeer(st *api.GatewayState, key string) bool {
	for _, p := range st.Peers {
		if p.PublicKey == key {
			return true
		}
	}
	return false
}

// An enroll token works once, until it expires, and only with a usable key
// of the gateway's own.
func TestEnrollToken(t *testing.T) {
	srv := backendtest.NewServer(t)
	admin := srv.Admin(t)
	n := srv.NewNetwork(t, "office")
	other := srv.NewNetwork(t, "lab")
	anon := srv.Client()
	added, err := admin.AddGateway(t.Context(), n.ID, api.GatewayInput{})
	if err != nil {
		t.Fatal(err)
	}
	if added.Gateway.Endpoint != n.Endpoint || added.EnrollExpiresAt != srv.Now().Add(24*time.Hour) {
		t.Fatalf("added %+v: want the network's endpoint and a day to enroll", added.Gateway)
	}
	enroll := func(token, key string) error {
		_, err := anon.EnrollGateway(t.Context(), api.GatewayEnrollRequest{EnrollToken: token, PublicKey: key, Version: "1.0", Hostname: "gw"})
		return err
	}
	u, _ := srv.NewUser(t, "dev@example.com", api.RoleUser)
	devKey := newKey(t).Public().String()
	if _, err := u.RegisterDevice(t.Context(), "laptop", devKey); err != nil {
		t.Fatal(err)
	}
	otherGW, err := srv.Gateway.PublicKey(t.Context(), other.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name, token, key string
		status           int
		says             string
	}{
		{"no token", "", newKey(t).Public().String(), 400, "enroll_token"},
		{"unknown token", "gpe_nope", newKey(t).Public().String(), 401, "unknown enroll token"},
		{"not a key", added.EnrollToken, "bm90IGEga2V5", 400, "public_key"},
		{"all-zero key", added.EnrollToken, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", 400, "Curve25519"},
		{"a device's key", added.EnrollToken, devKey, 400, "device's key"},
		{"another gateway's key", added.EnrollToken, otherGW.String(), 400, "another gateway's key"},
	} {
		err := enroll(tt.token, tt.key)
		if client.StatusOf(err) != tt.status || !strings.Contains(err.Error(), tt.says) {
			t.Errorf("%s: %v, want %d saying %q", tt.name, err, tt.status, tt.says)
		}
	}
	key := newKey(t).Public().String()
	if err := enroll(added.EnrollToken, key); err != nil {
		t.Fatalf("enroll: %v", err)
	}
	if err := enroll(added.EnrollToken, newKey(t).Public().String()); client.StatusOf(err) != 409 || !strings.Contains(err.Error(), "used already") {
		t.Fatalf("the token a second time: %v, want 409 used already", err)
	}
	// A device can never take the gateway's key.
	if _, err := u.RegisterDevice(t.Context(), "phone", key); client.StatusOf(err) != 400 {
		t.Fatalf("registering the gateway's key as a device: %v, want 400", err)
	}

	late, err := admin.AddGateway(t.Context(), other.ID, api.GatewayInput{})
	if err != nil {
		t.Fatal(err)
	}
	srv.Advance(24 * time.Hour)
	if err := enroll(late.EnrollToken, newKey(t).Public().String()); client.StatusOf(err) != 401 || !strings.Contains(err.Error(), "expired") {
		t.Fatalf("an expired token: %v, want 401 expired", err)
	}
	if err := admin.RevokeGateway(t.Context(), late.Gateway.ID); err != nil {
		t.Fatal(err)
	}
	if err := enroll(late.EnrollToken, newKey(t).Public().String()); client.StatusOf(err) != 401 || !strings.Contains(err.Error(), "revoked") {
		t.Fatalf("a revoked gateway's token: %v, want 401 revoked", err)
	}

	// Every step is audited.
	for _, action := range []string{"gateway.add", "gateway.enroll", "gateway.revoke"} {
		entries, err := admin.Audit(t.Context(), url.Values{"action": {action}})
		if err != nil || len(entries.Entries) == 0 {
			t.Errorf("no %s audit entry: %v", action, err)
		}
	}
}

// The admin's calls refuse bad input with the field named, a second live
// remote gateway, and revoking the embedded one; users may not call them.
func TestAddAndRevokeRules(t *testing.T) {
	srv := backendtest.NewServer(t)
	admin := srv.Admin(t)
	n := srv.NewNetwork(t, "office")
	bad := func(in api.GatewayInput, status int, says string) {
		t.Helper()
		_, err := admin.AddGateway(t.Context(), n.ID, in)
		if client.StatusOf(err) != status || !strings.Contains(err.Error(), says) {
			t.Errorf("add %+v: %v, want %d saying %q", in, err, status, says)
		}
	}
	hostile, crlf, ttl, long := "<script>x</script>:1", "gw.example.com:51820\r\nX: y", int64(10), int64(31*24*3600)
	bad(api.GatewayInput{Endpoint: &hostile}, 400, "endpoint")
	bad(api.GatewayInput{Endpoint: &crlf}, 400, "endpoint")
	bad(api.GatewayInput{EnrollTTLSeconds: &ttl}, 400, "enroll_ttl_seconds")
	bad(api.GatewayInput{EnrollTTLSeconds: &long}, 400, "enroll_ttl_seconds")
	if _, err := admin.AddGateway(t.Context(), "net_nope", api.GatewayInput{}); client.StatusOf(err) != 404 {
		t.Errorf("add to an unknown network: %v, want 404", err)
	}
	u, _ := srv.NewUser(t, "user@example.com", api.RoleUser)
	if _, err := u.AddGateway(t.Context(), n.ID, api.GatewayInput{}); client.StatusOf(err) != 403 {
		t.Errorf("a user adds a gateway: %v, want 403", err)
	}
	if _, err := u.Gateways(t.Context()); client.StatusOf(err) != 403 {
		t.Errorf("a user lists gateways: %v, want 403", err)
	}
	first, err := admin.AddGateway(t.Context(), n.ID, api.GatewayInput{})
	if err != nil {
		t.Fatal(err)
	}
	bad(api.GatewayInput{}, 409, "revoke it first")
	gws, err := admin.Gateways(t.Context())
	if err != nil || len(gws) != 2 {
		t.Fatalf("gateways: %+v %v", gws, err)
	}
	for _, g := range gws {
		if g.Kind == api.GatewayEmbedded {
			if !g.Active || g.Status != api.GatewayOnline {
				t.Errorf("the embedded gateway %+v: want active and online", g)
			}
			if err := admin.RevokeGateway(t.Context(), g.ID); client.StatusOf(err) != 409 || !strings.Contains(err.Error(), "embedded") {
				t.Errorf("revoke the embedded gateway: %v, want 409", err)
			}
		} else if g.Active || g.Enrolled || g.Status != api.GatewayOffline || g.EnrollExpiresAt == nil {
			t.Errorf("the waiting remote gateway %+v: want inactive, offline, with its token's expiry", g)
		}
	}
	if err := admin.RevokeGateway(t.Context(), first.Gateway.ID); err != nil {
		t.Fatal(err)
	}
	if err := admin.RevokeGateway(t.Context(), first.Gateway.ID); client.StatusOf(err) != 409 {
		t.Errorf("revoke twice: %v, want 409", err)
	}
	if err := admin.RevokeGateway(t.Context(), "gw_nope"); client.StatusOf(err) != 404 {
		t.Errorf("revoke an unknown gateway: %v, want 404", err)
	}
	if _, err := admin.AddGateway(t.Context(), n.ID, api.GatewayInput{}); err != nil {
		t.Errorf("add after the revocation: %v", err)
	}
}

// The watch stream: the full state first (with the lease and the server
// time), a ping every quarter of the lease, a new state when a grant is
// approved, and "revoked" then the end when an admin revokes the gateway.
func TestWatchStream(t *testing.T) {
	srv := backendtest.NewServer(t)
	admin := srv.Admin(t)
	n := srv.NewNetwork(t, "office")
	gc, gwID := enrolled(t, srv, admin, n)
	s := watch(t, gc, 0)
	first := s.next(t, api.GatewayEventState)
	st := first.State
	if st.LeaseSeconds != 60 || !st.ServerTime.Equal(srv.Now()) || st.Revision == 0 || st.Network.ID != n.ID ||
		st.Network.CIDR != n.CIDR || st.Network.Address != strings.TrimSuffix(n.CIDR, "0/24")+"1" || st.Network.ListenPort != 51999 || len(st.Peers) != 0 {
		t.Fatalf("first state %+v", st)
	}
	srv.Advance(15 * time.Second)
	if ping := s.next(t, api.GatewayEventPing); !ping.ServerTime.Equal(srv.Now()) {
		t.Fatalf("ping %+v at %v", ping, srv.Now())
	}

	u, _ := srv.NewUser(t, "alice@example.com", api.RoleUser)
	key := newKey(t).Public().String()
	if _, err := u.RegisterDevice(t.Context(), "laptop", key); err != nil {
		t.Fatal(err)
	}
	req, err := u.Request(t.Context(), n.ID, "work", 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := admin.Approve(t.Context(), req.ID, time.Hour); err != nil {
		t.Fatal(err)
	}
	next := s.next(t, api.GatewayEventState).State
	if !hasPeer(next, key) || next.Revision <= st.Revision {
		t.Fatalf("state after the approval %+v: want the peer and a higher revision", next)
	}
	p := next.Peers[0]
	if p.ExpiresAt == nil || !p.ExpiresAt.Equal(srv.Now().Add(time.Hour)) || p.UserEmail != "alice@example.com" || p.DeviceName != "laptop" ||
		len(p.AllowedIPs) != 1 {
		t.Fatalf("peer %+v", p)
	}

	if err := admin.RevokeGateway(t.Context(), gwID); err != nil {
		t.Fatal(err)
	}
	if ev := s.next(t, api.GatewayEventRevoked); !strings.Contains(ev.Message, "revoked") {
		t.Fatalf("revoked event %+v", ev)
	}
	select {
	case <-s.done:
	case <-time.After(10 * time.Second):
		t.Fatal("the stream did not end after the revocation")
	}
	if err := gc.WatchGateway(t.Context(), 0, func(api.GatewayEvent) error { return nil }); client.StatusOf(err) != 401 {
		t.Fatalf("watch after the revocation: %v, want 401", err)
	}
}

// A gateway may ask for a shorter lease: its state says so and its pings
// come at a quarter of it.
func TestWatchShorterLease(t *testing.T) {
	srv := backendtest.NewServer(t)
	admin := srv.Admin(t)
	gc, _ := enrolled(t, srv, admin, srv.NewNetwork(t, "office"))
	s := watch(t, gc, 8)
	if st := s.next(t, api.GatewayEventState).State; st.LeaseSeconds != 8 {
		t.Fatalf("lease %d, want 8", st.LeaseSeconds)
	}
	srv.Advance(2 * time.Second)
	s.next(t, api.GatewayEventPing)
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, srv.URL+"/api/v1/gateway/watch?lease_seconds=-1", nil)
	req.Header.Set("Authorization", "Bearer "+gc.Token())
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 400 {
		t.Fatalf("lease_seconds=-1: %s, want 400", resp.Status)
	}
}

// A revocation this replica did not hear of (written by another) reaches
// the stream at its next ping.
func TestWatchNoticesARevocationAtThePing(t *testing.T) {
	srv := backendtest.NewServer(t)
	admin := srv.Admin(t)
	gc, gwID := enrolled(t, srv, admin, srv.NewNetwork(t, "office"))
	s := watch(t, gc, 0)
	s.next(t, api.GatewayEventState)
	err := srv.DB.Tx(t.Context(), func(tx *sql.Tx) error { return store.RevokeGateway(t.Context(), tx, gwID, "elsewhere", srv.Now()) })
	if err != nil {
		t.Fatal(err)
	}
	srv.Advance(15 * time.Second)
	s.next(t, api.GatewayEventRevoked)
}

// Prepare delivers the new grant's peer on the remote gateway's stream
// inside the approval's transaction, before the commit; a transaction that
// rolls back is corrected by the next state.
func TestPrepareReachesTheStreamBeforeTheCommit(t *testing.T) {
	srv := backendtest.NewServer(t)
	admin := srv.Admin(t)
	n := srv.NewNetwork(t, "office")
	gc, _ := enrolled(t, srv, admin, n)
	s := watch(t, gc, 0)
	s.next(t, api.GatewayEventState)
	u, user := srv.NewUser(t, "alice@example.com", api.RoleUser)
	key := newKey(t).Public().String()
	if _, err := u.RegisterDevice(t.Context(), "laptop", key); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	rollback := errors.New("roll back")
	var settle func()
	err := srv.DB.Tx(ctx, func(tx *sql.Tx) error {
		now := srv.Now()
		r := store.Request{ID: store.NewID("req"), NetworkID: n.ID, UserID: user.ID, Status: api.StatusPending, Reason: "x", RequestedAt: now}
		if err := store.InsertRequest(ctx, tx, r); err != nil {
			return err
		}
		r.Status, r.DecidedAt, r.ExpiresAt, r.Granted = api.StatusApproved, now, now.Add(time.Hour), time.Hour
		if err := store.UpdateRequestCAS(ctx, tx, r, api.StatusPending); err != nil {
			return err
		}
		var err error
		if settle, err = srv.Gateway.Prepare(ctx, tx, n.ID, now); err != nil {
			return err
		}
		if st := s.next(t, api.GatewayEventState).State; !hasPeer(st, key) {
			t.Errorf("the state sent inside the transaction lacks the peer: %+v", st)
		}
		return rollback
	})
	if !errors.Is(err, rollback) {
		t.Fatal(err)
	}
	settle()
	if st := s.next(t, api.GatewayEventState).State; hasPeer(st, key) {
		t.Fatalf("after the rollback the peer is still in the state: %+v", st)
	}
}

// Reports: the latest is kept and shown as the network's peers; values
// are checked (they are shown on the admin page); a gateway is online
// while its last contact is within the lease.
func TestReports(t *testing.T) {
	srv := backendtest.NewServer(t)
	admin := srv.Admin(t)
	n := srv.NewNetwork(t, "office")
	gc, gwID := enrolled(t, srv, admin, n)
	u, _ := srv.NewUser(t, "alice@example.com", api.RoleUser)
	key := newKey(t).Public().String()
	if _, err := u.RegisterDevice(t.Context(), "laptop", key); err != nil {
		t.Fatal(err)
	}
	req, _ := u.Request(t.Context(), n.ID, "work", 0)
	if _, err := admin.Approve(t.Context(), req.ID, time.Hour); err != nil {
		t.Fatal(err)
	}
	hs := srv.Now().Add(-time.Second)
	report := api.GatewayReport{Version: "1.2.3", Endpoint: "198.51.100.7:51999", Revision: 7,
		Peers: []api.GatewayPeerReport{{PublicKey: key, Endpoint: "203.0.113.9:40000", LastHandshake: &hs, RxBytes: 100, TxBytes: 200}}}
	if _, err := gc.GatewayReport(t.Context(), report); err != nil {
		t.Fatal(err)
	}
	peers, err := admin.Peers(t.Context(), n.ID)
	if err != nil || len(peers) != 1 || peers[0].UserEmail != "alice@example.com" || peers[0].RxBytes != 100 || peers[0].LastHandshake == nil ||
		!peers[0].LastHandshake.Equal(hs) || peers[0].ExpiresAt == nil || peers[0].DeviceName != "laptop" {
		t.Fatalf("peers %+v %v", peers, err)
	}
	gw := find(t, admin, gwID)
	if gw.Status != api.GatewayOnline || gw.Version != "1.2.3" || gw.ReportedEndpoint != "198.51.100.7:51999" || gw.Revision != 7 || gw.PeerCount != 1 {
		t.Fatalf("gateway %+v", gw)
	}
	srv.Advance(gatewayhub.DefaultLease)
	if gw := find(t, admin, gwID); gw.Status != api.GatewayOffline {
		t.Fatalf("no contact for a lease: %s, want offline", gw.Status)
	}

	for _, r := range []api.GatewayReport{
		{Version: "1.0\r\nX-Injected: 1"},
		{Endpoint: "<script>:1"},
		{Peers: []api.GatewayPeerReport{{PublicKey: "nope"}}},
		{Peers: []api.GatewayPeerReport{{PublicKey: key, Endpoint: "not an endpoint"}}},
		{Peers: []api.GatewayPeerReport{{PublicKey: key, RxBytes: -1}}},
	} {
		if _, err := gc.GatewayReport(t.Context(), r); client.StatusOf(err) != 400 {
			t.Errorf("report %+v: %v, want 400", r, err)
		}
	}
	if _, err := srv.Client().GatewayReport(t.Context(), report); client.StatusOf(err) != http.StatusUnauthorized {
		t.Errorf("a report without a credential: %v, want 401", err)
	}
}

func find(t testing.TB, admin *client.Client, id string) api.Gateway {
	t.Helper()
	gws, err := admin.Gateways(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	for _, g := range gws {
		if g.ID == id {
			return g
		}
	}
	t.Fatalf("no gateway %s in %+v", id, gws)
	return api.Gateway{}
}

// Deleting a network ends its remote gateway: "revoked" on its stream, its
// credential refused.
func TestDeletedNetworkEndsItsGateway(t *testing.T) {
	srv := backendtest.NewServer(t)
	admin := srv.Admin(t)
	n := srv.NewNetwork(t, "office")
	gc, _ := enrolled(t, srv, admin, n)
	s := watch(t, gc, 0)
	s.next(t, api.GatewayEventState)
	if err := admin.DeleteNetwork(t.Context(), n.ID); err != nil {
		t.Fatal(err)
	}
	if ev := s.next(t, api.GatewayEventRevoked); !strings.Contains(ev.Message, "deleted") {
		t.Fatalf("event %+v", ev)
	}
	if _, err := gc.GatewayReport(t.Context(), api.GatewayReport{}); client.StatusOf(err) != http.StatusUnauthorized {
		t.Fatalf("report after the deletion: %v, want 401", err)
	}
}
