package httpapi_test

// The model-based test of "who may pass a gateway": random, seeded,
// reproducible sequences of membership changes (users and groups),
// requests (now and scheduled), approvals, extensions, revocations,
// releases, cancellations, expiries and starts (fake clock), device
// registrations and removals, user disable/enable, role changes, JIT
// toggles, group and network creation and deletion, by people and a
// service user — all through the real API of a real server — and after
// every step the peers on each network's real WireGuard device equal the
// set the model computes from the rule, written here independently of
// access.MayPass:
//
//	a device passes a network's gateway exactly when its user is enabled,
//	the device is active, the user is a member of the network (directly or
//	through a group), and either the user has standing access (JIT off, or
//	an admin) or a grant of theirs on the network is valid now (approved,
//	started, not expired).
//
// The model also predicts each operation's outcome (success or refusal)
// and the requests the server must end on its own (expiry, pending
// timeout, a member removed, a user disabled, a network deleted).
//
// make test runs a few seeds of a few hundred steps;
// GATEPASS_MODEL_SEEDS and GATEPASS_MODEL_STEPS make it longer (make fuzz).

import (
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"gatepass.dev/backend/backendtest"
	"gatepass.dev/shared/api"
	"gatepass.dev/shared/client"
)

func TestGatewayInvariantModel(t *testing.T) {
	seeds, steps := envInt("GATEPASS_MODEL_SEEDS", 3), envInt("GATEPASS_MODEL_STEPS", 200)
	for seed := 1; seed <= seeds; seed++ {
		t.Run("seed="+strconv.Itoa(seed), func(t *testing.T) {
			newModel(t, uint64(seed)).run(steps)
		})
	}
}

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

type model struct {
	t      *testing.T
	rng    *rand.Rand
	srv    *backendtest.Server
	admin  *client.Client
	users  []*mUser
	nets   []*mNet
	groups []*mGroup
	devs   []*mDev
	reqs   []*mReq
	step   int
	log    []string
	nNets  int
	nGrps  int
}

const pendingTTL = 7 * 24 * time.Hour

func newModel(t *testing.T, seed uint64) *model {
	m := &model{t: t, rng: rand.New(rand.NewPCG(seed, seed*7919)), srv: backendtest.NewServer(t)}
	m.admin = m.srv.Admin(t)
	for i := range 4 {
		role := api.RoleUser
		if i == 3 {
			role = api.RoleAdmin
		}
		email := fmt.Sprintf("u%d@example.com", i)
		c, u := m.srv.NewUser(t, email, role)
		m.users = append(m.users, &mUser{id: u.ID, email: email, c: c, role: role})
	}
	m.addServiceUser()
	for range 2 {
		m.createNetwork()
	}
	return m
}

func (m *model) run(steps int) {
	type op struct {
		weight int
		fn     func()
	}
	ops := []op{
		{12, m.request}, {10, m.approve}, {3, m.revoke}, {3, m.release}, {3, m.cancel}, {8, m.advance},
		{6, m.addDevice}, {3, m.removeDevice}, {3, m.toggleDisabled}, {3, m.setRole}, {6, m.setMembers},
		{3, m.toggleJIT}, {1, m.createNetwork}, {1, m.deleteNetwork},
		{3, m.requestLater}, {8, m.extend}, {2, m.createGroup}, {4, m.setGroupMembers}, {1, m.deleteGroup},
	}
	total := 0
	for _, o := range ops {
		total += o.weight
	}
	for m.step = 1; m.step <= steps; m.step++ {
		r := m.rng.IntN(total)
		for _, o := range ops {
			if r < o.weight {
				o.fn()
				break
			}
			r -= o.weight
		}
		m.check()
	}
}

func (m *model) logf(format string, args ...any) {
	m.log = append(m.log, fmt.Sprintf("%d: ", m.step)+fmt.Sprintf(format, args...))
}

func (m *model) fail(format string, args ...any) {
	m.t.Helper()
	tail := m.log[max(0, len(m.log)-25):]
	m.t.Fatalf("step %d: %s\nlast steps:\n%s", m.step, fmt.Sprintf(format, args...), strings.Join(tail, "\n"))
}

// outcome checks that an operation succeeded exactly when the model says
// it must.
func (m *model) outcome(what string, err error, wantOK bool) bool {
	m.t.Helper()
	if wantOK && err != nil {
		m.fail("%s: %v, the model expected success", what, err)
	}
	if !wantOK && err == nil {
		m.fail("%s: succeeded, the model expected a refusal", what)
	}
	if !wantOK {
		var ae *api.Error
		if !errors.As(err, &ae) || ae.Status < 400 || ae.Status >= 500 {
			m.fail("%s: %v, want a 4xx refusal", what, err)
		}
	}
	return err == nil
}

