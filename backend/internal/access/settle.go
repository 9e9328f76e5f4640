package access

import (
	"context"
	"database/sql"

	"gatepass.dev/backend/internal/actor"
	"gatepass.dev/backend/internal/events"
	"gatepass.dev/backend/internal/fault"
	"gatepass.dev/backend/internal/store"
	"gatepass.dev/shared/api"
)

// Scope narrows what Settle re-checks: the open requests on one network,
// of one user, or (both empty) all of them.
type Scope struct {
	NetworkID string
	UserID    string
}

// Settled is what a Settle ended: the users concerned and the effects, for
// the caller to publish after its commit.
type Settled struct {
	UserIDs []string
	Effects []Effect
}

// Change returns c with what was settled added: the bus change to publish
// after the caller's commit.
func (st Settled) Change(c events.Change) events.Change {
	return c.Merge(changeOf(st.UserIDs, c.NetworkID, st.Effects))
}

// Settle ends, inside tx, every open request in scope whose requester could
// no longer pass the network's gateway even with a grant (MayPass with a
// valid grant: disabled, or no longer a member): a grant is revoked and a
// pending request denied, by actor, with the reason as the note the user
// reads ("removed from office-network"), each audited and mailed as any
// revocation or denial. Callers run it in the transaction of the change
// that may have made the rule false, after writing that change.
func (s *Service) Settle(ctx context.Context, tx *sql.Tx, by actor.Actor, scope Scope) (Settled, error) {
	now := s.opt.Clock.Now().UTC()
	reqs, facts, err := store.OpenRequestFacts(ctx, tx, scope.NetworkID, scope.UserID, now)
	if err != nil {
		return Settled{}, err
	}
	var out Settled
	for i, r := range reqs {
		f := facts[i]
		f.GrantID = "granted" // would they pass with a grant?
		why := MayPass(f)
		if why == Admitted {
			continue
		}
		if open, err := stillOpen(ctx, tx, r.ID); err != nil || !open {
			if err != nil {
				return Settled{}, err
			}
			continue // a pending extension that ended with its grant, just now
		}
		kind := EventRevoke
		if r.Status == api.StatusPending {
			kind = EventDeny
		}
		_, ef, err := s.apply(ctx, tx, r.ID, Event{Kind: kind, Actor: by, Note: why.EndNote(r.NetworkName), Cause: why}, now)
		if err != nil {
			return Settled{}, err
		}
		out.UserIDs = append(out.UserIDs, r.UserID)
		out.Effects = append(out.Effects, ef...)
	}
	out.Effects = dedupe(out.Effects)
	return out, nil
}

// EndNetwork ends, inside tx, every open request on a network that is
// about to be deleted: grants revoked, pending requests denied, with the
// note "network <name> was deleted", audited and mailed.
func (s *Service) EndNetwork(ctx context.Context, tx *sql.Tx, by actor.Actor, n store.Network) (Settled, error) {
	now := s.opt.Clock.Now().UTC()
	reqs, _, err := store.OpenRequestFacts(ctx, tx, n.ID, "", now)
	if err != nil {
		return Settled{}, err
	}
	var out Settled
	for _, r := range reqs {
		if open, err := stillOpen(ctx, tx, r.ID); err != nil || !open {
			if err != nil {
				return Settled{}, err
			}
			continue // a pending extension that ended with its grant, just now
		}
		kind := EventRevoke
		if r.Status == api.StatusPending {
			kind = EventDeny
		}
		_, ef, err := s.apply(ctx, tx, r.ID, Event{Kind: kind, Actor: by, Note: "network " + n.Name + " was deleted"}, now)
		if err != nil {
			return Settled{}, err
		}
		out.UserIDs = append(out.UserIDs, r.UserID)
		out.Effects = append(out.Effects, ef...)
	}
	out.Effects = dedupe(out.Effects)
	return out, nil
}

// admissionOnApproval refuses to approve a request whose requester could
// not pass the network's gateway even once granted (disabled, or not a
// member): the grant would be a dead letter at best and a hole at worst.
// It reads the facts without a grant (store.UserMemberFacts: the grant is
// the one being made), so that the approval's transaction reads no other
// grant: on PostgreSQL two approvals on two replicas then do not abort
// each other for a read-write conflict on the requests they did not touch.
func admissionOnApproval(ctx context.Context, q store.Querier, r store.Request) error {
	f, err := store.UserMemberFacts(ctx, q, r.UserID, r.NetworkID)
	if err != nil {
		return err
	}
	f.GrantID = "granted"
	switch MayPass(f) {
	case RefusedNotMember:
		return fault.Conflictf("%s is not a member of network %s: add them to the network before approving, or deny the request", r.UserEmail, r.NetworkName)
	case RefusedDisabled:
		return fault.Conflictf("the account of %s is disabled: the request cannot be approved", r.UserEmail)
	}
	return nil
}

// stillOpen reports whether a request is still pending or granted: ending
// a grant in a loop over open requests ends its pending extension too.
func stillOpen(ctx context.Context, q store.Querier, id string) (bool, error) {
	r, err := store.RequestByID(ctx, q, id)
	if err != nil {
		return false, err
	}
	return r.Status == api.StatusPending || (r.Status == api.StatusApproved && r.KindOrAccess() != api.KindExtension), nil
}
