package httpapi_test

// The policy operations of the model-based test of "who may pass a
// gateway" (invariant_model_test.go): groups and their membership of
// networks, a service user, scheduled requests and extensions.

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"time"

	"gatepass.dev/shared/api"
	"gatepass.dev/shared/client"
)

// endGrant ends a grant, and its pending extension with it; it returns
// both (what ended).
func (m *model) endGrant(g *mReq, to api.RequestStatus) []*mReq {
	g.status = to
	out := []*mReq{g}
	for _, r := range m.reqs {
		if r.kind == api.KindExtension && r.grant == g.id && r.status == api.StatusPending {
			r.status = api.StatusExpired
			out = append(out, r)
		}
	}
	return out
}

func (m *model) someUsers() (*[]string, map[string]bool) {
	ids, set := []string{}, map[string]bool{}
	for _, u := range m.users {
		if m.rng.IntN(2) == 0 {
			ids = append(ids, u.id)
			set[u.id] = true
		}
	}
	return &ids, set
}

func (m *model) someGroups() (*[]string, map[string]bool) {
	ids, set := []string{}, map[string]bool{}
	for _, g := range m.groups {
		if m.rng.IntN(2) == 0 {
			ids = append(ids, g.id)
			set[g.id] = true
		}
	}
	return &ids, set
}

// settleAll ends what the server must end for every user who is no
// longer a member of a network (after a group changed).
func (m *model) settleAll() {
	for _, u := range m.users {
		for _, n := range m.nets {
			if !m.member(u, n) {
				m.endOpen(u, n)
			}
		}
	}
}

// addServiceUser creates the model's service user: it requests and
// registers devices with a token an admin issued.
func (m *model) addServiceUser() {
	u, token, err := m.admin.CreateServiceUser(m.t.Context(), "ci@example.com", "CI runner")
	if err != nil {
		m.t.Fatal(err)
	}
	m.users = append(m.users, &mUser{id: u.ID, email: u.Email, c: client.New(m.srv.URL, client.WithToken(token)), role: api.RoleUser, service: true})
}

// requestLater files a scheduled request.
func (m *model) requestLater() {
	u, _ := pick(m.rng, m.users)
	n, ok := pick(m.rng, m.nets)
	if !ok {
		return
	}
	start := m.now().Add(time.Duration(1+m.rng.IntN(180)) * time.Minute)
	want := !u.disabled && m.member(u, n) && n.jit && m.open(u.id, n.id) == nil && !m.rateLimited(u)
	r, err := u.c.RequestWith(m.t.Context(), n.id, api.NewRequest{Reason: "later " + strconv.Itoa(m.step), StartsAt: &start})
	m.logf("%s requests %s from %s: %v", u.email, n.name, start.Format(time.RFC3339), err)
	if m.outcome("scheduled request", err, want) {
		m.reqs = append(m.reqs, &mReq{id: r.ID, user: u.id, net: n.id, status: api.StatusPending, requestedAt: r.RequestedAt, startsAt: start})
	}
}

// extend asks for more time on a grant.
func (m *model) extend() {
	g, ok := pick(m.rng, m.grants())
	if !ok {
		return
	}
	u, n := m.user(g.user), m.net(g.net)
	if u.disabled {
		return // signed out
	}
	pendingExt := slices.ContainsFunc(m.reqs, func(r *mReq) bool {
		return r.kind == api.KindExtension && r.grant == g.id && r.status == api.StatusPending
	})
	d := time.Duration(1+m.rng.IntN(120)) * time.Minute
	want := m.member(u, n) && n.jit && !m.now().Before(g.startsAt) && !pendingExt && !m.rateLimited(u)
	r, err := u.c.Extend(m.t.Context(), g.id, "model step "+strconv.Itoa(m.step), d)
	m.logf("%s extends %s on %s by %s: %v", u.email, g.id, n.name, d, err)
	if m.outcome("extend", err, want) {
		m.reqs = append(m.reqs, &mReq{id: r.ID, user: u.id, net: n.id, status: api.StatusPending, requestedAt: r.RequestedAt,
			kind: api.KindExtension, grant: g.id})
	}
}

func (m *model) createGroup() {
	if len(m.groups) >= 3 {
		return
	}
	m.nGrps++
	name := fmt.Sprintf("group-%d", m.nGrps)
	ids, members := m.someUsers()
	g, err := m.admin.CreateGroup(m.t.Context(), api.GroupInput{Name: &name, MemberIDs: ids})
	m.logf("create %s %v: %v", name, slices.Sorted(maps.Keys(members)), err)
	if m.outcome("create a group", err, true) {
		m.groups = append(m.groups, &mGroup{id: g.ID, name: name, members: members})
	}
}

func (m *model) setGroupMembers() {
	g, ok := pick(m.rng, m.groups)
	if !ok {
		return
	}
	ids, members := m.someUsers()
	_, err := m.admin.UpdateGroup(m.t.Context(), g.id, api.GroupInput{MemberIDs: ids})
	m.logf("set %s members %v: %v", g.name, slices.Sorted(maps.Keys(members)), err)
	if m.outcome("set group members", err, true) {
		g.members = members
		m.settleAll()
	}
}

func (m *model) deleteGroup() {
	if len(m.groups) == 0 {
		return
	}
	i := m.rng.IntN(len(m.groups))
	g := m.groups[i]
	err := m.admin.DeleteGroup(m.t.Context(), g.id)
	m.logf("delete %s: %v", g.name, err)
	if m.outcome("delete a group", err, true) {
		m.groups = slices.Delete(m.groups, i, i+1)
		for _, n := range m.nets {
			delete(n.groups, g.id)
		}
		m.settleAll()
	}
}
