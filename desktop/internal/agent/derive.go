package agent

import (
	"time"

	"gatepass.dev/shared/api"
)

// Derive is the desktop state of one network, from the backend's latest
// view of it (its latest request, whether JIT is on, the state the backend
// derived, the grant's expires_at) and now on the server clock (the agent's
// clock corrected by the measured offset). It is never stored.
//
// It fails closed: a network is active only while now < expires_at, even if
// the backend's (possibly stale) view still says active — an expired grant
// falls back to standing (JIT off), pending, or request. The backend's
// standing, pending and request are taken as they are (it knows the user's
// role: admins have standing access); with no backend state the request
// and JIT flag decide.
func Derive(req *api.Request, jitEnabled bool, serverState api.NetworkState, expiresAt *time.Time, now time.Time) api.NetworkState {
	exp := expiresAt
	if exp == nil && req != nil && req.Status == api.StatusApproved {
		exp = req.ExpiresAt
	}
	grantValid := exp != nil && now.Before(*exp) && (req == nil || req.Status == api.StatusApproved)
	switch serverState {
	case api.StateActive:
		if grantValid {
			return api.StateActive
		}
		// Stale: the grant is over on the server clock.
		if !jitEnabled {
			return api.StateStanding
		}
		return api.StateRequest
	case api.StateStanding, api.StatePending, api.StateRequest:
		return serverState
	}
	switch {
	case req != nil && req.Status == api.StatusApproved && grantValid:
		return api.StateActive
	case !jitEnabled:
		return api.StateStanding
	case req != nil && req.Status == api.StatusPending:
		return api.StatePending
	}
	return api.StateRequest
}
