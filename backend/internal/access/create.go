package access

// The three ways a request is made, each in one transaction with its audit
// rows and emails:
//
//   - Create: access to a network, now or from a later starts_at (at most
//     MaxScheduleAhead ahead; sub-second parts are dropped). The network's
//     rules may approve it at once; otherwise its deciders are emailed.
//   - Extend: more time on one's own active grant (a reason and a
//     duration, which must fit the network's maximum for the whole grant);
//     at most one pending extension per grant. The same rules decide it.
//   - BreakGlass: emergency access for a member of one of the network's
//     break-glass groups: a mandatory reason, at most the network's
//     break-glass maximum (the default); approved at once by the system,
//     flagged for review, every decider alerted. A pending request of the
//     user on the network is cancelled by it; an active grant makes it
//     pointless (409).

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"gatepass.dev/backend/internal/actor"
	"gatepass.dev/backend/internal/fault"
	"gatepass.dev/backend/internal/store"
	"gatepass.dev/shared/api"
	"gatepass.dev/shared/humantime"
)

// MaxScheduleAhead is how far ahead a scheduled request may start.
const MaxScheduleAhead = 90 * 24 * time.Hour

// made is the outcome of a request made in a transaction.
type made struct {
	req     store.Request
	effects []Effect
	settle  func()
}

// file runs fn (which files a request) in a transaction, then settles the
// gateway and publishes the change.
func (s *Service) file(ctx context.Context, fn func(tx *sql.Tx, now time.Time) (made, error)) (store.Request, error) {
	now := s.opt.Clock.Now().UTC()
	var out made
	err := s.opt.DB.Tx(ctx, func(tx *sql.Tx) error {
		var err error
		if out, err = fn(tx, now); err != nil {
			return err
		}
		out.settle, err = s.prepare(ctx, tx, out.req, now)
		return err
	})
	if out.settle != nil {
		out.settle()
	}
	if err != nil {
		return store.Request{}, err
	}
	s.opt.Metrics.Requests.Inc()
	c := changeOf([]string{out.req.UserID}, out.req.NetworkID, append(out.effects, EffectReschedule))
	c.Mail = true
	s.opt.Bus.Publish(c)
	return out.req, nil
}

// Create files a new access request of actor on a network.
func (s *Service) Create(ctx context.Context, by actor.Actor, networkID string, in api.NewRequest) (store.Request, error) {
	return s.file(ctx, func(tx *sql.Tx, now time.Time) (made, error) {
		n, err := s.requestable(ctx, tx, by, networkID)
		if err != nil {
			return made{}, err
		}
		var wished int64
		if in.DurationSeconds != nil {
			if wished = *in.DurationSeconds; wished == 0 {
				return made{}, fault.Field("duration_seconds", "must be positive (leave it out for no wish)")
			}
		}
		v, err := ValidateNewRequest(in.Reason, wished, n.MaxDuration)
		if err != nil {
			return made{}, err
		}
		var starts time.Time
		if in.StartsAt != nil {
			starts = in.StartsAt.UTC().Truncate(time.Second)
			switch {
			case !starts.After(now):
				return made{}, fault.Field("starts_at", "must be in the future (leave it out to start at approval)")
			case starts.Sub(now) > MaxScheduleAhead:
				return made{}, fault.Field("starts_at", "is more than %s ahead", humantime.Span(MaxScheduleAhead))
			}
		}
		if err := requestRate(ctx, tx, by.ID, now); err != nil {
			return made{}, err
		}
		req := store.Request{ID: store.NewID("req"), NetworkID: n.ID, UserID: by.ID, Status: api.StatusPending, Kind: api.KindAccess,
			Reason: v.Reason, Wished: v.Wished, RequestedAt: now, StartsAt: starts, RequiredApprovals: n.RequiredApprovals}
		details := map[string]string{"reason": req.Reason}
		if v.Wished > 0 {
			details["wished"] = humantime.Span(v.Wished)
		}
		if !starts.IsZero() {
			details["starts_at"] = starts.Format(time.RFC3339)
		}
		return s.insert(ctx, tx, by, req, n, details, store.Request{}, now)
	})
}

