package access

import (
	"context"
	"fmt"
	"slices"
	"time"

	"gatepass.dev/backend/internal/store"
	"gatepass.dev/shared/api"
	"gatepass.dev/shared/humantime"
)

// Request patterns, for the page of a request: how often its user asked
// for its network in the last PatternWindow, how it went and how long the
// grants were — and a hint when the pattern says a policy would serve:
//
//   - a rule: the user was approved at least PatternRepeat times by people
//     and never denied, and no rule would approve a typical request of
//     theirs now;
//   - a longer duration: at least PatternRepeat times their access ran out
//     before the work was done — an extension, or a new request within
//     PatternGap of the previous grant's end; the hint names the longest
//     such run of back-to-back grants (at most the network's maximum).
const (
	PatternWindow = 30 * 24 * time.Hour
	PatternRepeat = 3
	PatternGap    = time.Hour
)

// Patterns returns the request patterns of r's user on r's network.
func (s *Service) Patterns(ctx context.Context, r store.Request) (api.Patterns, error) {
	now := s.opt.Clock.Now().UTC()
	q := s.opt.DB
	since := now.Add(-PatternWindow)
	reqs, err := store.RequestsOfUserOnNetwork(ctx, q, r.UserID, r.NetworkID, since)
	if err != nil {
		return api.Patterns{}, err
	}
	n, err := store.NetworkByID(ctx, q, r.NetworkID)
	if err != nil {
		return api.Patterns{}, err
	}
	out := api.Patterns{UserID: r.UserID, NetworkID: r.NetworkID, Since: since, GrantedSeconds: []int64{}, Hints: []api.Hint{}, ServerTime: now}
	var asked []store.Request // access and break-glass requests, oldest first
	people := 0
	for _, x := range reqs {
		if x.KindOrAccess() == api.KindExtension {
			out.Extensions++
			continue
		}
		out.Requests++
		asked = append(asked, x)
		switch {
		case x.Status == api.StatusDenied:
			out.Denied++
		case !x.DecidedAt.IsZero() && !x.ExpiresAt.IsZero():
			out.Approved++
			if x.Rule != "" {
				out.AutoApproved++
			} else {
				people++
			}
			out.GrantedSeconds = append(out.GrantedSeconds, int64(x.Granted/time.Second))
		}
	}
	if len(out.GrantedSeconds) > 0 {
		sorted := slices.Sorted(slices.Values(out.GrantedSeconds))
		out.MedianGrantedSeconds, out.MaxGrantedSeconds = sorted[len(sorted)/2], sorted[len(sorted)-1]
	}
	who := r.UserEmail
	if people >= PatternRepeat && out.Denied == 0 {
		c, err := candidate(ctx, q, r.UserID, n)
		if err != nil {
			return api.Patterns{}, err
		}
		c.Kind, c.At, c.Wished = api.KindAccess, now, time.Duration(out.MedianGrantedSeconds)*time.Second
		rules, err := store.RulesOfNetwork(ctx, q, n.ID)
		if err != nil {
			return api.Patterns{}, err
		}
		if Evaluate(rules, c, nil).Rule == nil {
			out.Hints = append(out.Hints, api.Hint{Kind: api.HintRule, Message: fmt.Sprintf(
				"%s asked for %s %d times in the last %d days and people approved every one (typically %s): an auto-approval rule for them, or a group of theirs, up to %s would spare the wait",
				who, n.Name, out.Requests, int(PatternWindow.Hours()/24), humantime.Span(c.Wished), humantime.Span(c.Wished))})
		}
	}
	// Requests made within PatternGap of the previous grant's end, and
	// the longest run of back-to-back grants.
	short, longest, run := out.Extensions, time.Duration(0), time.Duration(0)
	var prevEnd time.Time
	for _, x := range asked {
		granted := !x.DecidedAt.IsZero() && !x.ExpiresAt.IsZero()
		gap := x.RequestedAt.Sub(prevEnd)
		backToBack := !prevEnd.IsZero() && gap >= 0 && gap <= PatternGap
		if backToBack {
			short++
		}
		if !granted {
			continue
		}
		if backToBack {
			run += x.Granted
		} else {
			run = x.Granted
		}
		longest = max(longest, run)
		prevEnd = grantEnd(x)
	}
	if short >= PatternRepeat {
		suggest := min(max(longest, time.Duration(out.MaxGrantedSeconds)*time.Second), n.MaxDuration)
		out.Hints = append(out.Hints, api.Hint{Kind: api.HintLongerDuration, Message: fmt.Sprintf(
			"%s's access to %s ran out before the work was done %d times in the last %d days (extensions, or a new request within %s of a grant's end): a grant of %s would serve",
			who, n.Name, short, int(PatternWindow.Hours()/24), humantime.Span(PatternGap), humantime.Span(suggest))})
	}
	return out, nil
}

// grantEnd is when a grant ended: its end, or its expiry.
func grantEnd(g store.Request) time.Time {
	if !g.EndedAt.IsZero() && g.EndedAt.Before(g.ExpiresAt) {
		return g.EndedAt
	}
	return g.ExpiresAt
}
