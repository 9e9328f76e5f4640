package store

import (
	"context"
	"database/sql"
	"errors"
	"strconv"
	"strings"
	"time"

	"gatepass.dev/shared/api"

	"gatepass.dev/backend/internal/fault"
)

// Request is an access request row. Zero times are NULL.
type Request struct {
	ID          string
	NetworkID   string
	UserID      string
	Status      api.RequestStatus
	Reason      string
	Wished      time.Duration // the requester's wish; 0 for none
	Granted     time.Duration // what the approver granted
	RequestedAt time.Time
	DecidedAt   time.Time
	DecidedBy   string // user id of the admin who approved or denied
	Note        string // the deny or revoke note
	ExpiresAt   time.Time
	EndedAt     time.Time
	EndedBy     string // user id that cancelled, revoked or released; "" for expiry
	// AgainOf is the closed request an admin granted again as this one
	// (Grant again); "" for a request the user made.
	AgainOf string

	// Joined for display; not saved.
	NetworkName  string
	UserEmail    string
	UserName     string
	DeciderEmail string
	EnderEmail   string
}

// API returns the wire form.
func (r Request) API() api.Request {
	out := api.Request{
		ID: r.ID, NetworkID: r.NetworkID, NetworkName: r.NetworkName, UserID: r.UserID,
		UserEmail: r.UserEmail, UserName: r.UserName, Status: r.Status, Reason: r.Reason,
		DurationSeconds: int64(r.Wished / time.Second), GrantedSeconds: int64(r.Granted / time.Second),
		RequestedAt: r.RequestedAt, DecidedBy: r.DeciderEmail, Note: r.Note, EndedBy: r.EnderEmail,
		AgainOf: r.AgainOf,
	}
	out.DecidedAt = timePtr(r.DecidedAt)
	out.ExpiresAt = timePtr(r.ExpiresAt)
	out.EndedAt = timePtr(r.EndedAt)
	return out
}

func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

const requestSelect = `SELECT r.id, r.network_id, r.user_id, r.status, r.reason, r.wished_seconds, r.granted_seconds,
	r.requested_at, r.decided_at, COALESCE(r.decided_by, ''), r.note, r.expires_at, r.ended_at, COALESCE(r.ended_by, ''),
	n.name, u.email, u.name, COALESCE(d.email, ''), COALESCE(e.email, ''), r.again_of
	FROM requests r
	JOIN networks n ON n.id = r.network_id
	JOIN users u ON u.id = r.user_id
	LEFT JOIN users d ON d.id = r.decided_by
	LEFT JOIN users e ON e.id = r.ended_by`

func scanRequest(row interface{ Scan(...any) error }) (Request, error) {
	var r Request
	var wished, granted int64
	var requested, decided, expires, ended sql.NullInt64
	err := row.Scan(&r.ID, &r.NetworkID, &r.UserID, &r.Status, &r.Reason, &wished, &granted,
		&requested, &decided, &r.DecidedBy, &r.Note, &expires, &ended, &r.EndedBy,
		&r.NetworkName, &r.UserEmail, &r.UserName, &r.DeciderEmail, &r.EnderEmail, &r.AgainOf)
	if errors.Is(err, sql.ErrNoRows) {
		return r, ErrNotFound
	}
	r.Wished, r.Granted = time.Duration(wished)*time.Second, time.Duration(granted)*time.Second
	r.RequestedAt, r.DecidedAt, r.ExpiresAt, r.EndedAt = fromMS(requested), fromMS(decided), fromMS(expires), fromMS(ended)
	return r, err
}

