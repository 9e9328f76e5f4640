// Package outbox is the durable queue of emails. Rows are written in the
// same transaction as the change they report (Enqueue), so a committed
// change always has its email and a rolled-back one never does. A Worker
// delivers them with retries and exponential back-off; without SMTP
// configured they are kept and marked undeliverable with the reason, for an
// admin to see and retry.
//
// Decisions:
//
//   - Claim, send, record. A round first claims up to a batch of due
//     messages in one write (store.ClaimMail: a claim id and a lease of
//     the batch's worst-case sending time plus leaseMargin), then sends each
//     and records its outcome in a write fenced by the claim id. A failed
//     claim sends nothing. A failed record stops the round; the outcome is
//     kept in memory and written (releasing the rest of its claim) before
//     anything else is claimed, so this process never sends a message
//     again, and no other claim can take it within its lease. A crash
//     between a send and its record leaves that one message to be sent once
//     more, after its lease. Messages claimed but not attempted when the
//     worker stops are released at once.
//   - Several replicas (PostgreSQL): every replica's worker delivers, each
//     claiming one message at a time with FOR UPDATE SKIP LOCKED, so each
//     message is claimed — and sent — by one of them. A replica that dies
//     leaves only its message in flight claimed, until the lease (the send
//     timeout plus leaseMargin) has passed; another replica then sends it.
//     Had the SMTP server accepted it just before the death, it goes
//     twice: the one case SMTP cannot rule out (no transaction spans the
//     send and the record), kept to a few milliseconds per message, and
//     to one message per dead replica. Both copies carry the same
//     Message-ID (MessageID: the row's), so mail systems that drop
//     duplicate Message-IDs show it once.
//   - The worker never spins on a failing database: after a round that
//     failed it waits StoreFirstBackoff, doubling up to StoreMaxBackoff,
//     and is not woken early by new mail meanwhile.
//   - Retries: the n-th failed attempt waits FirstRetry·2^(n-1), at most
//     MaxBackoff; after MaxAttempts (about a day) the message has failed.
//     A 5xx for the recipient or the message fails it at once.
//   - When the server cannot be reached at all (mail.IsUnreachable: refused,
//     timed out, TLS or AUTH failed), waiting mail would otherwise sit out
//     its back-off after the server is back. So while such messages wait,
//     the worker probes the server every ProbeInterval (connect, EHLO and
//     AUTH as configured, then QUIT: mail.Sender.Probe), and once it
//     answers makes the whole backlog due at once. A server that answers
//     but refuses messages (4xx) is not probed: a probe would succeed and
//     defeat the back-off. At start the server is probed once if mail
//     waits for a retry.
//   - Problem tells the admin page why mail cannot be delivered: the error
//     of the last attempt or probe, from the first failure until a message
//     goes out or a probe succeeds (or "SMTP is not configured").
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