// Extend files a request of kind extension for more time on the
// requester's own active grant.
func (s *Service) Extend(ctx context.Context, by actor.Actor, grantID string, in api.ExtendRequest) (store.Request, error) {
	return s.file(ctx, func(tx *sql.Tx, now time.Time) (made, error) {
		g, err := store.RequestByID(ctx, tx, grantID)
		if errors.Is(err, store.ErrNotFound) || (err == nil && g.UserID != by.ID) {
			return made{}, fault.Detail(ErrNotFound, "you have no grant %q", grantID)
		}
		if err != nil {
			return made{}, err
		}
		if g.KindOrAccess() == api.KindExtension || g.Status != api.StatusApproved || !now.Before(g.ExpiresAt) {
			return made{}, fault.Detail(ErrInvalidTransition, "only an active grant can be extended: this request is %s", g.Status)
		}
		if !g.StartsAt.IsZero() && now.Before(g.StartsAt) {
			return made{}, fault.Detail(ErrInvalidTransition, "the grant starts at %s: only an active grant can be extended", g.StartsAt.Format(time.RFC3339))
		}
		n, err := s.requestable(ctx, tx, by, g.NetworkID)
		if err != nil {
			return made{}, err
		}
		reason, err := ValidateReason(in.Reason)
		if err != nil {
			return made{}, err
		}
		so := g.ExpiresAt.Sub(g.Start())
		room := n.MaxDuration - so
		if room <= 0 {
			return made{}, fault.Conflictf("the grant lasts %s, the network's maximum, already: it cannot be extended", humantime.Span(n.MaxDuration))
		}
		if in.DurationSeconds == nil || *in.DurationSeconds == 0 {
			return made{}, fault.Field("duration_seconds", "is required: how much more time (at most %s)?", humantime.Span(room))
		}
		d, err := ValidateSeconds("duration_seconds", *in.DurationSeconds, 0)
		if err != nil {
			return made{}, err
		}
		if d > room {
			return made{}, fault.Field("duration_seconds", "%s is more than this grant may grow: one grant on %s lasts at most %s and this one lasts %s, so at most %s more",
				humantime.Span(d), n.Name, humantime.Span(n.MaxDuration), humantime.Span(so), humantime.Span(room))
		}
		if err := requestRate(ctx, tx, by.ID, now); err != nil {
			return made{}, err
		}
		req := store.Request{ID: store.NewID("req"), NetworkID: n.ID, UserID: by.ID, Status: api.StatusPending, Kind: api.KindExtension,
			GrantID: g.ID, Reason: reason, Wished: d, RequestedAt: now, RequiredApprovals: n.RequiredApprovals}
		return s.insert(ctx, tx, by, req, n, map[string]string{"reason": reason, "wished": humantime.Span(d), "grant": g.ID,
			"grant_expires_at": g.ExpiresAt.Format(time.RFC3339)}, g, now)
	})
}

