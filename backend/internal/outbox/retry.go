package outbox

import (
	"context"
	"time"

	"gatepass.dev/backend/internal/fault"
	"gatepass.dev/backend/internal/store"
	"gatepass.dev/shared/api"
)

// ErrNotRetryable is returned when retrying a message that is pending or sent.
var ErrNotRetryable = fault.Sentinel(fault.Conflict, "only failed or undeliverable messages can be retried")

// Retry puts a failed or undeliverable message back in the queue, due now.
func Retry(ctx context.Context, q store.Querier, id int64, now time.Time) (store.OutboxMessage, error) {
	m, err := store.MailByID(ctx, q, id)
	if err != nil {
		return m, err
	}
	if m.Status != api.OutboxFailed && m.Status != api.OutboxUndeliverable {
		return m, ErrNotRetryable
	}
	m.Status, m.Attempts, m.NextAttemptAt = api.OutboxPending, 0, now
	return m, store.UpdateMailDelivery(ctx, q, m)
}
