package access

import (
	"context"
	"errors"
	"strings"

	"gatepass.dev/backend/internal/fault"
	"gatepass.dev/backend/internal/store"
)

// MaxBulk is the most requests one bulk decision takes (two pages of the
// admin's list).
const MaxBulk = 100

// Outcome is what a bulk decision did to one request.
type Outcome struct {
	ID string
	// Request is the request after the event; when the event failed, the
	// request as it is now (the zero Request when there is none).
	Request store.Request
	// Err is why the event failed; nil when it was applied.
	Err error
}

// Done reports whether the event was applied.
func (o Outcome) Done() bool { return o.Err == nil }

// Changed reports whether the request had been decided or ended by
// someone else meanwhile: it is no longer pending.
func (o Outcome) Changed() bool {
	return errors.Is(o.Err, ErrConflict) || errors.Is(o.Err, ErrInvalidTransition)
}

// DoAll applies one event (approve for one duration, or deny with one
// note) to each of the requests ids, in order, each through Do: its own
// transaction, compare-and-set, admission check, audit row and email, as
// if the admin had decided them one by one. One that fails (decided by
// someone else meanwhile, over its network's maximum, the admin's own, the
// requester no longer a member) is reported in its Outcome and does not
// stop the others. ids must be 1 to MaxBulk request ids; repeats count
// once. A storage failure stops the run: it is returned, and every request
// not decided yet has it as its Outcome's Err (Stopped).
func (s *Service) DoAll(ctx context.Context, ids []string, e Event) ([]Outcome, error) {
	if e.Kind != EventApprove && e.Kind != EventDeny {
		return nil, fault.Detail(ErrInvalidTransition, "a bulk decision approves or denies, not %s", e.Kind)
	}
	seen := map[string]bool{}
	var list []string
	for _, id := range ids {
		id = strings.TrimSpace(id)
		if id == "" || seen[id] {
			continue
		}
		seen[id] = true
		list = append(list, id)
	}
	switch {
	case len(list) == 0:
		return nil, fault.Field("ids", "choose at least one request")
	case len(list) > MaxBulk:
		return nil, fault.Field("ids", "at most %d requests at once (%d chosen)", MaxBulk, len(list))
	}
	out := make([]Outcome, 0, len(list))
	for i, id := range list {
		r, err := s.Do(ctx, id, e)
		if err != nil && stops(err) {
			for _, rest := range list[i:] {
				out = append(out, Outcome{ID: rest, Err: err})
			}
			return out, err
		}
		if err != nil {
			// Report the request as it is now (decided by whom, until when).
			r, _ = store.RequestByID(ctx, s.opt.DB, id)
		}
		out = append(out, Outcome{ID: id, Request: r, Err: err})
	}
	return out, nil
}

// stops reports whether err ends a bulk run: the server cannot save
// anything now (or a bug), rather than this one request being refused.
func stops(err error) bool {
	k := fault.KindOf(err)
	return k == fault.Unavailable || k == fault.Internal
}

// Stopped reports whether the request was left undecided because the run
// stopped (storage failing).
func (o Outcome) Stopped() bool { return o.Err != nil && stops(o.Err) }
