package web

import (
	"errors"
	"fmt"
	"hash/fnv"
	"net/http"
	"net/url"

	"gatepass.dev/backend/internal/admin"
	"gatepass.dev/backend/internal/fault"
	"gatepass.dev/backend/internal/store"
	"gatepass.dev/shared/api"
)

// PageSize is the number of requests on one page of the list.
const PageSize = 50

// tabs of the requests page, in order: the key is the status filter.
var tabs = []struct{ Key, Label string }{
	{"pending", "Pending"}, {"approved", "Approved"}, {"denied", "Denied"}, {admin.StatusEnded, "Expired / Revoked"},
}

type tabView struct {
	Key, Label string
	Count      int
	URL        string
	Active     bool
}

// requestRow is one line of the list.
type requestRow struct {
	store.Request
	DefaultSeconds int64
	MaxSeconds     int64
	Own            bool // the admin's own request: not theirs to decide
	// ApproveLabel is the Grant button's label ("Approve (1 of 2)");
	// YouApproved says the visitor gave one of its approvals already.
	ApproveLabel string
	YouApproved  bool
}

type requestsView struct {
	Network   *store.Network // the network of a per-network page
	Networks  []store.Network
	Tab       string
	Tabs      []tabView
	Query     string
	NetFilter string
	User      *store.User // the user filter (?user=), if any
	ClearUser string      // this page without the user filter
	// Review: only break-glass accesses awaiting review (?review=required,
	// the banner's link); ClearReview is this page without the filter.
	Review      bool
	ClearReview string
	Rows        []requestRow
	NextURL     string
	FirstURL    string
	Self        string // this page, to come back to after an action
	LiveURL     string // the fragment that live updates fetch
	Version     string // changes when anything shown changes
	Presets     []preset
	Oldest      bool // oldest first (the pending queue)
}

// requestsPage is JIT Requests, across networks (/admin/requests) or for
// one (/admin/networks/{id}/requests): ?status=pending|approved|denied|ended
// &q=&network=&cursor=. With &partial=1 it is only the live region (tabs,
// table, pager).
func (s *Server) requestsPage(w http.ResponseWriter, r *http.Request, v *visit) {
	q := r.URL.Query()
	base := "/admin/requests"
	view := requestsView{Tab: q.Get("status"), Presets: presets}
	if id := r.PathValue("id"); id != "" {
		n, err := store.NetworkByID(r.Context(), s.DB, id)
		if errors.Is(err, store.ErrNotFound) {
			s.renderError(w, r, v, http.StatusNotFound, "Not found", "There is no such network.")
			return
		} else if err != nil {
			s.serverError(w, r, v, err)
			return
		}
		view.Network = &n
		base = "/admin/networks/" + url.PathEscape(n.ID) + "/requests"
		q.Set("network", n.ID)
	}
	if !validTab(view.Tab) {
		view.Tab = "pending"
	}
	q.Set("status", view.Tab)
	q.Del("limit")
	f, err := admin.RequestFilter(q)
	if fault.Is(err, fault.Invalid) && fault.From(err).Field == "q" {
		text, _, _ := problem(err)
		q.Del("q")
		f, err = admin.RequestFilter(q)
		s.setFlash(r.Context(), v, "error", "Search: "+text)
	}
	if err != nil {
		s.renderError(w, r, v, http.StatusBadRequest, "Bad request", err.Error())
		return
	}
	v.scope(&f)
	f.Limit = PageSize
	// Pending is a queue: the request waiting longest on top. The other
	// tabs are history: the latest first.
	f.Oldest = view.Tab == "pending"
	view.Oldest = f.Oldest
	list, next, err := store.ListRequests(r.Context(), s.DB, f)
	if errors.Is(err, store.ErrInvalid) { // a bad cursor: the first page
		f.Cursor = ""
		list, next, err = store.ListRequests(r.Context(), s.DB, f)
	}
	if err != nil {
		s.serverError(w, r, v, err)
		return
	}
	counts, err := store.CountRequests(r.Context(), s.DB, f)
	if err != nil {
		s.serverError(w, r, v, err)
		return
	}
	if view.Networks, err = store.ListNetworkSummaries(r.Context(), s.DB); err != nil {
		s.serverError(w, r, v, err)
		return
	}
	mine := view.Networks[:0:0]
	for _, n := range view.Networks {
		if v.mayReview(n.ID) {
			mine = append(mine, n)
		}
	}
	view.Networks = mine
	view.Query, view.NetFilter = f.Query, f.NetworkID
	if view.Network != nil {
		view.NetFilter = ""
	}
	if f.UserID != "" {
		if u, err := store.UserByID(r.Context(), s.DB, f.UserID); err == nil {
			view.User = &u
		}
	}
	link := func(tab, cursor string) string {
		p := url.Values{}
		p.Set("status", tab)
		if view.Query != "" {
			p.Set("q", view.Query)
		}
		if view.NetFilter != "" {
			p.Set("network", view.NetFilter)
		}
		if f.UserID != "" {
			p.Set("user", f.UserID)
		}
		if f.ReviewRequired {
			p.Set("review", "required")
		}
		if cursor != "" {
			p.Set("cursor", cursor)
		}
		return base + "?" + p.Encode()
	}
	for _, t := range tabs {
		n := counts[api.RequestStatus(t.Key)]
		if t.Key == admin.StatusEnded {
			n = 0
			for _, st := range admin.EndedStatuses {
				n += counts[st]
			}
		}
		view.Tabs = append(view.Tabs, tabView{Key: t.Key, Label: t.Label, Count: n, URL: link(t.Key, ""), Active: t.Key == view.Tab})
	}
	limits := map[string]store.Network{}
	for _, n := range view.Networks {
		limits[n.ID] = n
	}
	h := fnv.New64a()
	fmt.Fprint(h, view.Tab, counts)
	for _, req := range list {
		n := limits[req.NetworkID]
		view.Rows = append(view.Rows, requestRow{Request: req, DefaultSeconds: int64(n.DefaultDuration.Seconds()),
			MaxSeconds: int64(n.MaxDuration.Seconds()), Own: req.UserID == v.Actor.ID,
			ApproveLabel: approveLabel(req), YouApproved: req.ApprovedBy(v.Actor.ID)})
		fmt.Fprint(h, req.ID, req.Status, req.ExpiresAt.UnixMilli(), req.DecidedBy, req.EndedBy, req.Note, n.MaxDuration, len(req.Approvals), req.ReviewRequired)
	}
	view.Version = fmt.Sprintf("%x", h.Sum64())
	if next != "" {
		view.NextURL = link(view.Tab, next)
	}
	if f.Cursor != "" {
		view.FirstURL = link(view.Tab, "")
	}
	view.Self = link(view.Tab, f.Cursor)
	if f.UserID != "" {
		uid := f.UserID
		f.UserID = ""
		view.ClearUser = link(view.Tab, "")
		f.UserID = uid
	}
	if f.ReviewRequired {
		view.Review = true
		f.ReviewRequired = false
		view.ClearReview = link(view.Tab, "")
		f.ReviewRequired = true
	}
	view.LiveURL = view.Self + "&partial=1"
	if q.Get("partial") == "1" {
		s.renderPart(w, r, v, "requests", "requests-live", view)
		return
	}
	title := "JIT Requests"
	if view.Network != nil {
		title = view.Network.Name + " · JIT Requests"
	}
	s.render(w, r, v, http.StatusOK, "requests", title, view)
}

func validTab(t string) bool {
	for _, x := range tabs {
		if x.Key == t {
			return true
		}
	}
	return false
}
