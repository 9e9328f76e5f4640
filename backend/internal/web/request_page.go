package web

import (
	"errors"
	"fmt"
	"hash/fnv"
	"net/http"
	"net/url"
	"time"

	"gatepass.dev/backend/internal/access"
	"gatepass.dev/backend/internal/store"
	"gatepass.dev/shared/api"
)

type requestView struct {
	R        store.Request
	Network  store.Network
	Own      bool
	Choice   durationChoice
	History  []auditRow
	Self     string
	LiveURL  string
	Version  string
	Peers    []api.PeerStatus // the requester's devices on the gateway, while approved
	NetworkL string           // link to the network's requests
	// Again is the Grant again picker of a closed request: what was
	// granted before (within the network's maximum), else its default.
	Again durationChoice
	// ApproveLabel names the approval this one would be ("Approve (2 of
	// 2)") where Several are needed; YouApproved: the visitor gave one.
	ApproveLabel string
	Several      bool
	YouApproved  bool
	// Grant is the grant an extension extends, and GrantEnd where it would
	// end with the extension (within the network's maximum).
	Grant    *store.Request
	GrantEnd time.Time
	// Patterns are how often the user asked for this network lately, with
	// the hints the API gives (access.Service.Patterns).
	Patterns patternsView
}

// patternsView is a request's patterns as its page shows them.
type patternsView struct {
	api.Patterns
	Days    int             // the window, in days
	Granted []time.Duration // the grants' durations, oldest first
	Median  time.Duration
	Longest time.Duration
}

// requestPage is one request: the review link of the admin email. It shows
// everything needed to decide and the Grant Access and Deny forms; opening
// it changes nothing. With ?partial=1 it is only the live region.
func (s *Server) requestPage(w http.ResponseWriter, r *http.Request, v *visit) {
	id := r.PathValue("id")
	req, err := s.visibleRequest(r.Context(), v, id)
	if errors.Is(err, store.ErrNotFound) {
		s.renderError(w, r, v, http.StatusNotFound, "Not found", "There is no such request. It may have been deleted with its network.")
		return
	} else if err != nil {
		s.serverError(w, r, v, err)
		return
	}
	n, err := store.NetworkByID(r.Context(), s.DB, req.NetworkID)
	if err != nil {
		s.serverError(w, r, v, err)
		return
	}
	entries, err := store.ListAudit(r.Context(), s.DB, store.AuditFilter{TargetID: req.ID, Limit: 50})
	if err != nil {
		s.serverError(w, r, v, err)
		return
	}
	view := requestView{R: req, Network: n, Own: req.UserID == v.Actor.ID, Choice: choiceFor(n.DefaultDuration, n.MaxDuration, req.Wished),
		Self: "/admin/requests/" + url.PathEscape(req.ID), NetworkL: "/admin/networks/" + url.PathEscape(n.ID) + "/requests"}
	if !v.isAdmin() {
		view.NetworkL = "/admin/requests?network=" + url.QueryEscape(n.ID)
	}
	view.LiveURL = view.Self + "?partial=1"
	view.ApproveLabel, view.Several, view.YouApproved = approveLabel(req), req.RequiredApprovals > 1, req.ApprovedBy(v.Actor.ID)
	if req.KindOrAccess() == api.KindExtension {
		g, err := store.RequestByID(r.Context(), s.DB, req.GrantID)
		if err != nil {
			s.serverError(w, r, v, err)
			return
		}
		view.Grant = &g
		// What the grant may still grow by: the extension's picker offers
		// no more, and its end is shown.
		room := n.MaxDuration - g.ExpiresAt.Sub(g.Start())
		add := req.Granted
		if add == 0 {
			add = min(req.Wished, max(room, 0))
		}
		if g.Status == api.StatusApproved && add > 0 {
			view.GrantEnd = g.ExpiresAt.Add(add)
		}
		if room > 0 {
			view.Choice = choiceFor(min(req.Wished, room), room, req.Wished)
		}
	}
	if !req.Status.Open() {
		def := req.Granted
		if def <= 0 || (n.MaxDuration > 0 && def > n.MaxDuration) {
			def = n.DefaultDuration
		}
		view.Again = choiceFor(def, n.MaxDuration, 0)
		view.Again.IDPrefix = "again-"
	}
	pat, err := s.Access.Patterns(r.Context(), req)
	if err != nil {
		s.serverError(w, r, v, err)
		return
	}
	view.Patterns = patternsView{Patterns: pat, Days: int(access.PatternWindow.Hours() / 24),
		Median: time.Duration(pat.MedianGrantedSeconds) * time.Second, Longest: time.Duration(pat.MaxGrantedSeconds) * time.Second}
	for _, secs := range pat.GrantedSeconds {
		view.Patterns.Granted = append(view.Patterns.Granted, time.Duration(secs)*time.Second)
	}
	for i := len(entries) - 1; i >= 0; i-- { // oldest first
		view.History = append(view.History, newAuditRow(entries[i]))
	}
	if req.Status == api.StatusApproved && s.Gateway != nil {
		for _, p := range s.Gateway.Peers(n.ID) {
			if p.UserID == req.UserID {
				view.Peers = append(view.Peers, p)
			}
		}
	}
	h := fnv.New64a()
	fmt.Fprint(h, req.Status, req.ExpiresAt.UnixMilli(), req.DecidedBy, req.EndedBy, req.Note, len(entries), n.MaxDuration, n.DefaultDuration, n.JITEnabled,
		len(req.Approvals), req.ReviewRequired, view.GrantEnd.UnixMilli(), pat.Requests, pat.Extensions, pat.Approved, pat.Denied, len(pat.Hints))
	view.Version = fmt.Sprintf("%x", h.Sum64())
	if r.URL.Query().Get("partial") == "1" {
		s.renderPart(w, r, v, "request", "request-live", view)
		return
	}
	s.render(w, r, v, http.StatusOK, "request", "Request of "+req.UserEmail, view)
}
