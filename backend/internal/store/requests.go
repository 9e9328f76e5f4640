package store

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"slices"
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

	Kind api.RequestKind // "" is KindAccess
	// StartsAt is when a scheduled grant starts; zero: at approval.
	StartsAt time.Time
	// RequiredApprovals is how many approvals the decision needed (for a
	// pending request: what the network requires now).
	RequiredApprovals int
	// Approvals are the approvals given, oldest first. Saving a request
	// inserts those beyond the ones it was loaded with.
	Approvals []Approval
	// Rule names the rule (or "break-glass") that approved the request.
	Rule string
	// GrantID is the grant an extension extends. An approved extension
	// has no expires_at: its time went to its grant.
	GrantID        string
	ReviewRequired bool
	ReviewedAt     time.Time
	ReviewedBy     string
	// Rev counts the saves: the compare-and-set checks it with the status.
	Rev int64

	// Joined for display; not saved.
	NetworkName   string
	UserEmail     string
	UserName      string
	DeciderEmail  string
	EnderEmail    string
	ReviewerEmail string
	UserService   bool
}

// Approval is one approver's approval.
type Approval struct {
	UserID   string
	Email    string // joined for display
	At       time.Time
	Duration time.Duration
}

// KindOrAccess is the request's kind, KindAccess when unset.
func (r Request) KindOrAccess() api.RequestKind {
	if r.Kind == "" {
		return api.KindAccess
	}
	return r.Kind
}

// Start is when the grant's time runs from: its starts_at, or its
// decision.
func (r Request) Start() time.Time {
	if !r.StartsAt.IsZero() {
		return r.StartsAt
	}
	return r.DecidedAt
}

// ApprovedBy reports whether userID approved r already.
func (r Request) ApprovedBy(userID string) bool {
	for _, a := range r.Approvals {
		if a.UserID == userID {
			return true
		}
	}
	return false
}

// API returns the wire form.
func (r Request) API() api.Request {
	out := api.Request{
		ID: r.ID, NetworkID: r.NetworkID, NetworkName: r.NetworkName, UserID: r.UserID,
		UserEmail: r.UserEmail, UserName: r.UserName, Status: r.Status, Reason: r.Reason,
		DurationSeconds: int64(r.Wished / time.Second), GrantedSeconds: int64(r.Granted / time.Second),
		RequestedAt: r.RequestedAt, DecidedBy: r.DeciderEmail, Note: r.Note, EndedBy: r.EnderEmail,
		AgainOf: r.AgainOf,
		Kind:    r.KindOrAccess(), RequiredApprovals: max(1, r.RequiredApprovals), Rule: r.Rule, GrantID: r.GrantID,
		ReviewRequired: r.ReviewRequired, ReviewedBy: r.ReviewerEmail, UserService: r.UserService,
		Approvals: make([]api.Approval, 0, len(r.Approvals)),
	}
	for _, a := range r.Approvals {
		out.Approvals = append(out.Approvals, api.Approval{UserID: a.UserID, By: a.Email, At: a.At, DurationSeconds: int64(a.Duration / time.Second)})
	}
	out.DecidedAt = timePtr(r.DecidedAt)
	out.ExpiresAt = timePtr(r.ExpiresAt)
	out.EndedAt = timePtr(r.EndedAt)
	out.StartsAt = timePtr(r.StartsAt)
	out.ReviewedAt = timePtr(r.ReviewedAt)
	return out
}

// openSQL is true when request r is open: pending, or an approved grant
// (an approved extension is folded into its grant). At most one open
// request per user and network is not an extension (requests_one_open).
const openSQL = `(r.status = 'pending' OR (r.status = 'approved' AND r.kind <> 'extension'))`

func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

const requestSelect = `SELECT r.id, r.network_id, r.user_id, r.status, r.reason, r.wished_seconds, r.granted_seconds,
	r.requested_at, r.decided_at, COALESCE(r.decided_by, ''), r.note, r.expires_at, r.ended_at, COALESCE(r.ended_by, ''),
	n.name, u.email, u.name, COALESCE(d.email, ''), COALESCE(e.email, ''), r.again_of,
	r.kind, r.starts_at, CASE WHEN r.status = 'pending' THEN n.required_approvals ELSE r.required_approvals END, r.rule,
	COALESCE(r.grant_id, ''), r.review_required, r.reviewed_at, COALESCE(r.reviewed_by, ''), r.rev, u.service, COALESCE(v.email, '')
	FROM requests r
	JOIN networks n ON n.id = r.network_id
	JOIN users u ON u.id = r.user_id
	LEFT JOIN users d ON d.id = r.decided_by
	LEFT JOIN users e ON e.id = r.ended_by
	LEFT JOIN users v ON v.id = r.reviewed_by`

