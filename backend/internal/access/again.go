package access

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"gatepass.dev/backend/internal/actor"
	"gatepass.dev/backend/internal/fault"
	"gatepass.dev/backend/internal/store"
	"gatepass.dev/shared/api"
)

// GrantAgain gives the user of a closed request (denied, expired, revoked,
// cancelled) a new grant on its network for d (0: the network's default),
// without their asking again: a new request with the same reason, marked as
// granted again from the old one (AgainOf), created and approved by the
// admin in one transaction with both audit rows (request.create with
// again_of, request.approve) and the user's approval email. It is refused
// as any approval is: never the admin's own request, only for a requester
// who can pass the gateway once granted (a member, enabled: MayPass), at
// most the network's maximum; and only from a closed request, on a network
// that needs grants (JIT on), for a user without an open request or grant
// there.
func (s *Service) GrantAgain(ctx context.Context, by actor.Actor, id string, d time.Duration) (store.Request, error) {
	now := s.opt.Clock.Now().UTC()
	var next store.Request
	var effects []Effect
	var settle func()
	err := s.opt.DB.Tx(ctx, func(tx *sql.Tx) error {
		settleOnce(&settle) // a transaction run again: the peers it prepared are read back
		old, err := store.RequestByID(ctx, tx, id)
		if errors.Is(err, store.ErrNotFound) {
			return fault.Detail(ErrNotFound, "no request %q", id)
		}
		if err != nil {
			return err
		}
		switch {
		case !by.IsAdmin():
			return fault.Detail(ErrForbidden, "only an admin can grant access")
		case by.ID == old.UserID:
			return ErrSelfDecision
		case old.Status == api.StatusPending:
			return fault.Detail(ErrInvalidTransition, "the request is still pending: grant it instead")
		case old.Status == api.StatusApproved:
			return fault.Detail(ErrInvalidTransition, "the request's grant is still active")
		}
		n, err := store.NetworkByID(ctx, tx, old.NetworkID)
		if err != nil {
			return err
		}
		if !n.JITEnabled {
			return fault.Conflictf("network %s has JIT off: its members have standing access without a grant", n.Name)
		}
		req := store.Request{ID: store.NewID("req"), NetworkID: n.ID, UserID: old.UserID, Status: api.StatusPending,
			Reason: old.Reason, RequestedAt: now, AgainOf: old.ID}
		if err := store.InsertRequest(ctx, tx, req); errors.Is(err, ErrConflict) {
			return fault.Detail(ErrConflict, "%s already has an open request or an active grant on %s", old.UserEmail, n.Name)
		} else if err != nil {
			return err
		}
		if req, err = store.RequestByID(ctx, tx, req.ID); err != nil {
			return err
		}
		if err := s.audit(ctx, tx, by, "request.create", req, now, map[string]string{"reason": req.Reason, "again_of": old.ID}); err != nil {
			return err
		}
		next, effects, err = s.apply(ctx, tx, req.ID, Event{Kind: EventApprove, Actor: by, Duration: d}, now)
		if err == nil && s.opt.Prepare != nil {
			settle, err = s.opt.Prepare(ctx, tx, next.NetworkID, now)
		}
		return err
	})
	if settle != nil {
		settle()
	}
	if err != nil {
		return store.Request{}, err
	}
	s.opt.Metrics.Requests.Inc()
	s.opt.Metrics.Transitions.WithLabelValues(string(EventApprove)).Inc()
	s.opt.Metrics.Approvals.Inc()
	s.opt.Bus.Publish(changeOf([]string{next.UserID}, next.NetworkID, effects))
	return next, nil
}
