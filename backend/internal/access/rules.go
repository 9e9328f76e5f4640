package access

// Rules: how a network's policy decides a request before people do.
//
// A network has an ordered list of named rules; the first that matches
// decides, and a request no rule matches waits for the network's approvers
// (its required_approvals of them). The only action is auto_approve: the
// request is approved at once by the system, as an approve event whose
// grant records the rule's name ("rule": "on-call") and whose audit row
// says why it matched ("alice@example.com is in group on-call; Mon 10:05
// Europe/Berlin is within Mon–Fri 08:00–18:00 Europe/Berlin; the reason
// matches ^OPS-[0-9]+; 2h is within the rule's 2h").
//
// A rule matches a request when all of these hold:
//
//   - subjects: the requester is one of its users or in one of its groups
//     (a rule names at least one: there is no rule for everyone);
//   - schedule (optional): the moment the access starts (now, or the
//     scheduled starts_at) is within its weekly window, in its time zone.
//     The grant is not cut at the window's end: the rule's maximum
//     duration bounds it;
//   - reason pattern (optional): the reason matches the RE2 regular
//     expression (unanchored unless it anchors itself; at most
//     MaxPatternLength characters, compiled when the rule is saved);
//   - duration: the grant fits the rule's maximum (its
//     max_duration_seconds, or the network's maximum): a wish above it
//     does not match — the rule does not shorten a wish, the request goes
//     on to the next rule and, if none matches, to people, who may grant
//     it. Without a wish the rule grants the network's default duration,
//     capped at its maximum. For an extension, the whole grant (its time
//     so far plus the wish) must fit, so that a rule of "up to 2 h" never
//     grows a grant past 2 h by extensions.
//
// Rules decide access requests (also scheduled ones) and extensions, not
// break-glass access (its own policy) nor anything on a network without
// JIT. Evaluate is pure and serves both the real decision and the
// dry-run preview (POST /api/v1/admin/networks/{id}/rules/preview), which
// lists every rule's verdict with its reasons.

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"gatepass.dev/backend/internal/store"
	"gatepass.dev/shared/api"
	"gatepass.dev/shared/humantime"
)

// MaxPatternLength bounds a rule's reason pattern.
const MaxPatternLength = 200

// Candidate is a request (real or hypothetical) as the rules see it.
type Candidate struct {
	UserID    string
	UserEmail string
	GroupIDs  []string
	Kind      api.RequestKind
	Reason    string
	Wished    time.Duration
	// At is when the access would start.
	At time.Time
	// Current is, for an extension, how long its grant lasts so far.
	Current time.Duration
	// NetworkDefault and NetworkMax are the network's durations.
	NetworkDefault, NetworkMax time.Duration
}

// Decision is what the rules say about a candidate.
type Decision struct {
	Rule     *store.Rule   // the first matching rule; nil for none
	Duration time.Duration // what it grants (an extension: the time added)
	Why      string        // the matching rule's reasons, for the audit log
	Checks   []api.RuleCheck
}

// Evaluate judges c by every rule in order; the first match decides.
func Evaluate(rules []store.Rule, c Candidate, groupNames map[string]string) Decision {
	var out Decision
	for i := range rules {
		r := &rules[i]
		ok, d, reasons := judge(r, c, groupNames)
		out.Checks = append(out.Checks, api.RuleCheck{RuleID: r.ID, Rule: r.Name, Matched: ok && out.Rule == nil, Reasons: reasons})
		if ok && out.Rule == nil {
			out.Rule, out.Duration, out.Why = r, d, strings.Join(reasons, "; ")
		}
	}
	return out
}

func judge(r *store.Rule, c Candidate, groupNames map[string]string) (bool, time.Duration, []string) {
	var reasons []string
	ok := true
	fail := func(format string, args ...any) {
		ok = false
		reasons = append(reasons, fmt.Sprintf(format, args...))
	}
	pass := func(format string, args ...any) { reasons = append(reasons, fmt.Sprintf(format, args...)) }

	if r.Action != api.ActionAutoApprove {
		fail("unknown action %q", r.Action)
	}
	if c.Kind == api.KindBreakGlass {
		fail("rules do not decide break-glass access")
	}
	who := c.UserEmail
	if who == "" {
		who = c.UserID
	}
	switch {
	case slices.Contains(r.UserIDs, c.UserID):
		pass("the rule names %s", who)
	default:
		var in, names []string
		for _, g := range r.GroupIDs {
			names = append(names, groupName(groupNames, g))
			if slices.Contains(c.GroupIDs, g) {
				in = append(in, groupName(groupNames, g))
			}
		}
		if len(in) > 0 {
			pass("%s is in group %s", who, strings.Join(in, ", "))
		} else if len(names) > 0 {
			fail("%s is neither named by the rule nor in its groups (%s)", who, strings.Join(names, ", "))
		} else {
			fail("the rule does not name %s", who)
		}
	}
	if sched, has, err := LoadSchedule(r.Schedule); err != nil {
		fail("its schedule cannot be read")
	} else if has {
		at := c.At.In(sched.Zone).Format("Mon 15:04") + " " + sched.Zone.String()
		if sched.Contains(c.At) {
			pass("%s is within %s", at, sched)
		} else {
			fail("%s is outside %s", at, sched)
		}
	}
	if r.ReasonPattern != "" {
		re, err := regexp.Compile(r.ReasonPattern)
		switch {
		case err != nil:
			fail("its reason pattern cannot be compiled")
		case re.MatchString(c.Reason):
			pass("the reason matches %s", r.ReasonPattern)
		default:
			fail("the reason does not match %s", r.ReasonPattern)
		}
	}
	limit := c.NetworkMax
	if r.MaxDuration > 0 && (limit == 0 || r.MaxDuration < limit) {
		limit = r.MaxDuration
	}
	d := c.Wished
	switch {
	case c.Kind == api.KindExtension:
		if total := c.Current + d; limit > 0 && total > limit {
			fail("the grant would last %s, more than the rule's %s", humantime.Span(total), humantime.Span(limit))
		} else {
			pass("the grant would last %s, within the rule's %s", humantime.Span(total), humantime.Span(limit))
		}
	case d == 0:
		d = c.NetworkDefault
		if limit > 0 && d > limit {
			d = limit
		}
		pass("no duration wished: it grants %s", humantime.Span(d))
	case limit > 0 && d > limit:
		fail("the wish of %s is more than the rule's %s", humantime.Span(d), humantime.Span(limit))
	default:
		pass("%s is within the rule's %s", humantime.Span(d), humantime.Span(limit))
	}
	return ok, d, reasons
}

func groupName(names map[string]string, id string) string {
	if n, ok := names[id]; ok {
		return n
	}
	return id
}