func pick[T any](rng *rand.Rand, xs []T) (T, bool) {
	var zero T
	if len(xs) == 0 {
		return zero, false
	}
	return xs[rng.IntN(len(xs))], true
}

func (m *model) now() time.Time { return m.srv.Now() }

// expected is the rule, computed from the model alone.
func (m *model) expected(n *mNet) map[string]bool {
	now := m.now()
	out := map[string]bool{}
	for _, d := range m.devs {
		u := m.user(d.user)
		if u.disabled || !d.active || !m.member(u, n) {
			continue
		}
		standing := !n.jit || u.role == api.RoleAdmin
		granted := false
		if r := m.open(u.id, n.id); r != nil && r.status == api.StatusApproved && now.Before(r.expiresAt) && !now.Before(r.startsAt) {
			granted = true
		}
		if standing || granted {
			out[d.key] = true
		}
	}
	return out
}

func (m *model) actual(n *mNet) map[string]bool {
	out := map[string]bool{}
	for k := range m.srv.Gateway.DevicePeers(n.id) {
		out[k] = true
	}
	return out
}

// check compares every network's gateway with the rule; after a step the
// gateway must already agree (a change takes the peer off before the API
// call returns; expiries are waited for by advance).
func (m *model) check() {
	m.t.Helper()
	for _, n := range m.nets {
		want, got := m.expected(n), m.actual(n)
		if !maps.Equal(want, got) {
			m.fail("network %s: gateway peers %v, the rule says %v", n.name, m.names(got), m.names(want))
		}
	}
}

// ---- operations ----

func (m *model) request() {
	u, _ := pick(m.rng, m.users)
	n, ok := pick(m.rng, m.nets)
	if !ok {
		return
	}
	want := !u.disabled && m.member(u, n) && n.jit && m.open(u.id, n.id) == nil && !m.rateLimited(u)
	r, err := u.c.Request(m.t.Context(), n.id, "model step "+strconv.Itoa(m.step), 0)
	m.logf("%s requests %s: %v", u.email, n.name, err)
	if m.outcome("request", err, want) {
		m.reqs = append(m.reqs, &mReq{id: r.ID, user: u.id, net: n.id, status: api.StatusPending, requestedAt: r.RequestedAt})
	}
}

func (m *model) approve() {
	pending := m.withStatus(api.StatusPending)
	if exts := slices.DeleteFunc(slices.Clone(pending), func(r *mReq) bool { return r.kind != api.KindExtension }); len(exts) > 0 && m.rng.IntN(2) == 0 {
		pending = exts // extensions are rarer: give them a fair share
	}
	r, ok := pick(m.rng, pending)
	if !ok {
		return
	}
	d := time.Duration(1+m.rng.IntN(180)) * time.Minute
	got, err := m.admin.Approve(m.t.Context(), r.id, d)
	u, n := m.user(r.user), m.net(r.net)
	m.logf("approve %s's %s request on %s for %s: %v", u.email, r.kind, n.name, d, err)
	if !m.outcome("approve", err, !u.disabled && m.member(u, n) && (r.startsAt.IsZero() || m.now().Before(r.startsAt))) {
		return
	}
	r.status = api.StatusApproved
	if r.kind == api.KindExtension {
		g := m.req(r.grant)
		g.expiresAt = g.expiresAt.Add(d) // the time goes to the grant
		if got.ExpiresAt != nil {
			m.fail("an approved extension has an expiry of its own")
		}
		return
	}
	r.expiresAt = *got.ExpiresAt
	start := m.now()
	if !r.startsAt.IsZero() {
		start = r.startsAt
	}
	if !r.expiresAt.Equal(start.Add(d)) {
		m.fail("approved until %s, want its start + %s", r.expiresAt, d)
	}
}

func (m *model) revoke() {
	r, ok := pick(m.rng, m.grants())
	if !ok {
		return
	}
	_, err := m.admin.Revoke(m.t.Context(), r.id, "model")
	m.logf("revoke %s: %v", r.id, err)
	if m.outcome("revoke", err, true) {
		m.endGrant(r, api.StatusRevoked)
	}
}

func (m *model) release() {
	r, ok := pick(m.rng, m.grants())
	if !ok {
		return
	}
	u := m.user(r.user)
	if u.disabled {
		return // signed out: a disabled user's grants are ended anyway
	}
	_, err := u.c.Release(m.t.Context(), r.id)
	m.logf("%s releases %s: %v", u.email, r.id, err)
	if m.outcome("release", err, true) {
		m.endGrant(r, api.StatusRevoked)
	}
}

