package admin

import (
	"context"
	"database/sql"
	"errors"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"gatepass.dev/backend/internal/access"
	"gatepass.dev/backend/internal/actor"
	"gatepass.dev/backend/internal/events"
	"gatepass.dev/backend/internal/fault"
	"gatepass.dev/backend/internal/store"
	"gatepass.dev/shared/api"
	"gatepass.dev/shared/humantime"
)

// Rules of a network (see access/rules.go for how they decide). Each rule
// is validated when it is saved: a name unique on its network, the action
// auto_approve, at least one user or group, a maximum duration within the
// network's, a schedule with days, times and an IANA time zone, and a
// reason pattern that compiles as RE2 and has at most
// access.MaxPatternLength characters. Creating appends the rule (or puts
// it at position); a position on PATCH moves it; the others keep their
// order. Every change is audited (rule.create, rule.update, rule.delete).

// RuleAPI returns the wire form of a rule.
func RuleAPI(r store.Rule) api.Rule {
	out := api.Rule{ID: r.ID, NetworkID: r.NetworkID, Position: r.Position, Name: r.Name, Action: r.Action,
		UserIDs: nonNil(r.UserIDs), GroupIDs: nonNil(r.GroupIDs), MaxDurationSeconds: int64(r.MaxDuration / time.Second),
		ReasonPattern: r.ReasonPattern, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt}
	if s, ok, err := access.LoadSchedule(r.Schedule); err == nil && ok {
		a := s.API()
		out.Schedule = &a
	}
	return out
}

func nonNil(ids []string) []string {
	if ids == nil {
		return []string{}
	}
	return ids
}

// CreateRule adds a rule to a network.
func (s *Service) CreateRule(ctx context.Context, c actor.Actor, networkID string, in api.RuleInput) (store.Rule, error) {
	now := s.now()
	r := store.Rule{ID: store.NewID("rul"), NetworkID: networkID, CreatedAt: now, UpdatedAt: now}
	err := s.DB.Tx(ctx, func(tx *sql.Tx) error {
		n, err := store.NetworkByID(ctx, tx, networkID)
		if errors.Is(err, store.ErrNotFound) {
			return fault.NotFoundf("no network %q", networkID)
		}
		if err != nil {
			return err
		}
		var changed []string
		if r, changed, err = applyRuleInput(ctx, tx, r, n, in, true); err != nil {
			return err
		}
		if err := store.SaveRule(ctx, tx, r); err != nil {
			return err
		}
		pos := 0
		if in.Position != nil {
			pos = *in.Position
		}
		if err := store.PlaceRule(ctx, tx, networkID, r.ID, pos); err != nil {
			return err
		}
		if r, err = store.RuleByID(ctx, tx, r.ID); err != nil {
			return err
		}
		return store.InsertAudit(ctx, tx, s.ruleAudit(c, "rule.create", r, n, changed))
	})
	if err != nil {
		return store.Rule{}, err
	}
	s.Bus.Publish(events.Change{NetworkID: networkID})
	return r, nil
}

// UpdateRule changes the fields given in in.
func (s *Service) UpdateRule(ctx context.Context, c actor.Actor, id string, in api.RuleInput) (store.Rule, error) {
	var r store.Rule
	err := s.DB.Tx(ctx, func(tx *sql.Tx) error {
		cur, err := store.RuleByID(ctx, tx, id)
		if err != nil {
			return err
		}
		n, err := store.NetworkByID(ctx, tx, cur.NetworkID)
		if err != nil {
			return err
		}
		var changed []string
		if r, changed, err = applyRuleInput(ctx, tx, cur, n, in, false); err != nil {
			return err
		}
		r.UpdatedAt = s.now()
		if err := store.SaveRule(ctx, tx, r); err != nil {
			return err
		}
		if in.Position != nil {
			if err := store.PlaceRule(ctx, tx, r.NetworkID, r.ID, *in.Position); err != nil {
				return err
			}
			changed = append(changed, "position")
		}
		if r, err = store.RuleByID(ctx, tx, r.ID); err != nil {
			return err
		}
		return store.InsertAudit(ctx, tx, s.ruleAudit(c, "rule.update", r, n, changed))
	})
	if err != nil {
		return store.Rule{}, err
	}
	s.Bus.Publish(events.Change{NetworkID: r.NetworkID})
	return r, nil
}

