package agent

import (
	"context"

	"gatepass.dev/desktop/internal/localapi"
	"gatepass.dev/shared/api"
	"gatepass.dev/shared/client"
)

// History lists the user's latest requests on a network (by name or id),
// newest first, as the backend has them: the window's short history in a
// network's details, and the reason "Request again" offers.
func (a *Agent) History(ctx context.Context, name string) (localapi.History, error) {
	a.mu.Lock()
	s, id, _, _, err := a.lookupLocked(name)
	a.mu.Unlock()
	if err != nil {
		return localapi.History{}, err
	}
	var list api.RequestList
	if err := a.call(ctx, s, func(ctx context.Context) error {
		var err error
		list, err = s.client.MyRequests(ctx, client.RequestQuery{Network: id, Limit: localapi.HistoryLimit})
		return err
	}); err != nil {
		return localapi.History{}, err
	}
	a.mu.Lock()
	now := a.clock.Now().Add(a.offset).UTC().Round(0)
	a.mu.Unlock()
	out := localapi.History{Requests: list.Requests, ServerTime: now}
	if out.Requests == nil {
		out.Requests = []api.Request{}
	}
	if len(out.Requests) > localapi.HistoryLimit {
		out.Requests = out.Requests[:localapi.HistoryLimit]
	}
	return out, nil
}