func (m *model) cancel() {
	r, ok := pick(m.rng, m.withStatus(api.StatusPending))
	if !ok {
		return
	}
	u := m.user(r.user)
	if u.disabled {
		return
	}
	_, err := u.c.Cancel(m.t.Context(), r.id)
	m.logf("%s cancels %s: %v", u.email, r.id, err)
	if m.outcome("cancel", err, true) {
		r.status = api.StatusCancelled
	}
}

// advance moves the clock; grants past expires_at expire, pending requests
// past the pending TTL time out. It waits for the server to record both,
// and for the gateway to act on its own timer.
func (m *model) advance() {
	var d time.Duration
	switch m.rng.IntN(4) {
	case 0: // to an expiry or a start, exactly
		var next time.Time
		for _, r := range m.grants() {
			for _, at := range []time.Time{r.expiresAt, r.startsAt} {
				if at.After(m.now()) && (next.IsZero() || at.Before(next)) {
					next = at
				}
			}
		}
		if !next.IsZero() {
			d = next.Sub(m.now())
		}
	case 1:
		d = time.Duration(1+m.rng.IntN(59)) * time.Second
	default:
		d = time.Duration(1+m.rng.IntN(120)) * time.Minute
	}
	if d <= 0 {
		d = time.Second
	}
	m.srv.Advance(d)
	now := m.now()
	m.logf("advance %s to %s", d, now.Format(time.RFC3339))
	var ended []*mReq
	for _, r := range m.reqs {
		switch {
		case r.status == api.StatusApproved && r.kind != api.KindExtension && !now.Before(r.expiresAt):
			ended = append(ended, m.endGrant(r, api.StatusExpired)...)
		case r.status == api.StatusPending && (!now.Before(r.requestedAt.Add(pendingTTL)) || (!r.startsAt.IsZero() && !now.Before(r.startsAt))):
			r.status = api.StatusExpired
			ended = append(ended, r)
		}
	}
	m.waitFor("the expiries of this step", func() bool {
		for _, r := range ended {
			got, err := m.admin.AdminRequest(m.t.Context(), r.id)
			if err != nil || got.Status != api.StatusExpired {
				return false
			}
		}
		for _, n := range m.nets {
			if !maps.Equal(m.expected(n), m.actual(n)) {
				return false
			}
		}
		return true
	})
}

func (m *model) waitFor(what string, cond func() bool) {
	m.t.Helper()
	if !backendtest.Poll(backendtest.Timeout, cond) {
		m.check() // reports the difference, if that is what is missing
		m.fail("timed out waiting for %s", what)
	}
}

func (m *model) addDevice() {
	u, _ := pick(m.rng, m.users)
	if u.disabled || len(m.activeDevices(u)) >= 3 {
		return
	}
	dev, err := u.c.RegisterDevice(m.t.Context(), "laptop", newDeviceKey(m.t))
	m.logf("%s adds a device: %v", u.email, err)
	if m.outcome("register a device", err, true) {
		m.devs = append(m.devs, &mDev{id: dev.ID, key: dev.PublicKey, user: u.id, active: true})
		if u.tokenDevice == "" {
			u.tokenDevice = dev.ID
		}
	}
}

func (m *model) removeDevice() {
	var active []*mDev
	for _, d := range m.devs {
		if d.active {
			active = append(active, d)
		}
	}
	d, ok := pick(m.rng, active)
	if !ok {
		return
	}
	u := m.user(d.user)
	c := m.admin
	if !u.disabled && m.rng.IntN(2) == 0 {
		c = u.c
	}
	var err error
	if c == m.admin {
		err = c.AdminRemoveDevice(m.t.Context(), d.id)
	} else {
		err = c.RemoveDevice(m.t.Context(), d.id)
	}
	m.logf("remove %s's device %s: %v", u.email, d.id, err)
	if m.outcome("remove a device", err, true) {
		d.active = false
		if u.tokenDevice == d.id && !u.disabled {
			m.relogin(u) // the token registered with it is signed out
		}
	}
}

func (m *model) relogin(u *mUser) {
	u.tokenDevice = ""
	if u.service {
		tok, err := m.admin.NewServiceToken(m.t.Context(), u.id)
		if err != nil {
			m.fail("a new token of %s: %v", u.email, err)
		}
		u.c = client.New(m.srv.URL, client.WithToken(tok.Token))
		return
	}
	u.c = m.srv.Login(m.t, u.email, backendtest.UserPassword)
}