func scanRequest(row interface{ Scan(...any) error }) (Request, error) {
	var r Request
	var wished, granted int64
	var requested, decided, expires, ended, starts, reviewed sql.NullInt64
	var review, service int
	err := row.Scan(&r.ID, &r.NetworkID, &r.UserID, &r.Status, &r.Reason, &wished, &granted,
		&requested, &decided, &r.DecidedBy, &r.Note, &expires, &ended, &r.EndedBy,
		&r.NetworkName, &r.UserEmail, &r.UserName, &r.DeciderEmail, &r.EnderEmail, &r.AgainOf,
		&r.Kind, &starts, &r.RequiredApprovals, &r.Rule, &r.GrantID, &review, &reviewed, &r.ReviewedBy, &r.Rev, &service, &r.ReviewerEmail)
	if errors.Is(err, sql.ErrNoRows) {
		return r, ErrNotFound
	}
	if err != nil {
		return r, err
	}
	r.Wished, r.Granted = time.Duration(wished)*time.Second, time.Duration(granted)*time.Second
	r.RequestedAt, r.DecidedAt, r.ExpiresAt, r.EndedAt = fromMS(requested), fromMS(decided), fromMS(expires), fromMS(ended)
	r.StartsAt, r.ReviewedAt = fromMS(starts), fromMS(reviewed)
	r.ReviewRequired, r.UserService = review != 0, service != 0
	return r, nil
}

