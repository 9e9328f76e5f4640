package web

import (
	"fmt"
	"html/template"
	"math"
	"strings"
	"time"

	"gatepass.dev/backend/internal/store"
	"gatepass.dev/shared/api"
	"gatepass.dev/shared/humantime"
)

// funcs are the template functions. None returns template.HTML: every
// value is escaped by html/template.
var funcs = template.FuncMap{
	"asset":     assetURL,
	"rel":       relTime,
	"exact":     exactTime,
	"iso":       isoTime,
	"dur":       humantime.Span,
	"left":      timeLeft,
	"status":    statusLabel,
	"bytes":     humanBytes,
	"managedBy": managedBy,
	"kindOf":    func(r store.Request) string { return string(r.KindOrAccess()) },
	"scheduled": func(r store.Request, now time.Time) bool { return r.StartsAt.After(now) },
	"endedAt":   endedAt,
	"endedHow":  endedHow,
	"grantedBy": grantedBy,
	"secs":      func(d time.Duration) int64 { return int64(d / time.Second) },
	"role":      func(r api.Role) string { return map[api.Role]string{api.RoleAdmin: "Admin", api.RoleUser: "User"}[r] },
	"join":      strings.Join,
	"hasPrefix": strings.HasPrefix,
	"add":       func(a, b int) int { return a + b },
	"sub":       func(a, b int) int { return a - b },
	"seconds":   func(n int64) time.Duration { return time.Duration(n) * time.Second },
	"sentence":  sentence,
	"deref":     func(t *time.Time) time.Time { return derefTime(t) },
	"lower":     strings.ToLower,
	"at":        func(t, now time.Time) timeAt { return timeAt{T: t, Now: now} },
	"dict":      dict,
	"choiceAll": func(idPrefix string) durationChoice {
		c := choiceFor(8*time.Hour, 0, 0)
		c.IDPrefix = idPrefix
		return c
	},
}

// timeAt is a time with the page's now, for the "when" template.
type timeAt struct{ T, Now time.Time }

// dict builds a map from key, value pairs for passing several values to a
// template.
func dict(kv ...any) (map[string]any, error) {
	if len(kv)%2 != 0 {
		return nil, fmt.Errorf("dict: odd number of arguments")
	}
	m := make(map[string]any, len(kv)/2)
	for i := 0; i < len(kv); i += 2 {
		k, ok := kv[i].(string)
		if !ok {
			return nil, fmt.Errorf("dict: key %v is not a string", kv[i])
		}
		m[k] = kv[i+1]
	}
	return m, nil
}

func derefTime(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return *t
}

// relTime renders t relative to now: "just now", "5 minutes ago", "in 2 hours".
func relTime(t, now time.Time) string {
	if t.IsZero() {
		return "—"
	}
	d := now.Sub(t)
	future := d < 0
	if future {
		d = -d
	}
	var s string
	switch {
	case d < 45*time.Second:
		return "just now"
	case d < 90*time.Second:
		s = "1 minute"
	case d < time.Hour:
		s = plural(int(math.Round(d.Minutes())), "minute")
	case d < 36*time.Hour:
		s = plural(int(math.Round(d.Hours())), "hour")
	case d < 60*24*time.Hour:
		s = plural(int(math.Round(d.Hours()/24)), "day")
	default:
		s = plural(int(math.Round(d.Hours()/24/30)), "month")
	}
	if future {
		return "in " + s
	}
	return s + " ago"
}

func plural(n int, unit string) string {
	if n == 1 {
		return "1 " + unit
	}
	return fmt.Sprintf("%d %ss", n, unit)
}

// exactTime is the exact time for titles: "2026-11-23 09:00:00 UTC".
func exactTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2006-01-02 15:04:05 UTC")
}

func isoTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339Nano)
}

// timeLeft is the time until expires, "Expired" once passed.
func timeLeft(expires, now time.Time) string {
	if expires.IsZero() {
		return "—"
	}
	if !now.Before(expires) {
		return "Expired"
	}
	return humantime.Span(expires.Sub(now).Truncate(time.Second))
}

// statusLabel is how a request status is shown.
func statusLabel(s api.RequestStatus) string {
	switch s {
	case api.StatusPending:
		return "Pending"
	case api.StatusApproved:
		return "Approved"
	case api.StatusDenied:
		return "Denied"
	case api.StatusCancelled:
		return "Cancelled"
	case api.StatusExpired:
		return "Expired"
	case api.StatusRevoked:
		return "Revoked"
	}
	return string(s)
}

// managedBy is who processed a request ("Managed By"): who revoked it,
// else who decided it — the rule ("rule: on-call"), "break-glass", the
// approvers of a network that needs several (while pending, how far they
// got: "1 of 2: dana@example.com"), or the one who approved or denied it;
// a requester's own withdrawal is named as such.
func managedBy(r store.Request) string {
	switch {
	case r.Status == api.StatusRevoked && r.EndedBy == r.UserID:
		return "Released by the user"
	case r.Status == api.StatusRevoked && r.EnderEmail != "":
		return r.EnderEmail
	case r.Status == api.StatusCancelled:
		return "Cancelled by the user"
	case r.Status == api.StatusPending && len(r.Approvals) > 0:
		return fmt.Sprintf("%d of %d: %s", len(r.Approvals), max(1, r.RequiredApprovals), approverList(r))
	case r.Status != api.StatusDenied && grantor(r) != "":
		return grantor(r)
	case r.DeciderEmail != "":
		return r.DeciderEmail
	case r.Status == api.StatusExpired:
		return "Timed out"
	}
	return "—"
}

// humanBytes renders a byte count: "0 B", "1.5 KiB", "12 MiB".
func humanBytes(n int64) string {
	if n < 1024 {
		return fmt.Sprintf("%d B", n)
	}
	f := float64(n)
	for _, u := range []string{"KiB", "MiB", "GiB", "TiB"} {
		f /= 1024
		if f < 1024 || u == "TiB" {
			if f < 10 {
				return fmt.Sprintf("%.1f %s", f, u)
			}
			return fmt.Sprintf("%.0f %s", f, u)
		}
	}
	return ""
}

// endedAt is when a closed request ended: decided (denied) or ended
// (expired, revoked, cancelled); zero while it is open.
func endedAt(r store.Request) time.Time {
	switch {
	case r.Status.Open():
		return time.Time{}
	case r.Status == api.StatusDenied:
		return r.DecidedAt
	}
	return r.EndedAt
}

// endedHow says how a closed request ended: "denied by ann@example.com",
// "expired", "timed out unanswered", "revoked by …", "given up by the
// user", "cancelled by the user".
func endedHow(r store.Request) string {
	switch r.Status {
	case api.StatusDenied:
		if r.DeciderEmail != "" {
			return "denied by " + r.DeciderEmail
		}
		return "denied"
	case api.StatusExpired:
		if r.Granted == 0 {
			return "timed out unanswered"
		}
		return "expired"
	case api.StatusRevoked:
		switch {
		case r.EndedBy == r.UserID:
			return "given up by the user"
		case r.EnderEmail != "":
			return "revoked by " + r.EnderEmail
		}
		return "revoked"
	case api.StatusCancelled:
		return "cancelled by the user"
	}
	return ""
}

// grantedBy is how long a request was granted and by whom: "8h by
// ann@example.com"; "" when it never was.
func grantedBy(r store.Request) string {
	if r.Granted <= 0 {
		return ""
	}
	s := humantime.Span(r.Granted)
	if g := grantor(r); g != "" {
		s += " by " + g
	}
	return s
}
