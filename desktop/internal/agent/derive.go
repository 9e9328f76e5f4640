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
//
// A scheduled grant (approved, with a starts_at still ahead) is scheduled
// until its start and active from it, to the second on the server clock,
// without waiting for the backend to say so: the agent's one timer wakes
// at starts_at as it does at expires_at. The backend's view of it is
// "scheduled" until then, and a stale "scheduled" past the start is
// active (the same grant, now started) until expires_at.
func Derive(req *api.Request, jitEnabled bool, serverState api.NetworkState, expiresAt *time.Time, now time.Time) api.NetworkState {
	approved := req != nil && req.Status == api.StatusApproved
	exp := expiresAt
	if exp == nil && approved {
		exp = req.ExpiresAt
	}
	grantValid := exp != nil && now.Before(*exp) && (req == nil || approved)
	started := req == nil || req.StartsAt == nil || !now.Before(*req.StartsAt)
	switch serverState {
	case api.StateActive:
		if grantValid {
			return api.StateActive
		}
		return over(jitEnabled)
	case api.StateScheduled:
		switch {
		case !approved || !grantValid:
			return over(jitEnabled)
		case started:
			return api.StateActive
		}
		return api.StateScheduled
	case api.StateStanding, api.StatePending, api.StateRequest:
		return serverState
	}
	switch {
	case approved && grantValid && started:
		return api.StateActive
	case !jitEnabled:
		return api.StateStanding
	case approved && grantValid:
		return api.StateScheduled
	case req != nil && req.Status == api.StatusPending:
		return api.StatePending
	}
	return api.StateRequest
}

// over is the state of a network whose grant is over on the server clock
// (the backend's view is stale).
func over(jitEnabled bool) api.NetworkState {
	if !jitEnabled {
		return api.StateStanding
	}
	return api.StateRequest
}
