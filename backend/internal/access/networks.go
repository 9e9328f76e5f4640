package access

import (
	"context"
	"slices"
	"time"

	"gatepass.dev/backend/internal/store"
	"gatepass.dev/shared/api"
)

// DeriveState is the network state a user sees, derived and never stored:
//
//   - the latest request approved, started and not yet expired: active;
//   - JIT off, or the user is an admin: standing (no grant needed);
//   - the latest request approved with a start still ahead: scheduled
//     (the window counts down to MyNetwork.starts_at: "Access starts in
//     2h 10m");
//   - the latest request pending: pending;
//   - anything else: request.
//
// An approved request whose expires_at has passed is not active even if
// the scheduler has not recorded the expiry yet: the view fails closed.
// The returned time is when the state ends (expires_at of an active
// grant) and the start is when a scheduled one begins.
func DeriveState(n store.Network, role api.Role, latest *store.Request, now time.Time) (api.NetworkState, time.Time) {
	st, exp, _ := deriveState(n, role, latest, now)
	return st, exp
}

func deriveState(n store.Network, role api.Role, latest *store.Request, now time.Time) (api.NetworkState, time.Time, time.Time) {
	approved := latest != nil && latest.Status == api.StatusApproved && now.Before(latest.ExpiresAt)
	started := approved && (latest.StartsAt.IsZero() || !now.Before(latest.StartsAt))
	if approved && started {
		return api.StateActive, latest.ExpiresAt, time.Time{}
	}
	if !n.JITEnabled || role == api.RoleAdmin {
		return api.StateStanding, time.Time{}, time.Time{}
	}
	if approved {
		return api.StateScheduled, time.Time{}, latest.StartsAt
	}
	if latest != nil && latest.Status == api.StatusPending {
		return api.StatePending, time.Time{}, latest.StartsAt
	}
	return api.StateRequest, time.Time{}, time.Time{}
}

// UserNetworks returns every network of the user with its derived state,
// and what the window needs besides: the start of a scheduled grant, the
// latest extension request of the active grant and how much longer it may
// become, how many approvals a request needs, and whether the user may
// break the glass.
func UserNetworks(ctx context.Context, q store.Querier, userID string, role api.Role, now time.Time) ([]api.MyNetwork, error) {
	nets, err := store.NetworksOfUser(ctx, q, userID)
	if err != nil {
		return nil, err
	}
	latest, err := store.LatestRequests(ctx, q, userID)
	if err != nil {
		return nil, err
	}
	extensions, err := store.LatestExtensions(ctx, q, userID)
	if err != nil {
		return nil, err
	}
	groups, err := store.GroupIDsOfUser(ctx, q, userID)
	if err != nil {
		return nil, err
	}
	out := make([]api.MyNetwork, 0, len(nets))
	for _, n := range nets {
		mn := api.MyNetwork{
			ID: n.ID, Name: n.Name, Description: n.Description, JITEnabled: n.JITEnabled,
			DefaultDurationSeconds: int64(n.DefaultDuration / time.Second),
			MaxDurationSeconds:     int64(n.MaxDuration / time.Second),
			RequiredApprovals:      max(1, n.RequiredApprovals),
		}
		var lp *store.Request
		if r, ok := latest[n.ID]; ok {
			lp = &r
			ar := r.API()
			mn.Request = &ar
		}
		state, exp, start := deriveState(n, role, lp, now)
		mn.State = state
		if !exp.IsZero() {
			mn.ExpiresAt = &exp
		}
		if !start.IsZero() {
			mn.StartsAt = &start
		}
		if state == api.StateActive && lp != nil {
			if ext, ok := extensions[lp.ID]; ok {
				ae := ext.API()
				mn.Extension = &ae
			}
			mn.MaxExtensionSeconds = max(0, int64((n.MaxDuration-lp.ExpiresAt.Sub(lp.Start()))/time.Second))
		}
		if n.JITEnabled && role != api.RoleAdmin && n.BreakGlass.Enabled && state != api.StateActive {
			bg, err := breakGlassGroups(ctx, q, n.ID)
			if err != nil {
				return nil, err
			}
			if slices.ContainsFunc(bg, func(g string) bool { return slices.Contains(groups, g) }) {
				mn.BreakGlass = &api.MyBreakGlass{MaxDurationSeconds: int64(n.BreakGlass.MaxDuration / time.Second)}
			}
		}
		out = append(out, mn)
	}
	return out, nil
}

func breakGlassGroups(ctx context.Context, q store.Querier, networkID string) ([]string, error) {
	n, err := store.NetworkByID(ctx, q, networkID)
	return n.BreakGlass.GroupIDs, err
}
