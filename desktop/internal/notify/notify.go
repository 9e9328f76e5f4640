// Package notify decides which desktop notifications the window shows and
// sends them.
//
// The decision is a pure function of two consecutive statuses of the
// agent and the (server-clock) instants they were seen at: Transitions. It
// says "approved", "denied" (with the admin's note), "ending" (access ends
// in 10 minutes or less) and "ended" (expired or revoked; not when the user
// released it). The first status seen (no previous one) and a change of
// account never notify: only what changed while the window was watching.
// NextCheck tells the caller when to look again for the 10-minute warning,
// so no timer ticks while nothing is due.
package notify

import (
	"context"
	"fmt"
	"time"

	"gatepass.dev/desktop/internal/localapi"
	"gatepass.dev/shared/api"
	"gatepass.dev/shared/humantime"
)

// Kind is what happened.
type Kind string

const (
	Approved Kind = "approved"
	Denied   Kind = "denied"
	Ending   Kind = "ending"
	Ended    Kind = "ended"
)

// EndingWarning is how long before expiry the "ending" notification comes.
const EndingWarning = 10 * time.Minute

// Notification is one desktop notification.
type Notification struct {
	Kind    Kind
	Network string
	Title   string
	Body    string
}

// Notifier shows notifications (D-Bus on Linux, the Wails runtime
// elsewhere; a recorder in tests).
type Notifier interface {
	Notify(ctx context.Context, n Notification) error
}

// Transitions returns the notifications due when the status moves from
// prev (seen at prevNow) to next (seen at now); both instants are on the
// server clock. prev nil means next is the first status seen.
func Transitions(prev *localapi.Status, prevNow time.Time, next localapi.Status, now time.Time) []Notification {
	if prev == nil || !prev.SignedIn || !next.SignedIn || !sameUser(prev.User, next.User) {
		return nil
	}
	before := make(map[string]localapi.Network, len(prev.Networks))
	for _, n := range prev.Networks {
		before[n.ID] = n
	}
	var out []Notification
	for _, n := range next.Networks {
		p, ok := before[n.ID]
		if !ok {
			continue
		}
		out = append(out, network(p, prevNow, n, now, next.User)...)
	}
	return out
}

func network(p localapi.Network, prevNow time.Time, n localapi.Network, now time.Time, user *api.User) []Notification {
	var out []Notification
	req, preq := n.Request, p.Request
	sameReq := req != nil && preq != nil && req.ID == preq.ID
	wasPending := p.State == api.StatePending || (preq != nil && preq.Status == api.StatusPending)

	// Approved: the request that was pending is now a valid grant.
	if n.State == api.StateActive && p.State != api.StateActive && req != nil && req.Status == api.StatusApproved &&
		(wasPending || (preq != nil && preq.ID != req.ID)) {
		body := "You can connect now."
		if n.ExpiresAt != nil {
			body = "Access expires in " + humantime.Countdown(n.ExpiresAt.Sub(now)) + "."
		}
		if n.Connected || n.WantConnected {
			body = "Connecting. " + body
		}
		out = append(out, Notification{Kind: Approved, Network: n.Name, Title: "Access to " + n.Name + " approved", Body: body})
	}

	// Denied: the pending request was turned down.
	if sameReq && preq.Status == api.StatusPending && req.Status == api.StatusDenied {
		body := "You can request again with more detail."
		if req.Note != "" {
			body = "Note from the admin: " + req.Note
		}
		out = append(out, Notification{Kind: Denied, Network: n.Name, Title: "Access to " + n.Name + " denied", Body: body})
	}

	// Ending: the 10-minute mark was crossed between the two instants.
	if n.State == api.StateActive && n.ExpiresAt != nil {
		left := n.ExpiresAt.Sub(now)
		prevLeft := n.ExpiresAt.Sub(prevNow)
		if p.State != api.StateActive || p.ExpiresAt == nil || !p.ExpiresAt.Equal(*n.ExpiresAt) {
			prevLeft = EndingWarning + time.Nanosecond // a new grant: only its own crossing counts
			if left <= EndingWarning {
				prevLeft = left // granted for less than the warning: the approval said it
			}
		}
		if left > 0 && left <= EndingWarning && prevLeft > EndingWarning {
			out = append(out, Notification{Kind: Ending, Network: n.Name,
				Title: "Access to " + n.Name + " ends in " + humantime.Countdown(left),
				Body:  "Request access again if you need more time."})
		}
	}

	// Ended: a grant that was active is over (not when the user gave it up).
	if p.State == api.StateActive && n.State != api.StateActive && n.State != api.StateStanding {
		r := req
		if r == nil || (preq != nil && r.ID != preq.ID) {
			r = preq
		}
		// ended_by names who ended it (the API gives the email; the id is accepted too).
		selfRelease := r != nil && r.Status == api.StatusRevoked && user != nil && r.EndedBy != "" &&
			(r.EndedBy == user.Email || r.EndedBy == user.ID)
		if !selfRelease {
			body := "Your access expired."
			if r != nil && r.Status == api.StatusRevoked {
				body = "An admin revoked your access."
				if r.Note != "" {
					body += " Note: " + r.Note
				}
			}
			if p.Connected {
				body += " The tunnel is closed."
			}
			out = append(out, Notification{Kind: Ended, Network: n.Name, Title: "Access to " + n.Name + " ended", Body: body})
		}
	}
	return out
}

func sameUser(a, b *api.User) bool {
	return a != nil && b != nil && a.ID == b.ID
}

// NextCheck is the next server-clock instant after now at which an
// "ending" notification becomes due for st, or the zero time if none.
func NextCheck(st localapi.Status, now time.Time) time.Time {
	var next time.Time
	for _, n := range st.Networks {
		if n.State != api.StateActive || n.ExpiresAt == nil {
			continue
		}
		at := n.ExpiresAt.Add(-EndingWarning)
		if !at.After(now) {
			continue
		}
		if next.IsZero() || at.Before(next) {
			next = at
		}
	}
	return next
}

// String is for logs.
func (n Notification) String() string {
	return fmt.Sprintf("%s %s: %s — %s", n.Kind, n.Network, n.Title, n.Body)
}