// endOpen ends what the server must end when a user can no longer pass
// (disabled, or no longer a member of n; nil n for every network).
func (m *model) endOpen(u *mUser, n *mNet) {
	for _, r := range m.reqs {
		if r.user != u.id || (n != nil && r.net != n.id) {
			continue
		}
		switch {
		case r.status == api.StatusApproved && r.kind != api.KindExtension:
			m.endGrant(r, api.StatusRevoked)
		case r.status == api.StatusPending:
			r.status = api.StatusDenied // or expired with its grant: ended either way
		}
	}
}

func (m *model) toggleDisabled() {
	u, _ := pick(m.rng, m.users)
	disabled := !u.disabled
	_, err := m.admin.UpdateUser(m.t.Context(), u.id, api.UserPatch{Disabled: &disabled})
	m.logf("set %s disabled=%v: %v", u.email, disabled, err)
	if m.outcome("disable/enable", err, true) {
		u.disabled = disabled
		if disabled {
			m.endOpen(u, nil)
		} else {
			m.relogin(u)
		}
	}
}

func (m *model) setRole() {
	u, _ := pick(m.rng, m.users)
	role := api.RoleAdmin
	if u.role == api.RoleAdmin {
		role = api.RoleUser
	}
	_, err := m.admin.UpdateUser(m.t.Context(), u.id, api.UserPatch{Role: &role})
	m.logf("set %s role=%s: %v", u.email, role, err)
	if m.outcome("change a role", err, !u.service || role != api.RoleAdmin) {
		u.role = role
	}
}

func (m *model) setMembers() {
	n, ok := pick(m.rng, m.nets)
	if !ok {
		return
	}
	in := api.NetworkInput{}
	members, groups := map[string]bool{}, map[string]bool{}
	all := m.rng.IntN(4) == 0
	if all {
		in.AllUsers = &all
	} else {
		in.MemberIDs, members = m.someUsers()
		in.MemberGroupIDs, groups = m.someGroups()
	}
	_, err := m.admin.UpdateNetwork(m.t.Context(), n.id, in)
	m.logf("set %s members all=%v %v groups %v: %v", n.name, all, slices.Sorted(maps.Keys(members)), slices.Sorted(maps.Keys(groups)), err)
	if m.outcome("set members", err, true) {
		n.all, n.members = all, members
		if !all {
			n.groups = groups
		}
		for _, u := range m.users {
			if !m.member(u, n) {
				m.endOpen(u, n)
			}
		}
	}
}

func (m *model) toggleJIT() {
	n, ok := pick(m.rng, m.nets)
	if !ok {
		return
	}
	jit := !n.jit
	_, err := m.admin.UpdateNetwork(m.t.Context(), n.id, api.NetworkInput{JITEnabled: &jit})
	m.logf("set %s jit=%v: %v", n.name, jit, err)
	if m.outcome("toggle JIT", err, true) {
		n.jit = jit
	}
}

func (m *model) createNetwork() {
	if len(m.nets) >= 3 {
		return
	}
	m.nNets++
	name := "net-" + strconv.Itoa(m.nNets)
	cidr := fmt.Sprintf("10.%d.%d.0/24", 60+m.nNets/200, m.nNets%200)
	in := api.NetworkInput{Name: &name, CIDR: &cidr}
	members, groups := map[string]bool{}, map[string]bool{}
	all := m.rng.IntN(2) == 0
	if !all {
		in.MemberIDs, members = m.someUsers()
		in.MemberGroupIDs, groups = m.someGroups()
	}
	got, err := m.admin.CreateNetwork(m.t.Context(), in)
	m.logf("create %s all=%v: %v", name, all, err)
	if m.outcome("create a network", err, true) {
		m.nets = append(m.nets, &mNet{id: got.ID, name: name, jit: true, all: all, members: members, groups: groups})
	}
}

func (m *model) deleteNetwork() {
	if len(m.nets) <= 1 {
		return
	}
	i := m.rng.IntN(len(m.nets))
	n := m.nets[i]
	err := m.admin.DeleteNetwork(m.t.Context(), n.id)
	m.logf("delete %s: %v", n.name, err)
	if m.outcome("delete a network", err, true) {
		m.nets = slices.Delete(m.nets, i, i+1)
		m.reqs = slices.DeleteFunc(m.reqs, func(r *mReq) bool { return r.net == n.id })
		m.waitFor("the deleted network's device to close", func() bool { return len(m.srv.Gateway.DevicePeers(n.id)) == 0 })
	}
}