// BreakGlass files and approves at once an emergency access of actor on a
// network, by its break-glass policy.
func (s *Service) BreakGlass(ctx context.Context, by actor.Actor, networkID string, in api.BreakGlassRequest) (store.Request, error) {
	return s.file(ctx, func(tx *sql.Tx, now time.Time) (made, error) {
		n, err := s.requestable(ctx, tx, by, networkID)
		if err != nil {
			return made{}, err
		}
		if !n.BreakGlass.Enabled {
			return made{}, fault.Detail(ErrForbidden, "break-glass access is not enabled on network %s: request access instead", n.Name)
		}
		inGroup, err := store.InBreakGlassGroup(ctx, tx, n.ID, by.ID)
		if err != nil {
			return made{}, err
		}
		if !inGroup {
			return made{}, fault.Detail(ErrForbidden, "only members of the break-glass groups of network %s may break the glass: request access instead", n.Name)
		}
		reason, err := ValidateReason(in.Reason)
		if err != nil {
			return made{}, err
		}
		d, err := OptionalSeconds("duration_seconds", in.DurationSeconds, 0, "the break-glass maximum of "+humantime.Span(n.BreakGlass.MaxDuration))
		if err != nil {
			return made{}, err
		}
		if d > n.BreakGlass.MaxDuration {
			return made{}, fault.Field("duration_seconds", "%s is longer than the break-glass maximum of %s on network %s",
				humantime.Span(d), humantime.Span(n.BreakGlass.MaxDuration), n.Name)
		}
		effects, err := s.expireLapsed(ctx, tx, by.ID, n.ID, now)
		if err != nil {
			return made{}, err
		}
		open, err := store.OpenRequestsOfUser(ctx, tx, by.ID)
		if err != nil {
			return made{}, err
		}
		for _, o := range open {
			switch {
			case o.NetworkID != n.ID:
			case o.Status == api.StatusApproved:
				return made{}, fault.Detail(ErrConflict, "you have a grant on network %s already (until %s)", n.Name, o.ExpiresAt.Format(time.RFC3339))
			default: // pending: the emergency supersedes it
				_, ef, err := s.apply(ctx, tx, o.ID, Event{Kind: EventCancel, Actor: by}, now)
				if err != nil {
					return made{}, err
				}
				effects = append(effects, ef...)
			}
		}
		if err := requestRate(ctx, tx, by.ID, now); err != nil {
			return made{}, err
		}
		req := store.Request{ID: store.NewID("req"), NetworkID: n.ID, UserID: by.ID, Status: api.StatusPending, Kind: api.KindBreakGlass,
			Reason: reason, Wished: d, RequestedAt: now, RequiredApprovals: 1}
		if err := store.InsertRequest(ctx, tx, req); err != nil {
			return made{}, err
		}
		if req, err = store.RequestByID(ctx, tx, req.ID); err != nil {
			return made{}, err
		}
		if err := s.audit(ctx, tx, by, "request.create", req, now, map[string]string{"reason": reason, "wished": humantime.Span(d)}); err != nil {
			return made{}, err
		}
		why := fmt.Sprintf("%s is in a break-glass group of network %s (at most %s)", by.Email, n.Name, humantime.Span(n.BreakGlass.MaxDuration))
		next, ef, err := s.apply(ctx, tx, req.ID, Event{Kind: EventApprove, Actor: actor.System, Rule: BreakGlassRule, Why: why, Duration: d}, now)
		if err != nil {
			return made{}, err
		}
		return made{req: next, effects: append(effects, ef...)}, nil
	})
}

// requestable loads a network that by may request on: it exists, by is a
// member, and it needs requests (JIT on).
func (s *Service) requestable(ctx context.Context, tx *sql.Tx, by actor.Actor, networkID string) (store.Network, error) {
	n, err := store.NetworkByID(ctx, tx, networkID)
	if errors.Is(err, store.ErrNotFound) {
		return n, fault.Detail(ErrNotFound, "no network %q", networkID)
	}
	if err != nil {
		return n, err
	}
	member, err := store.IsMember(ctx, tx, n, by.ID)
	if err != nil {
		return n, err
	}
	if !member {
		return n, fault.Detail(ErrForbidden, "you are not a member of network %s", n.Name)
	}
	if !n.JITEnabled {
		return n, fault.Detail(ErrInvalidTransition, "network %s does not need a request: you have standing access", n.Name)
	}
	return n, nil
}

// insert stores a new access or extension request with its audit row, and
// lets the network's rules decide it: approved at once by the first rule
// that matches, or left to the deciders, who are emailed.
func (s *Service) insert(ctx context.Context, tx *sql.Tx, by actor.Actor, req store.Request, n store.Network, details map[string]string,
	grant store.Request, now time.Time) (made, error) {
	var lapsed []Effect
	if req.KindOrAccess() != api.KindExtension { // an extension asks for more of the grant
		var err error
		if lapsed, err = s.expireLapsed(ctx, tx, req.UserID, req.NetworkID, now); err != nil {
			return made{}, err
		}
	}
	m, err := s.insertNew(ctx, tx, by, req, n, details, grant, now)
	m.effects = append(lapsed, m.effects...)
	return m, err
}

