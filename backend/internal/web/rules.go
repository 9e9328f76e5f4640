package web

import (
	"context"
	"time"

	"gatepass.dev/backend/internal/access"
	"gatepass.dev/backend/internal/store"
)

// Rules on a network's page (admin.Service's rules, as the API's
// /api/v1/admin/networks/{id}/rules): the ordered list — first match
// wins — with whom each serves, the longest grant it gives, its schedule
// in its own time zone (and whether its window is open now) and its reason
// pattern; a form to create and edit one (rule_form.go), moving one up or
// down and deleting one (rule_actions.go), and the preview of a
// hypothetical request (rule_preview.go, access.Service.Preview, the
// API's dry run). Rule names and patterns are the admins' text: rendered
// as text like all else, never as markup.

// ruleRow is a rule as the list shows it.
type ruleRow struct {
	store.Rule
	Users    []store.User
	Groups   []store.Group
	Schedule string // "Mon–Fri 08:00–18:00 Europe/Berlin"; "" for always
	Zone     string // the schedule's time zone
	OpenNow  bool   // the schedule's window is open now
	Max      time.Duration
	Capped   bool // Max is the rule's own, below the network's maximum
}

// ruleRows reads a network's rules in order, with the names they refer to.
func (s *Server) ruleRows(ctx context.Context, n store.Network, p networkPolicy) ([]ruleRow, error) {
	rules, err := store.RulesOfNetwork(ctx, s.DB, n.ID)
	if err != nil {
		return nil, err
	}
	now := s.now()
	out := make([]ruleRow, 0, len(rules))
	for _, r := range rules {
		row := ruleRow{Rule: r, Users: usersOf(p.Users, r.UserIDs), Groups: groupsOf(p.Groups, r.GroupIDs), Max: n.MaxDuration}
		if r.MaxDuration > 0 && r.MaxDuration < n.MaxDuration {
			row.Max, row.Capped = r.MaxDuration, true
		}
		if sched, ok, err := access.LoadSchedule(r.Schedule); err == nil && ok {
			row.Schedule, row.Zone, row.OpenNow = sched.String(), sched.Zone.String(), sched.Contains(now)
		}
		out = append(out, row)
	}
	return out, nil
}
