package access

import (
	"context"
	"math"
	"time"

	"gatepass.dev/backend/internal/fault"
	"gatepass.dev/backend/internal/store"
)

// Request creation is limited per user: at most RequestLimit new requests
// in any RequestWindow (cancelled ones count), so that cancelling and
// requesting again cannot flood the admins. The count is read from the
// stored requests, so it holds across restarts and server replicas.
const (
	RequestLimit  = 6
	RequestWindow = 15 * time.Minute
)

// requestRate refuses a new request of userID at now when the user is over
// the limit, with the wait until a slot frees.
func requestRate(ctx context.Context, q store.Querier, userID string, now time.Time) error {
	n, first, err := store.RequestsSince(ctx, q, userID, now.Add(-RequestWindow))
	if err != nil {
		return err
	}
	if n < RequestLimit {
		return nil
	}
	wait := first.Add(RequestWindow).Sub(now)
	if wait < time.Second {
		wait = time.Second
	}
	minutes := int(math.Ceil(wait.Minutes()))
	unit := "minutes"
	if minutes == 1 {
		unit = "minute"
	}
	return fault.Limited(wait, "you have made %d access requests in the last %d minutes, the most allowed: try again in %d %s",
		n, int(RequestWindow.Minutes()), minutes, unit)
}
