package notify

import (
	"strings"
	"testing"
	"time"

	"gatepass.dev/desktop/internal/localapi"
	"gatepass.dev/shared/api"
)

var t0 = time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)

func user() *api.User { return &api.User{ID: "u1", Email: "c@example.com"} }

func st(nets ...localapi.Network) localapi.Status {
	return localapi.Status{SignedIn: true, User: user(), Networks: nets}
}

func pending(id string) localapi.Network {
	return localapi.Network{ID: "n1", Name: "office-network", State: api.StatePending,
		Request: &api.Request{ID: id, Status: api.StatusPending, Reason: "r"}}
}

func active(id string, exp time.Time) localapi.Network {
	e := exp
	return localapi.Network{ID: "n1", Name: "office-network", State: api.StateActive, ExpiresAt: &e,
		Request: &api.Request{ID: id, Status: api.StatusApproved, ExpiresAt: &e}}
}

func ended(id string, status api.RequestStatus, by, note string) localapi.Network {
	return localapi.Network{ID: "n1", Name: "office-network", State: api.StateRequest,
		Request: &api.Request{ID: id, Status: status, EndedBy: by, Note: note}}
}

func kinds(ns []Notification) string {
	var k []string
	for _, n := range ns {
		k = append(k, string(n.Kind))
	}
	return strings.Join(k, ",")
}

func TestTransitions(t *testing.T) {
	exp := t0.Add(8 * time.Hour)
	denied := pending("r1")
	denied.State = api.StateRequest
	denied.Request = &api.Request{ID: "r1", Status: api.StatusDenied, Note: "not now"}
	cases := []struct {
		name      string
		prev      *localapi.Status
		prevNow   time.Time
		next      localapi.Status
		now       time.Time
		want      string
		wantTitle string
		wantBody  string
	}{
		{"first status", nil, t0, st(active("r1", exp)), t0, "", "", ""},
		{"approved", ptr(st(pending("r1"))), t0, st(active("r1", exp)), t0, "approved", "Access to office-network approved", "Access expires in 8h 0m."},
		{"denied with note", ptr(st(pending("r1"))), t0, st(denied), t0, "denied", "Access to office-network denied", "Note from the admin: not now"},
		{"still pending", ptr(st(pending("r1"))), t0, st(pending("r1")), t0.Add(time.Hour), "", "", ""},
		{"ending: crossing 10 minutes", ptr(st(active("r1", exp))), exp.Add(-11 * time.Minute), st(active("r1", exp)), exp.Add(-9*time.Minute - 30*time.Second), "ending", "Access to office-network ends in 9m", ""},
		{"ending: already past the mark", ptr(st(active("r1", exp))), exp.Add(-9 * time.Minute), st(active("r1", exp)), exp.Add(-8 * time.Minute), "", "", ""},
		{"expired", ptr(st(active("r1", exp))), exp.Add(-time.Second), st(ended("r1", api.StatusExpired, "", "")), exp, "ended", "Access to office-network ended", "Your access expired."},
		{"revoked by an admin", ptr(st(active("r1", exp))), t0, st(ended("r1", api.StatusRevoked, "admin@example.com", "done")), t0, "ended", "", "An admin revoked your access. Note: done"},
		{"released by the user", ptr(st(active("r1", exp))), t0, st(ended("r1", api.StatusRevoked, "c@example.com", "")), t0, "", "", ""},
		{"released by the user (id)", ptr(st(active("r1", exp))), t0, st(ended("r1", api.StatusRevoked, "u1", "")), t0, "", "", ""},
		{"cancelled by the user", ptr(st(pending("r1"))), t0, st(ended("r1", api.StatusCancelled, "u1", "")), t0, "", "", ""},
		{"another account", ptr(localapi.Status{SignedIn: true, User: &api.User{ID: "u2"}, Networks: []localapi.Network{pending("r1")}}), t0, st(active("r1", exp)), t0, "", "", ""},
		{"signed out", ptr(st(active("r1", exp))), t0, localapi.Status{}, t0, "", "", ""},
		{"short grant: approved says it, no ending", ptr(st(pending("r1"))), t0, st(active("r1", t0.Add(5*time.Minute))), t0, "approved", "", "Access expires in 5m."},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := Transitions(c.prev, c.prevNow, c.next, c.now)
			if kinds(got) != c.want {
				t.Fatalf("kinds = %q, want %q (%v)", kinds(got), c.want, got)
			}
			if len(got) == 0 {
				return
			}
			if c.wantTitle != "" && got[0].Title != c.wantTitle {
				t.Errorf("title = %q, want %q", got[0].Title, c.wantTitle)
			}
			if c.wantBody != "" && got[0].Body != c.wantBody {
				t.Errorf("body = %q, want %q", got[0].Body, c.wantBody)
			}
		})
	}
}

func TestNextCheck(t *testing.T) {
	exp := t0.Add(time.Hour)
	s := st(active("r1", exp), localapi.Network{ID: "n2", State: api.StateRequest})
	if got := NextCheck(s, t0); !got.Equal(exp.Add(-EndingWarning)) {
		t.Errorf("NextCheck = %v", got)
	}
	if got := NextCheck(s, exp.Add(-5*time.Minute)); !got.IsZero() {
		t.Errorf("NextCheck after the mark = %v", got)
	}
	if got := NextCheck(st(pending("r1")), t0); !got.IsZero() {
		t.Errorf("NextCheck with nothing active = %v", got)
	}
}

func ptr(s localapi.Status) *localapi.Status { return &s }