// addApprovals loads the approvals of reqs, oldest first, in one query
// (rather than aggregating them into a column of requestSelect: SQLite's
// and PostgreSQL's JSON aggregates differ). A request's approvals are
// written by SaveRequestCAS only, which moves its rev on: one at rev 0 has
// none, and is not looked up — so that an approval's SERIALIZABLE
// transaction on PostgreSQL does not read the request_approvals index
// pages that the approvals running beside it write.
func addApprovals(ctx context.Context, q Querier, reqs []*Request) error {
	if len(reqs) == 0 {
		return nil
	}
	byID := make(map[string]*Request, len(reqs))
	args := make([]any, 0, len(reqs))
	for _, r := range reqs {
		if r.Rev == 0 {
			r.Approvals = nil
			continue
		}
		if _, ok := byID[r.ID]; !ok {
			byID[r.ID] = r
			args = append(args, r.ID)
		}
		r.Approvals = nil
	}
	if len(args) == 0 {
		return nil
	}
	rows, err := q.QueryContext(ctx, `SELECT a.request_id, a.user_id, COALESCE(au.email, ''), a.at, a.duration_seconds
		FROM request_approvals a LEFT JOIN users au ON au.id = a.user_id
		WHERE a.request_id IN (?`+strings.Repeat(", ?", len(args)-1)+`)`, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		var a Approval
		var at, d int64
		if err := rows.Scan(&id, &a.UserID, &a.Email, &at, &d); err != nil {
			return err
		}
		a.At, a.Duration = time.UnixMilli(at).UTC(), time.Duration(d)*time.Second
		byID[id].Approvals = append(byID[id].Approvals, a)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	for _, r := range byID {
		slices.SortFunc(r.Approvals, func(a, b Approval) int { return cmp.Or(a.At.Compare(b.At), cmp.Compare(a.UserID, b.UserID)) })
	}
	return nil
}

// oneRequest is the one request a query selects (requestSelect), with its
// approvals, or ErrNotFound.
func oneRequest(ctx context.Context, q Querier, query string, args ...any) (Request, error) {
	r, err := scanRequest(q.QueryRowContext(ctx, query, args...))
	if err != nil {
		return r, err
	}
	err = addApprovals(ctx, q, []*Request{&r})
	return r, err
}

// InsertRequest stores a new request. A second open request of the same
// user on the same network (or a second pending extension) is
// ErrConflict.
func InsertRequest(ctx context.Context, q Querier, r Request) error {
	_, err := q.ExecContext(ctx, `INSERT INTO requests (id, network_id, user_id, status, reason, wished_seconds, requested_at,
		kind, starts_at, required_approvals, grant_id, again_of) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		r.ID, r.NetworkID, r.UserID, r.Status, r.Reason, int64(r.Wished/time.Second), ms(r.RequestedAt),
		r.KindOrAccess(), ms(r.StartsAt), max(1, r.RequiredApprovals), nullStr(r.GrantID), r.AgainOf)
	if isUnique(err) {
		if r.Kind == api.KindExtension {
			return fault.Detail(ErrConflict, "this grant has a pending extension request already")
		}
		return fault.Detail(ErrConflict, "you already have an open request or an active grant on this network")
	}
	return err
}

// UpdateRequestCAS saves r only if the stored status is still from (the
// revision is not compared: see SaveRequestCAS). It returns ErrConflict
// when the status had changed.
func UpdateRequestCAS(ctx context.Context, q Querier, r Request, from api.RequestStatus) error {
	res, err := q.ExecContext(ctx, sqlRequestSet+` WHERE id = ? AND status = ?`, append(setArgs(r), r.ID, from)...)
	return casResult(res, err, from)
}

// SaveRequestCAS saves r only if the stored request is still prev (its
// revision, and so its status: every write of a request moves rev on): the
// compare-and-set that lets exactly one of two racing decisions win, also
// when neither changes the status (two approvals of a request that needs
// three). It inserts r's approvals beyond prev's. It returns ErrConflict
// when the request had changed.
//
// Its WHERE names the primary key and rev only, never the status: with
// "status = ?" PostgreSQL's planner may pick a (status, …) index — on a
// young table without statistics it does — and read every pending
// request, a predicate lock on all of them in the SERIALIZABLE
// transaction, so that any two approvals on two replicas conflict.
func SaveRequestCAS(ctx context.Context, q Querier, r, prev Request) error {
	res, err := q.ExecContext(ctx, sqlRequestSet+` WHERE id = ? AND rev = ?`, append(setArgs(r), r.ID, prev.Rev)...)
	if err := casResult(res, err, prev.Status); err != nil {
		return err
	}
	for _, a := range r.Approvals[min(len(prev.Approvals), len(r.Approvals)):] {
		_, err := q.ExecContext(ctx, `INSERT INTO request_approvals (request_id, user_id, at, duration_seconds) VALUES (?, ?, ?, ?)`,
			r.ID, a.UserID, ms(a.At), int64(a.Duration/time.Second))
		if isUnique(err) {
			return fault.Detail(ErrConflict, "you approved this request already")
		}
		if err != nil {
			return err
		}
	}
	return nil
}

const sqlRequestSet = `UPDATE requests SET status = ?, granted_seconds = ?, decided_at = ?, decided_by = ?, note = ?, expires_at = ?, ended_at = ?, ended_by = ?,
	required_approvals = ?, rule = ?, review_required = ?, reviewed_at = ?, reviewed_by = ?, rev = rev + 1`

func setArgs(r Request) []any {
	return []any{r.Status, int64(r.Granted / time.Second), ms(r.DecidedAt), nullStr(r.DecidedBy), r.Note, ms(r.ExpiresAt), ms(r.EndedAt), nullStr(r.EndedBy),
		max(1, r.RequiredApprovals), r.Rule, boolInt(r.ReviewRequired), ms(r.ReviewedAt), nullStr(r.ReviewedBy)}
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
	return oneRequest(ctx, q, requestSelect+` WHERE r.id = ?`, id)
}

// LatestRequests returns the newest request of the user on each network
// that is not an extension (see LatestExtensions).
func LatestRequests(ctx context.Context, q Querier, userID string) (map[string]Request, error) {
	rows, err := q.QueryContext(ctx, requestSelect+` WHERE r.user_id = ? AND r.kind <> 'extension' AND r.requested_at = (
		SELECT MAX(r2.requested_at) FROM requests r2 WHERE r2.user_id = r.user_id AND r2.network_id = r.network_id AND r2.kind <> 'extension')
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
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows.Close() // before the next query: one connection in a transaction
	reqs := make([]Request, 0, len(out))
	for _, r := range out {
		reqs = append(reqs, r)
	}
	if err := addApprovals(ctx, q, pointers(reqs)); err != nil {
		return nil, err
	}
	for _, r := range reqs {
		out[r.NetworkID] = r
	}
	return out, nil
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

// OpenRequestsOfUser returns the user's pending requests and grants.
func OpenRequestsOfUser(ctx context.Context, q Querier, userID string) ([]Request, error) {
	return queryRequests(ctx, q, requestSelect+` WHERE r.user_id = ? AND `+openSQL+` ORDER BY r.requested_at`, userID)
}

// OpenRequestsOfNetwork returns a network's pending requests and grants.
func OpenRequestsOfNetwork(ctx context.Context, q Querier, networkID string) ([]Request, error) {
	return queryRequests(ctx, q, requestSelect+` WHERE r.network_id = ? AND `+openSQL+` ORDER BY r.requested_at`, networkID)
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
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows.Close() // before the next query: one connection in a transaction
	return out, addApprovals(ctx, q, pointers(out))
}

// pointers points at each of reqs.
func pointers(reqs []Request) []*Request {
	out := make([]*Request, len(reqs))
	for i := range reqs {
		out[i] = &reqs[i]
	}
	return out
}