// expireLapsed expires, in the transaction of a new request, the user's
// grant on the network whose end has come but which no sweep has expired
// yet (the sweep runs at that instant, but may be a moment late, or
// backing off from a database fault): asking again (or breaking the
// glass) at the second a grant ends is not "you already have a grant".
func (s *Service) expireLapsed(ctx context.Context, tx *sql.Tx, userID, networkID string, now time.Time) ([]Effect, error) {
	open, err := store.OpenRequestsOfUser(ctx, tx, userID)
	if err != nil {
		return nil, err
	}
	var effects []Effect
	for _, r := range open {
		if r.NetworkID != networkID || r.Status != api.StatusApproved || r.KindOrAccess() == api.KindExtension ||
			r.ExpiresAt.IsZero() || now.Before(r.ExpiresAt) {
			continue
		}
		_, ef, err := s.apply(ctx, tx, r.ID, Event{Kind: EventExpire, Actor: actor.System}, now)
		if err != nil {
			return nil, err
		}
		effects = append(effects, ef...)
	}
	return effects, nil
}

func (s *Service) insertNew(ctx context.Context, tx *sql.Tx, by actor.Actor, req store.Request, n store.Network, details map[string]string,
	grant store.Request, now time.Time) (made, error) {
	if err := store.InsertRequest(ctx, tx, req); err != nil {
		return made{}, err
	}
	req, err := store.RequestByID(ctx, tx, req.ID)
	if err != nil {
		return made{}, err
	}
	if err := s.audit(ctx, tx, by, "request.create", req, now, details); err != nil {
		return made{}, err
	}
	dec, err := s.decideByRules(ctx, tx, req, grant, n, now)
	if err != nil {
		return made{}, err
	}
	if dec.Rule == nil {
		return made{req: req}, s.mailDeciders(ctx, tx, req, grant, now)
	}
	next, effects, err := s.apply(ctx, tx, req.ID, Event{Kind: EventApprove, Actor: actor.System, Rule: dec.Rule.Name, Why: dec.Why, Duration: dec.Duration}, now)
	if err != nil {
		return made{}, err
	}
	return made{req: next, effects: effects}, nil
}

// decideByRules evaluates the network's rules for a request (of grant,
// for an extension).
func (s *Service) decideByRules(ctx context.Context, q store.Querier, r, grant store.Request, n store.Network, now time.Time) (Decision, error) {
	rules, err := store.RulesOfNetwork(ctx, q, n.ID)
	if err != nil || len(rules) == 0 {
		return Decision{}, err
	}
	c, err := candidate(ctx, q, r.UserID, n)
	if err != nil {
		return Decision{}, err
	}
	c.Kind, c.Reason, c.Wished, c.At = r.KindOrAccess(), r.Reason, r.Wished, now
	if !r.StartsAt.IsZero() {
		c.At = r.StartsAt
	}
	if c.Kind == api.KindExtension {
		c.Current = grant.ExpiresAt.Sub(grant.Start())
	}
	names, err := store.GroupNames(ctx, q)
	if err != nil {
		return Decision{}, err
	}
	return Evaluate(rules, c, names), nil
}

// candidate is a user on a network as the rules see them.
func candidate(ctx context.Context, q store.Querier, userID string, n store.Network) (Candidate, error) {
	u, err := store.UserByID(ctx, q, userID)
	if err != nil {
		return Candidate{}, err
	}
	groups, err := store.GroupIDsOfUser(ctx, q, userID)
	if err != nil {
		return Candidate{}, err
	}
	return Candidate{UserID: u.ID, UserEmail: u.Email, GroupIDs: groups, NetworkDefault: n.DefaultDuration, NetworkMax: n.MaxDuration}, nil
}