// DeleteRule removes a rule; the others keep their order.
func (s *Service) DeleteRule(ctx context.Context, c actor.Actor, id string) error {
	var networkID string
	err := s.DB.Tx(ctx, func(tx *sql.Tx) error {
		r, err := store.RuleByID(ctx, tx, id)
		if err != nil {
			return err
		}
		networkID = r.NetworkID
		n, err := store.NetworkByID(ctx, tx, r.NetworkID)
		if err != nil {
			return err
		}
		if err := store.InsertAudit(ctx, tx, s.ruleAudit(c, "rule.delete", r, n, nil)); err != nil {
			return err
		}
		if err := store.DeleteRule(ctx, tx, id); err != nil {
			return err
		}
		return store.PlaceRule(ctx, tx, r.NetworkID, "", 0)
	})
	if err != nil {
		return err
	}
	s.Bus.Publish(events.Change{NetworkID: networkID})
	return nil
}

func (s *Service) ruleAudit(c actor.Actor, action string, r store.Rule, n store.Network, changed []string) store.AuditEntry {
	d := map[string]string{"name": r.Name, "network": n.Name, "action": string(r.Action), "position": strconv.Itoa(r.Position),
		"users": strings.Join(r.UserIDs, ","), "groups": strings.Join(r.GroupIDs, ",")}
	if r.MaxDuration > 0 {
		d["max_duration"] = humantime.Span(r.MaxDuration)
	}
	if sched, ok, err := access.LoadSchedule(r.Schedule); err == nil && ok {
		d["schedule"] = sched.String()
	}
	if r.ReasonPattern != "" {
		d["reason_pattern"] = r.ReasonPattern
	}
	if changed != nil {
		d["changed"] = strings.Join(changed, ",")
	}
	return s.audit(c, action, "rule", r.ID, r.NetworkID, d)
}

// applyRuleInput merges in over r and validates the result.
func applyRuleInput(ctx context.Context, q store.Querier, r store.Rule, n store.Network, in api.RuleInput, create bool) (store.Rule, []string, error) {
	var changed []string
	mark := func(f string) { changed = append(changed, f) }
	if in.Name != nil {
		name, err := access.CleanText("name", *in.Name, 64, true)
		if err != nil {
			return r, nil, err
		}
		r.Name = name
		mark("name")
	} else if create {
		return r, nil, fault.Field("name", "is required")
	}
	if in.Action != nil {
		if *in.Action != api.ActionAutoApprove {
			return r, nil, fault.Field("action", "%q is not an action: the one action is auto_approve", *in.Action)
		}
		r.Action = *in.Action
		mark("action")
	} else if create {
		return r, nil, fault.Field("action", "is required (auto_approve)")
	}
	if in.UserIDs != nil {
		ids, err := userIDs(ctx, q, "user_ids", *in.UserIDs, false)
		if err != nil {
			return r, nil, err
		}
		r.UserIDs = ids
		mark("user_ids")
	}
	if in.GroupIDs != nil {
		ids, err := groupIDs(ctx, q, "group_ids", *in.GroupIDs)
		if err != nil {
			return r, nil, err
		}
		r.GroupIDs = ids
		mark("group_ids")
	}
	if len(r.UserIDs)+len(r.GroupIDs) == 0 {
		return r, nil, fault.Field("user_ids", "a rule names the users or groups it serves (user_ids, group_ids): there is no rule for everyone")
	}
	if in.MaxDurationSeconds != nil {
		secs := *in.MaxDurationSeconds
		if secs < 0 || secs > int64(n.MaxDuration/time.Second) {
			return r, nil, fault.Field("max_duration_seconds", "must be from 0 (the network's maximum) to %s, the network's maximum", humantime.Span(n.MaxDuration))
		}
		r.MaxDuration = time.Duration(secs) * time.Second
		mark("max_duration_seconds")
	}
	if in.Schedule.Set {
		r.Schedule = ""
		if in.Schedule.Value != nil {
			sched, err := access.ParseSchedule(*in.Schedule.Value)
			if err != nil {
				return r, nil, err
			}
			r.Schedule = sched.JSON()
		}
		mark("schedule")
	}
	if in.ReasonPattern != nil {
		p := *in.ReasonPattern
		if n := utf8.RuneCountInString(p); n > access.MaxPatternLength {
			return r, nil, fault.Field("reason_pattern", "is too long (%d characters; at most %d)", n, access.MaxPatternLength)
		}
		if strings.ContainsAny(p, "\r\n") {
			return r, nil, fault.Field("reason_pattern", "must be one line")
		}
		if _, err := regexp.Compile(p); err != nil {
			return r, nil, fault.Field("reason_pattern", "is not a valid regular expression (RE2 syntax): %v", err)
		}
		r.ReasonPattern = p
		mark("reason_pattern")
	}
	return r, changed, nil
}
