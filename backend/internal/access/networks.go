package access

import (
	"context"
	"time"

	"gatepass.dev/backend/internal/store"
	"gatepass.dev/shared/api"
)

// DeriveState is the network state a user sees, derived and never stored:
//
//   - JIT off, or the user is an admin: standing (no grant needed);
//   - the latest request pending: pending;
//   - the latest request approved and not yet expired: active;
//   - anything else: request.
//
// An approved request whose expires_at has passed is not active even if
// the scheduler has not recorded the expiry yet: the view fails closed.
func DeriveState(n store.Network, role api.Role, latest *store.Request, now time.Time) (api.NetworkState, time.Time) {
	if latest != nil && latest.Status == api.StatusApproved && now.Before(latest.ExpiresAt) {
		return api.StateActive, latest.ExpiresAt
	}
	if !n.JITEnabled || role == api.RoleAdmin {
		return api.StateStanding, time.Time{}
	}
	if latest != nil && latest.Status == api.StatusPending {
		return api.StatePending, time.Time{}
	}
	return api.StateRequest, time.Time{}
}

// UserNetworks returns every network of the user with its derived state.
func UserNetworks(ctx context.Context, q store.Querier, userID string, role api.Role, now time.Time) ([]api.MyNetwork, error) {
	nets, err := store.NetworksOfUser(ctx, q, userID)
	if err != nil {
		return nil, err
	}
	latest, err := store.LatestRequests(ctx, q, userID)
	if err != nil {
		return nil, err
	}
	out := make([]api.MyNetwork, 0, len(nets))
	for _, n := range nets {
		mn := api.MyNetwork{
			ID: n.ID, Name: n.Name, Description: n.Description, JITEnabled: n.JITEnabled,
			DefaultDurationSeconds: int64(n.DefaultDuration / time.Second),
			MaxDurationSeconds:     int64(n.MaxDuration / time.Second),
		}
		var lp *store.Request
		if r, ok := latest[n.ID]; ok {
			lp = &r
			ar := r.API()
			mn.Request = &ar
		}
		state, exp := DeriveState(n, role, lp, now)
		mn.State = state
		if !exp.IsZero() {
			mn.ExpiresAt = &exp
		}
		out = append(out, mn)
	}
	return out, nil
}