// InsertRequest stores a new request. A second open request of the same
// user on the same network is ErrConflict.
func InsertRequest(ctx context.Context, q Querier, r Request) error {
	_, err := q.ExecContext(ctx, `INSERT INTO requests (id, network_id, user_id, status, reason, wished_seconds, requested_at, again_of) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		r.ID, r.NetworkID, r.UserID, r.Status, r.Reason, int64(r.Wished/time.Second), ms(r.RequestedAt), r.AgainOf)
	if isUnique(err) {
		return fault.Detail(ErrConflict, "you already have an open request or an active grant on this network")
	}
	return err
}

// UpdateRequestCAS saves r only if the stored status is still from: the
// compare-and-set that lets exactly one of two racing decisions win. It
// returns ErrConflict when the status had changed.
func UpdateRequestCAS(ctx context.Context, q Querier, r Request, from api.RequestStatus) error {
	res, err := q.ExecContext(ctx, sqlRequestCAS, casArgs(r, from)...)
	return casResult(res, err, from)
}

const sqlRequestCAS = `UPDATE requests SET status = ?, granted_seconds = ?, decided_at = ?, decided_by = ?, note = ?, expires_at = ?, ended_at = ?, ended_by = ?
	WHERE id = ? AND status = ?`

func casArgs(r Request, from api.RequestStatus) []any {
	return []any{r.Status, int64(r.Granted / time.Second), ms(r.DecidedAt), nullStr(r.DecidedBy), r.Note, ms(r.ExpiresAt), ms(r.EndedAt), nullStr(r.EndedBy), r.ID, from}
}

func casResult(res sql.Result, err error, from api.RequestStatus) error {
	if err != nil {
		return err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return fault.Detail(ErrConflict, "the request is no longer %s", from)
	}
	return nil
}

// RequestByID loads one request with its display fields.
func RequestByID(ctx context.Context, q Querier, id string) (Request, error) {
	return scanRequest(q.QueryRowContext(ctx, requestSelect+` WHERE r.id = ?`, id))
}

// LatestRequests returns the newest request of the user on each network.
func LatestRequests(ctx context.Context, q Querier, userID string) (map[string]Request, error) {
	rows, err := q.QueryContext(ctx, requestSelect+` WHERE r.user_id = ? AND r.requested_at = (
		SELECT MAX(r2.requested_at) FROM requests r2 WHERE r2.user_id = r.user_id AND r2.network_id = r.network_id)
		ORDER BY r.requested_at`, userID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]Request{}
	for rows.Next() {
		r, err := scanRequest(rows)
		if err != nil {
			return nil, err
		}
		// Two requests in the same millisecond: prefer the open one.
		if prev, ok := out[r.NetworkID]; ok && prev.Status.Open() && !r.Status.Open() {
			continue
		}
		out[r.NetworkID] = r
	}
	return out, rows.Err()
}

// RequestsSince counts the requests a user made after since, and
// returns the earliest of them (zero when none).
func RequestsSince(ctx context.Context, q Querier, userID string, since time.Time) (int, time.Time, error) {
	var n int
	var first sql.NullInt64
	err := q.QueryRowContext(ctx, `SELECT COUNT(*), MIN(requested_at) FROM requests WHERE user_id = ? AND requested_at > ?`,
		userID, since.UnixMilli()).Scan(&n, &first)
	return n, fromMS(first), err
}

// CancelledSince counts the requests a user cancelled at or after since.
func CancelledSince(ctx context.Context, q Querier, userID string, since time.Time) (int, error) {
	var n int
	err := q.QueryRowContext(ctx, `SELECT COUNT(*) FROM requests WHERE user_id = ? AND status = 'cancelled' AND ended_at >= ?`,
		userID, since.UnixMilli()).Scan(&n)
	return n, err
}

// OpenRequestsOfUser returns the user's pending and approved requests.
func OpenRequestsOfUser(ctx context.Context, q Querier, userID string) ([]Request, error) {
	return queryRequests(ctx, q, requestSelect+` WHERE r.user_id = ? AND r.status IN ('pending', 'approved') ORDER BY r.requested_at`, userID)
}

// OpenRequestsOfNetwork returns a network's pending and approved requests.
func OpenRequestsOfNetwork(ctx context.Context, q Querier, networkID string) ([]Request, error) {
	return queryRequests(ctx, q, requestSelect+` WHERE r.network_id = ? AND r.status IN ('pending', 'approved') ORDER BY r.requested_at`, networkID)
}

// DueGrants returns approved requests whose expires_at is at or before now,
// oldest first, at most limit.
func DueGrants(ctx context.Context, q Querier, now time.Time, limit int) ([]Request, error) {
	return queryRequests(ctx, q, requestSelect+` WHERE r.status = 'approved' AND r.expires_at <= ? ORDER BY r.expires_at LIMIT ?`, now.UnixMilli(), limit)
}

// DuePending returns pending requests made at or before cutoff, at most limit.
func DuePending(ctx context.Context, q Querier, cutoff time.Time, limit int) ([]Request, error) {
	return queryRequests(ctx, q, requestSelect+` WHERE r.status = 'pending' AND r.requested_at <= ? ORDER BY r.requested_at LIMIT ?`, cutoff.UnixMilli(), limit)
}

// NextGrantExpiry returns the earliest expires_at of an approved request, or
// the zero time when there is none.
func NextGrantExpiry(ctx context.Context, q Querier) (time.Time, error) {
	var v sql.NullInt64
	err := q.QueryRowContext(ctx, `SELECT MIN(expires_at) FROM requests WHERE status = 'approved'`).Scan(&v)
	return fromMS(v), err
}

// OldestPending returns the earliest requested_at of a pending request, or
// the zero time when there is none.
func OldestPending(ctx context.Context, q Querier) (time.Time, error) {
	var v sql.NullInt64
	err := q.QueryRowContext(ctx, `SELECT MIN(requested_at) FROM requests WHERE status = 'pending'`).Scan(&v)
	return fromMS(v), err
}

// RequestFilter selects requests for the admin list.
type RequestFilter struct {
	Statuses  []api.RequestStatus // any of these; empty: all
	NetworkID string
	UserID    string
	Query     string // substring of the user's email or name, or the reason
	Limit     int
	Cursor    string // from a previous page
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

func queryRequests(ctx context.Context, q Querier, query string, args ...any) ([]Request, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Request
	for rows.Next() {
		r, err := scanRequest(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}
