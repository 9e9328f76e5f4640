package web

import (
	"context"
	"fmt"
	"net/http"

	"gatepass.dev/backend/internal/access"
	"gatepass.dev/backend/internal/store"
)

// Break-glass on the page: while a break-glass access awaits review, every
// page of its deciders (the admins, the network's approvers) shows a
// banner — "Break-glass access to production-db by casey@… at … —
// review" — that links the request's page, whose review card
// acknowledges it (access.EventAcknowledge: audited, the banner goes).

// breakGlassBannerMax is how many accesses the banner names; it counts the
// rest.
const breakGlassBannerMax = 3

// breakGlassBanner lists the break-glass accesses the visitor may review.
type breakGlassBanner struct {
	Items []store.Request
	More  int
}

// breakGlassBanner returns the banner, or nil when nothing awaits review
// or it cannot be read (the page matters more than the banner).
func (s *Server) breakGlassBanner(ctx context.Context, v *visit) *breakGlassBanner {
	f := store.RequestFilter{ReviewRequired: true, Limit: breakGlassBannerMax}
	v.scope(&f)
	list, _, err := store.ListRequests(ctx, s.DB, f)
	if err != nil || len(list) == 0 {
		return nil
	}
	b := &breakGlassBanner{Items: list}
	if len(list) == breakGlassBannerMax {
		counts, err := store.CountRequests(ctx, s.DB, f)
		if err == nil {
			total := 0
			for _, n := range counts {
				total += n
			}
			b.More = max(0, total-len(list))
		}
	}
	return b
}

// acknowledge records that an approver reviewed a break-glass access (an
// optional note): audited as request.acknowledge, and it leaves the banner.
func (s *Server) acknowledge(w http.ResponseWriter, r *http.Request, v *visit) {
	const what = "The break-glass access was not acknowledged"
	note, err := access.ValidateNote(r.PostFormValue("note"))
	if err == nil {
		_, err = s.visibleRequest(r.Context(), v, r.PathValue("id"))
	}
	if err != nil {
		s.actionFailed(w, r, v, what, err)
		return
	}
	req, err := s.Access.Do(r.Context(), r.PathValue("id"), access.Event{Kind: access.EventAcknowledge, Actor: v.Actor, Note: note})
	if err != nil {
		s.actionFailed(w, r, v, what, err)
		return
	}
	s.setFlash(r.Context(), v, "ok", fmt.Sprintf("Acknowledged the break-glass access of %s to %s: your review is in the audit log.", req.UserEmail, req.NetworkName))
	redirect(w, r, localNext(r.PostFormValue("next")))
}
