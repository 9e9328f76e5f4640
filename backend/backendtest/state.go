package backendtest

import (
	"maps"
	"net/url"
	"strconv"
	"testing"

	"gatepass.dev/backend/internal/store"
	"gatepass.dev/shared/api"
	"gatepass.dev/shared/client"
)

// NetworkState is one network as the user of c sees it in GET
// /api/v1/me/networks, found by its id or its name (names are unique). It
// fails the test when the network is not in the user's list.
func NetworkState(tb testing.TB, c *client.Client, network string) api.MyNetwork {
	tb.Helper()
	res, err := c.MyNetworks(tb.Context())
	if err != nil {
		tb.Fatal(err)
	}
	for _, n := range res.Networks {
		if n.ID == network || n.Name == network {
			return n
		}
	}
	tb.Fatalf("network %s not in the user's list", network)
	return api.MyNetwork{}
}

// Audit lists the audit entries matching q (target, action, …) through the
// admin API, newest first: up to 1000 unless q sets a limit. q itself is
// left as it was.
func Audit(tb testing.TB, admin *client.Client, q url.Values) []api.AuditEntry {
	tb.Helper()
	q = maps.Clone(q)
	if q == nil {
		q = url.Values{}
	}
	if q.Get("limit") == "" {
		q.Set("limit", "1000")
	}
	list, err := admin.Audit(tb.Context(), q)
	if err != nil {
		tb.Fatalf("audit %v: %v", q, err)
	}
	return list.Entries
}

// AuditRows reads the audit rows of an action (exact, or a prefix ending in
// "."; "" for every row) straight from the database, newest first. It
// signs no one in, since a sign-in writes audit rows of its own.
func (s *Server) AuditRows(tb testing.TB, action string) []store.AuditEntry {
	tb.Helper()
	rows, err := store.ListAudit(tb.Context(), s.DB, store.AuditFilter{Action: action, Limit: 10000})
	if err != nil {
		tb.Fatal(err)
	}
	return rows
}

// Outbox lists the emails of the outbox with a status ("" for all),
// newest first, through the admin API.
func Outbox(tb testing.TB, admin *client.Client, status api.OutboxStatus) []api.OutboxMessage {
	tb.Helper()
	msgs, err := admin.Outbox(tb.Context(), status)
	if err != nil {
		tb.Fatalf("outbox: %v", err)
	}
	return msgs
}

// WaitOutboxDrained waits until no email is waiting for delivery (each was
// sent, or gave up), so that what the SMTP catcher holds is everything
// that will ever arrive.
func WaitOutboxDrained(tb testing.TB, admin *client.Client) {
	tb.Helper()
	WaitFor(tb, "the outbox to drain", func() bool {
		msgs, err := admin.Outbox(tb.Context(), api.OutboxPending)
		return err == nil && len(msgs) == 0
	})
}

// WaitFailedAttempts waits until exactly n emails are waiting after a
// failed attempt, and returns them.
func WaitFailedAttempts(tb testing.TB, admin *client.Client, n int) []api.OutboxMessage {
	tb.Helper()
	var waiting []api.OutboxMessage
	WaitFor(tb, strconv.Itoa(n)+" failed attempts", func() bool {
		msgs, err := admin.Outbox(tb.Context(), api.OutboxPending)
		waiting = waiting[:0]
		for _, m := range msgs {
			if m.Attempts > 0 {
				waiting = append(waiting, m)
			}
		}
		return err == nil && len(waiting) == n
	})
	return waiting
}
