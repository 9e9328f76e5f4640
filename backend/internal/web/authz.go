package web

import (
	"context"
	"slices"

	"gatepass.dev/backend/internal/fault"
	"gatepass.dev/backend/internal/store"
)

// Who may do what on the admin page. Every route says whom it is for where
// Routes registers it, and the wrapper checks it before the handler runs:
//
//   - page, action: admins only;
//   - queuePage, queueAction: admins, and the approvers of at least one
//     network (named, or through a group) who are not admins. Such an
//     approver gets a page with just their queue: the request list is
//     narrowed to their networks, another network's request is "not
//     found" (its page and every action on it), and revoking, bulk
//     decisions and granting again stay with the admins;
//   - userAction: anyone signed in (signing out).
//
// Everyone else signed in gets the 403 page. The lifecycle checks again who
// may decide (access.Apply), so a page left open cannot decide what its
// visitor may no longer.
type audience int

const (
	forAdmins    audience = iota
	forReviewers          // admins and approvers
	forAnyone             // anyone signed in
)

// allows reports whether the visitor may use a route of audience a.
func (v *visit) allows(a audience) bool {
	switch a {
	case forAnyone:
		return true
	case forReviewers:
		return v.isReviewer()
	}
	return v.isAdmin()
}

// isReviewer reports whether the visitor decides requests: an admin, or
// an approver of a network.
func (v *visit) isReviewer() bool { return v.isAdmin() || len(v.approves) > 0 }

// mayReview reports whether the visitor may see and decide the requests of
// a network.
func (v *visit) mayReview(networkID string) bool {
	return v.isAdmin() || slices.Contains(v.approves, networkID)
}

// scope narrows a request filter to what the visitor may see.
func (v *visit) scope(f *store.RequestFilter) {
	if !v.isAdmin() {
		f.Scoped, f.NetworkIDs = true, v.approves
	}
}

// loadApprovals reads which networks a non-admin visitor approves.
func (s *Server) loadApprovals(ctx context.Context, v *visit) error {
	if v.isAdmin() {
		return nil
	}
	ids, err := store.ApprovedNetworkIDs(ctx, s.DB, v.Actor.ID)
	v.approves = ids
	return err
}

// visibleRequest loads a request the visitor may see: another network's
// request is not found for an approver, as for the API.
func (s *Server) visibleRequest(ctx context.Context, v *visit, id string) (store.Request, error) {
	req, err := store.RequestByID(ctx, s.DB, id)
	if err != nil {
		return req, err
	}
	if !v.mayReview(req.NetworkID) {
		return store.Request{}, fault.Detail(store.ErrNotFound, "no request %q", id)
	}
	return req, nil
}
