package admin

import (
	"context"
	"database/sql"
	"net/url"
	"strconv"

	"gatepass.dev/backend/internal/actor"
	"gatepass.dev/backend/internal/fault"
	"gatepass.dev/backend/internal/outbox"
	"gatepass.dev/backend/internal/store"
	"gatepass.dev/shared/api"
)

// RetryMail queues a failed or undeliverable email again (409 for any other).
func (s *Service) RetryMail(ctx context.Context, c actor.Actor, id int64) (store.OutboxMessage, error) {
	var m store.OutboxMessage
	err := s.DB.Tx(ctx, func(tx *sql.Tx) error {
		var err error
		if m, err = outbox.Retry(ctx, tx, id, s.now()); err != nil {
			return err
		}
		return store.InsertAudit(ctx, tx, s.audit(c, "outbox.retry", "email", strconv.FormatInt(id, 10), "",
			map[string]string{"to": m.To, "subject": m.Subject}))
	})
	if err != nil {
		return m, err
	}
	s.wakeOutbox()
	return m, nil
}

// RetryUndeliverable queues every undeliverable email again (those that
// waited while no SMTP server was configured) and returns how many; the
// retry is audited with the count, also when there was none.
func (s *Service) RetryUndeliverable(ctx context.Context, c actor.Actor) (int, error) {
	var n int64
	err := s.DB.Tx(ctx, func(tx *sql.Tx) error {
		var err error
		if n, err = store.RequeueMail(ctx, tx, api.OutboxUndeliverable, s.now()); err != nil {
			return err
		}
		return store.InsertAudit(ctx, tx, s.audit(c, ActionRetryUndeliverable, "email", "", "",
			map[string]string{"count": strconv.FormatInt(n, 10)}))
	})
	if err != nil {
		return 0, err
	}
	if n > 0 {
		s.wakeOutbox()
	}
	return int(n), nil
}

// MaxOutboxPage is the most messages one page of the outbox list holds.
const MaxOutboxPage = 1000

// OutboxFilter reads ?status=&limit=&cursor= for the outbox list.
func OutboxFilter(q url.Values) (store.OutboxFilter, error) {
	st, err := OutboxStatus(q.Get("status"))
	if err != nil {
		return store.OutboxFilter{}, err
	}
	f := store.OutboxFilter{Status: st, Cursor: q.Get("cursor")}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > MaxOutboxPage {
			return f, fault.Field("limit", "must be a number from 1 to %d", MaxOutboxPage)
		}
		f.Limit = n
	}
	return f, nil
}

// OutboxStatus validates an outbox status filter ("" for all).
func OutboxStatus(v string) (api.OutboxStatus, error) {
	st := api.OutboxStatus(v)
	switch st {
	case "", api.OutboxPending, api.OutboxSent, api.OutboxFailed, api.OutboxUndeliverable:
		return st, nil
	}
	return "", fault.Field("status", "must be pending, sent, failed or undeliverable")
}
