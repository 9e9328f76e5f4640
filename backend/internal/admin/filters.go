package admin

import (
	"net/url"
	"strconv"
	"strings"
	"time"

	"gatepass.dev/backend/internal/access"
	"gatepass.dev/backend/internal/fault"
	"gatepass.dev/backend/internal/store"
	"gatepass.dev/shared/api"
)

// StatusEnded is the filter value of the Expired/Revoked tab: expired,
// revoked and cancelled requests.
const StatusEnded = "ended"

// EndedStatuses are the statuses StatusEnded stands for.
var EndedStatuses = []api.RequestStatus{api.StatusExpired, api.StatusRevoked, api.StatusCancelled}

// RequestFilter reads ?status=a,b&network=&user=&q=&limit=&cursor=&order=
// &kind=&review= for the request lists. The status "ended" stands for
// expired, revoked and cancelled (the Expired/Revoked tab); order is newest
// (the default) or oldest (the pending queue, longest waiting first); kind
// is access, extension or break_glass; review=required keeps the
// break-glass grants no approver has acknowledged yet (the admin page's
// banner).
func RequestFilter(q url.Values) (store.RequestFilter, error) {
	f := store.RequestFilter{NetworkID: q.Get("network"), UserID: q.Get("user"), Cursor: q.Get("cursor")}
	if v := strings.TrimSpace(q.Get("q")); v != "" {
		text, err := access.CleanText("q", v, 200, false)
		if err != nil {
			return f, err
		}
		f.Query = text
	}
	for _, part := range strings.Split(q.Get("status"), ",") {
		part = strings.TrimSpace(part)
		switch {
		case part == "":
		case part == StatusEnded:
			f.Statuses = append(f.Statuses, EndedStatuses...)
		case api.RequestStatus(part).Valid():
			f.Statuses = append(f.Statuses, api.RequestStatus(part))
		default:
			return f, fault.Field("status", "%s is not one of pending, approved, denied, cancelled, expired, revoked, ended", strconv.Quote(part))
		}
	}
	switch q.Get("order") {
	case "", "newest":
	case "oldest":
		f.Oldest = true
	default:
		return f, fault.Field("order", "must be newest or oldest")
	}
	if v := q.Get("kind"); v != "" {
		if !api.RequestKind(v).Valid() {
			return f, fault.Field("kind", "%s is not one of access, extension, break_glass", strconv.Quote(v))
		}
		f.Kind = api.RequestKind(v)
	}
	switch v := q.Get("review"); v {
	case "":
	case "required":
		f.ReviewRequired = true
	default:
		return f, fault.Field("review", "%s is not a review filter: use review=required", strconv.Quote(v))
	}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 500 {
			return f, fault.Field("limit", "must be a number from 1 to 500")
		}
		f.Limit = n
	}
	return f, nil
}

// MaxAuditRows is the most audit rows one query returns.
const MaxAuditRows = 10000

// AuditFilter reads ?action= (exact, or a prefix ending in ".") &actor=
// &target= &network= &since= &until= &q= &before= (an id, for paging)
// &limit= (default 100, at most MaxAuditRows). since and until are RFC 3339
// times, or dates (2026-11-22, UTC) where until includes its whole day.
func AuditFilter(q url.Values) (store.AuditFilter, error) {
	f := store.AuditFilter{Action: q.Get("action"), ActorID: q.Get("actor"), TargetID: q.Get("target"), NetworkID: q.Get("network"), Query: q.Get("q")}
	for _, t := range []struct {
		name string
		dst  *time.Time
	}{{"since", &f.Since}, {"until", &f.Until}} {
		v := q.Get(t.name)
		if v == "" {
			continue
		}
		tm, err := time.Parse(time.RFC3339, v)
		if err != nil {
			d, derr := time.Parse(time.DateOnly, v)
			if derr != nil {
				return f, fault.Field(t.name, "%q is not an RFC 3339 time like 2026-11-22T10:00:00Z", v)
			}
			tm = d
			if t.name == "until" {
				tm = d.Add(24 * time.Hour)
			}
		}
		*t.dst = tm
	}
	if v := q.Get("before"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 1 {
			return f, fault.Field("before", "must be an audit entry id")
		}
		f.BeforeID = n
	}
	f.Limit = 100
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > MaxAuditRows {
			return f, fault.Field("limit", "must be a number from 1 to %d", MaxAuditRows)
		}
		f.Limit = n
	}
	return f, nil
}
