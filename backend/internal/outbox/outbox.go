// Package outbox is the durable queue of emails. Rows are written in the
// same transaction as the change they report (Enqueue), so a committed
// change always has its email and a rolled-back one never does. A Worker
// delivers them with retries and exponential back-off; without SMTP
// configured they are kept and marked undeliverable with the reason, for an
// admin to see and retry.
package outbox

import (
	"context"
	"time"

	"gatepass.dev/backend/internal/mail"
	"gatepass.dev/backend/internal/store"
)

// Enqueue queues m inside q (a transaction of the caller) at now.
func Enqueue(ctx context.Context, q store.Querier, kind string, m mail.Message, now time.Time) error {
	return EnqueueHeld(ctx, q, kind, m, "", now, now)
}

// EnqueueHeld queues m about ref (a request id, or "") inside q, not to be
// sent before notBefore.
func EnqueueHeld(ctx context.Context, q store.Querier, kind string, m mail.Message, ref string, now, notBefore time.Time) error {
	_, err := store.EnqueueMail(ctx, q, store.OutboxMessage{
		Kind: kind, To: m.To, Subject: m.Subject, Text: m.Text, HTML: m.HTML, CreatedAt: now, NextAttemptAt: notBefore, Ref: ref,
	})
	return err
}
