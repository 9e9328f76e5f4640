package store

import (
	"context"
	"strconv"
	"strings"

	"gatepass.dev/backend/internal/fault"
	"gatepass.dev/shared/api"
)

// The admin list of requests: filters, pages by cursor, counts per status.

// RequestFilter selects requests for the admin list.
type RequestFilter struct {
	Statuses  []api.RequestStatus // any of these; empty: all
	NetworkID string
	UserID    string
	Query     string // substring of the user's email or name, or the reason
	Limit     int
	Cursor    string          // from a previous page
	Kind      api.RequestKind // "" for all
	// ReviewRequired keeps only break-glass grants awaiting review.
	ReviewRequired bool
	// Scoped keeps only the requests of NetworkIDs (an approver's
	// networks; none when empty).
	Scoped     bool
	NetworkIDs []string
	// Oldest lists the oldest first (the pending queue: the request
	// waiting longest on top); else the newest first.
	Oldest bool
}

func (f RequestFilter) where(withStatus bool) (string, []any) {
	var conds []string
	var args []any
	if withStatus && len(f.Statuses) > 0 {
		ph := make([]string, len(f.Statuses))
		for i, s := range f.Statuses {
			ph[i] = "?"
			args = append(args, s)
		}
		conds = append(conds, "r.status IN ("+strings.Join(ph, ", ")+")")
	}
	if f.NetworkID != "" {
		conds = append(conds, "r.network_id = ?")
		args = append(args, f.NetworkID)
	}
	if f.UserID != "" {
		conds = append(conds, "r.user_id = ?")
		args = append(args, f.UserID)
	}
	if f.Kind != "" {
		conds = append(conds, "r.kind = ?")
		args = append(args, f.Kind)
	}
	if f.ReviewRequired {
		conds = append(conds, "r.review_required = 1")
	}
	if f.Scoped {
		ph := []string{"''"} // none: matches nothing
		for _, id := range f.NetworkIDs {
			ph = append(ph, "?")
			args = append(args, id)
		}
		conds = append(conds, "r.network_id IN ("+strings.Join(ph, ", ")+")")
	}
	if f.Query != "" {
		// LIKE is case-sensitive on PostgreSQL: compare lower case.
		like := "%" + escapeLike(strings.ToLower(f.Query)) + "%"
		conds = append(conds, `(LOWER(u.email) LIKE ? ESCAPE '\' OR LOWER(u.name) LIKE ? ESCAPE '\' OR LOWER(r.reason) LIKE ? ESCAPE '\')`)
		args = append(args, like, like, like)
	}
	if len(conds) == 0 {
		return "", nil
	}
	return " WHERE " + strings.Join(conds, " AND "), args
}

func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// ListRequests returns a page of requests, newest first (oldest first with
// f.Oldest), and the cursor of the next page ("" at the end).
func ListRequests(ctx context.Context, q Querier, f RequestFilter) ([]Request, string, error) {
	if f.Limit <= 0 || f.Limit > 500 {
		f.Limit = 50
	}
	var cursor []any
	if f.Cursor != "" {
		at, id, ok := parseCursor(f.Cursor)
		if !ok {
			return nil, "", fault.Detail(ErrInvalid, "bad cursor")
		}
		cursor = []any{at, at, id}
	}
	cmp, dir := "<", "DESC"
	if f.Oldest {
		cmp, dir = ">", "ASC"
	}
	page := func(g RequestFilter) (string, []any) {
		where, args := g.where(true)
		if cursor != nil {
			cond := "(r.requested_at " + cmp + " ? OR (r.requested_at = ? AND r.id " + cmp + " ?))"
			if where == "" {
				where = " WHERE " + cond
			} else {
				where += " AND " + cond
			}
			args = append(args, cursor...)
		}
		return requestSelect + where + ` ORDER BY r.requested_at ` + dir + `, r.id ` + dir + ` LIMIT ?`, append(args, f.Limit+1)
	}
	query, args := page(f)
	if len(f.Statuses) > 1 {
		// Several statuses (the Expired/Revoked tab): one page per status,
		// each read in order from the (status, requested_at, id) index,
		// merged — rather than sorting every row of those statuses.
		var parts []string
		args = nil
		for i, st := range f.Statuses {
			g := f
			g.Statuses = []api.RequestStatus{st}
			part, a := page(g)
			parts = append(parts, `SELECT * FROM (`+part+`) AS p`+strconv.Itoa(i))
			args = append(args, a...)
		}
		// Columns 8 and 1 are requested_at and id.
		query = strings.Join(parts, ` UNION ALL `) + ` ORDER BY 8 ` + dir + `, 1 ` + dir + ` LIMIT ?`
		args = append(args, f.Limit+1)
	}
	list, err := queryRequests(ctx, q, query, args...)
	if err != nil {
		return nil, "", err
	}
	next := ""
	if len(list) > f.Limit {
		list = list[:f.Limit]
		last := list[len(list)-1]
		next = strconv.FormatInt(last.RequestedAt.UnixMilli(), 10) + "." + last.ID
	}
	return list, next, nil
}

// CountRequests counts requests per status under the filter's network,
// user and query (its statuses are ignored: the counts are the tabs).
func CountRequests(ctx context.Context, q Querier, f RequestFilter) (map[api.RequestStatus]int, error) {
	where, args := f.where(false)
	from := `requests r`
	if f.Query != "" { // the search reads the user's email and name
		from = `requests r JOIN users u ON u.id = r.user_id`
	}
	rows, err := q.QueryContext(ctx, `SELECT r.status, COUNT(*) FROM `+from+where+` GROUP BY r.status`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[api.RequestStatus]int{}
	for _, s := range api.AllStatuses {
		out[s] = 0
	}
	for rows.Next() {
		var s api.RequestStatus
		var n int
		if err := rows.Scan(&s, &n); err != nil {
			return nil, err
		}
		out[s] = n
	}
	return out, rows.Err()
}

// ErrInvalid is returned for bad arguments such as a malformed cursor.
var ErrInvalid = fault.Sentinel(fault.Invalid, "invalid")

func parseCursor(c string) (int64, string, bool) {
	at, id, ok := strings.Cut(c, ".")
	if !ok {
		return 0, "", false
	}
	n, err := strconv.ParseInt(at, 10, 64)
	return n, id, err == nil && id != ""
}
