package httpapi_test

// The state of the model of "who may pass a gateway"
// (invariant_model_test.go) and the questions asked of it.

import (
	"sort"
	"time"

	"gatepass.dev/backend/internal/access"
	"gatepass.dev/shared/api"
	"gatepass.dev/shared/client"
)

type mUser struct {
	id, email string
	c         *client.Client
	role      api.Role
	disabled  bool
	// tokenDevice is the device registered with c's token: removing it
	// signs c out.
	tokenDevice string
	service     bool // signs in with a token an admin issues
}

type mNet struct {
	id, name string
	jit, all bool
	members  map[string]bool
	groups   map[string]bool // member groups
}

type mDev struct {
	id, key, user string
	active        bool
}

type mReq struct {
	id, user, net string
	status        api.RequestStatus
	requestedAt   time.Time
	expiresAt     time.Time
	startsAt      time.Time       // a scheduled request's start
	kind          api.RequestKind // "" is access
	grant         string          // an extension's grant
}

func (m *model) net(id string) *mNet {
	for _, n := range m.nets {
		if n.id == id {
			return n
		}
	}
	return nil
}

func (m *model) user(id string) *mUser {
	for _, u := range m.users {
		if u.id == id {
			return u
		}
	}
	return nil
}

// open is the user's pending request or grant on a network (not an
// extension).
func (m *model) open(userID, netID string) *mReq {
	for _, r := range m.reqs {
		if r.user == userID && r.net == netID && r.kind != api.KindExtension && (r.status == api.StatusPending || r.status == api.StatusApproved) {
			return r
		}
	}
	return nil
}

func (m *model) withStatus(st api.RequestStatus) []*mReq {
	var out []*mReq
	for _, r := range m.reqs {
		if r.status == st {
			out = append(out, r)
		}
	}
	return out
}

func (m *model) names(keys map[string]bool) []string {
	var out []string
	for _, d := range m.devs {
		if keys[d.key] {
			out = append(out, m.user(d.user).email+"/"+d.id)
		}
	}
	sort.Strings(out)
	return out
}

func (m *model) activeDevices(u *mUser) []*mDev {
	var out []*mDev
	for _, d := range m.devs {
		if d.user == u.id && d.active {
			out = append(out, d)
		}
	}
	return out
}

type mGroup struct {
	id, name string
	members  map[string]bool
}

// member is the rule's membership: all users, a listed user, or a member
// of a listed group.
func (m *model) member(u *mUser, n *mNet) bool {
	if n.all || n.members[u.id] {
		return true
	}
	for _, g := range m.groups {
		if n.groups[g.id] && g.members[u.id] {
			return true
		}
	}
	return false
}

func (m *model) req(id string) *mReq {
	for _, r := range m.reqs {
		if r.id == id {
			return r
		}
	}
	m.fail("no request %s in the model", id)
	return nil
}

// grants are the approved requests that are grants (not extensions).
func (m *model) grants() []*mReq {
	var out []*mReq
	for _, r := range m.withStatus(api.StatusApproved) {
		if r.kind != api.KindExtension {
			out = append(out, r)
		}
	}
	return out
}

// rateLimited: the user made access.RequestLimit requests (extensions
// included) in the last access.RequestWindow.
func (m *model) rateLimited(u *mUser) bool {
	n := 0
	for _, r := range m.reqs {
		if r.user == u.id && r.requestedAt.After(m.now().Add(-access.RequestWindow)) {
			n++
		}
	}
	return n >= access.RequestLimit
}
