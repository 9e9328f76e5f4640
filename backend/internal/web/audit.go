package web

import (
	"net/http"
	"net/url"
	"strconv"

	"gatepass.dev/backend/internal/admin"
	"gatepass.dev/backend/internal/store"
)

// auditRow is one audit entry as shown.
type auditRow struct {
	store.AuditEntry
	Text        string // the entry in words (admin.AuditText)
	Details     string // the raw details, "k=v; k=v"
	NetworkName string
	// BreakGlass flags every row of a break-glass access (a request's
	// rows with break_glass=true); Service a row of a service user (as
	// the actor, the request's user or the account changed).
	BreakGlass bool
	Service    bool
}

// newAuditRow is an entry as the audit log and a request's history show
// it: in words, with the raw fields a click away.
func newAuditRow(e store.AuditEntry) auditRow {
	return auditRow{AuditEntry: e, Text: admin.AuditText(e), Details: admin.DetailsText(e.Details),
		BreakGlass: e.TargetType == "request" && e.Details["break_glass"] == "true", Service: e.Details["service_user"] == "true"}
}

// auditActions are the action filters offered (a trailing "." is a prefix).
var auditActions = []struct{ Value, Label string }{
	{"request.", "Requests: all"}, {"request.create", "Request made"}, {"request.approve", "Request approved"},
	{"request.deny", "Request denied"}, {"request.revoke", "Access revoked"}, {"request.expire", "Access expired"},
	{"request.extend", "Grant extended"}, {"request.acknowledge", "Break-glass reviewed"}, {"group.", "Groups"}, {"rule.", "Rules"},
	{"network.", "Networks"}, {"user.", "Users"}, {"settings.", "Settings"}, {"outbox.", "Email outbox"},
	{"login", "Sign-ins"}, {"login.failure", "Failed sign-ins"}, {"login.blocked", "Blocked sign-ins"}, {"logout", "Sign-outs"},
}

type auditView struct {
	Rows      []auditRow
	Q         url.Values
	Actions   []struct{ Value, Label string }
	Networks  []store.Network
	NextURL   string
	FirstURL  string
	ExportURL string
	Error     string
}

// auditPage is the audit log with filters (the API's: action, network,
// since, until, q), newest first, 100 a page; ?format=csv downloads the
// same filter's rows (up to 10,000) as CSV.
func (s *Server) auditPage(w http.ResponseWriter, r *http.Request, v *visit) {
	q := r.URL.Query()
	clean := url.Values{}
	for _, k := range []string{"action", "network", "since", "until", "q", "actor", "target"} {
		if x := q.Get(k); x != "" {
			clean.Set(k, x)
		}
	}
	view := auditView{Q: clean, Actions: auditActions}
	f, err := admin.AuditFilter(clean)
	if err != nil {
		view.Error = err.Error()
		f, _ = admin.AuditFilter(url.Values{})
	}
	if q.Get("format") == "csv" {
		f.Limit = admin.MaxAuditRows
		entries, err := store.ListAudit(r.Context(), s.DB, f)
		if err != nil {
			s.serverError(w, r, v, err)
			return
		}
		admin.WriteAuditCSV(w, entries, s.now())
		return
	}
	if b, err := strconv.ParseInt(q.Get("before"), 10, 64); err == nil && b > 0 {
		f.BeforeID = b
		view.FirstURL = "/admin/audit?" + clean.Encode()
	}
	entries, err := store.ListAudit(r.Context(), s.DB, f)
	if err != nil {
		s.serverError(w, r, v, err)
		return
	}
	if view.Networks, err = store.ListNetworkSummaries(r.Context(), s.DB); err != nil {
		s.serverError(w, r, v, err)
		return
	}
	names := map[string]string{}
	for _, n := range view.Networks {
		names[n.ID] = n.Name
	}
	users, err := store.ListUsers(r.Context(), s.DB)
	if err != nil {
		s.serverError(w, r, v, err)
		return
	}
	service := map[string]bool{}
	for _, u := range users {
		service[u.ID] = u.Service
	}
	for _, e := range entries {
		row := newAuditRow(e)
		row.Service = row.Service || service[e.ActorID] || (e.TargetType == "user" && service[e.TargetID])
		row.NetworkName = names[e.NetworkID]
		if row.NetworkName == "" {
			row.NetworkName = e.Details["network"]
		}
		view.Rows = append(view.Rows, row)
	}
	if len(entries) == f.Limit {
		next := url.Values{}
		for k, vs := range clean {
			next[k] = vs
		}
		next.Set("before", strconv.FormatInt(entries[len(entries)-1].ID, 10))
		view.NextURL = "/admin/audit?" + next.Encode()
	}
	exp := url.Values{}
	for k, vs := range clean {
		exp[k] = vs
	}
	exp.Set("format", "csv")
	view.ExportURL = "/admin/audit?" + exp.Encode()
	s.render(w, r, v, http.StatusOK, "audit", "Audit log", view)
}
