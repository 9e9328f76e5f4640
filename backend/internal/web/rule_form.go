package web

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"gatepass.dev/backend/internal/access"
	"gatepass.dev/backend/internal/fault"
	"gatepass.dev/backend/internal/store"
	"gatepass.dev/shared/api"
)

// ruleForm is the create and edit form of a rule.
type ruleForm struct {
	ID        string // "" when creating
	N         store.Network
	Name      string
	Users     map[string]bool
	Groups    map[string]bool
	MaxAmount string // "" for the network's maximum
	MaxUnit   string
	Scheduled bool
	Days      map[string]bool
	From, To  string
	Zone      string
	Pattern   string
	AllUsers  []store.User
	AllGroups []store.Group
	Error     string
	Field     string
}

// dayChoice is a weekday's checkbox.
type dayChoice struct{ Key, Label string }

// DayList is the week, Monday first.
func (ruleForm) DayList() []dayChoice {
	return []dayChoice{{"mon", "Mon"}, {"tue", "Tue"}, {"wed", "Wed"}, {"thu", "Thu"}, {"fri", "Fri"}, {"sat", "Sat"}, {"sun", "Sun"}}
}

// ruleLabels name the API's rule fields as the form does, for its messages.
var ruleLabels = map[string]string{
	"name": "Name", "action": "Action", "user_ids": "Whom it serves", "group_ids": "Groups",
	"max_duration_seconds": "Longest grant", "schedule.days": "Days", "schedule.from": "From",
	"schedule.to": "Until", "schedule.time_zone": "Time zone", "reason_pattern": "Reason pattern",
}

func ruleFormOf(r store.Rule, n store.Network) ruleForm {
	f := ruleForm{ID: r.ID, N: n, Name: r.Name, Users: set(r.UserIDs), Groups: set(r.GroupIDs), MaxUnit: "h",
		Days: set([]string{"mon", "tue", "wed", "thu", "fri"}), From: "08:00", To: "18:00", Pattern: r.ReasonPattern}
	if r.MaxDuration > 0 {
		amount, unit := splitDuration(r.MaxDuration)
		f.MaxAmount, f.MaxUnit = fmt.Sprint(amount), unit
	}
	if sched, ok, err := access.LoadSchedule(r.Schedule); err == nil && ok {
		a := sched.API()
		f.Scheduled, f.Days, f.From, f.To, f.Zone = true, set(a.Days), a.From, a.To, a.TimeZone
	}
	return f
}

func (s *Server) newRulePage(w http.ResponseWriter, r *http.Request, v *visit) {
	if n, ok := s.networkOr404(w, r, v); ok {
		s.renderRuleForm(w, r, v, http.StatusOK, ruleFormOf(store.Rule{}, n))
	}
}

func (s *Server) editRulePage(w http.ResponseWriter, r *http.Request, v *visit) {
	if rule, n, ok := s.ruleOr404(w, r, v); ok {
		s.renderRuleForm(w, r, v, http.StatusOK, ruleFormOf(rule, n))
	}
}

// ruleOr404 loads the rule of the path and its network, or answers with
// the 404 page (or the error page).
func (s *Server) ruleOr404(w http.ResponseWriter, r *http.Request, v *visit) (store.Rule, store.Network, bool) {
	rule, err := store.RuleByID(r.Context(), s.DB, r.PathValue("id"))
	var n store.Network
	if err == nil {
		n, err = store.NetworkByID(r.Context(), s.DB, rule.NetworkID)
	}
	if errors.Is(err, store.ErrNotFound) {
		s.renderError(w, r, v, http.StatusNotFound, "Not found", "There is no such rule. It may have been deleted.")
		return rule, n, false
	} else if err != nil {
		s.serverError(w, r, v, err)
		return rule, n, false
	}
	return rule, n, true
}

func (s *Server) renderRuleForm(w http.ResponseWriter, r *http.Request, v *visit, status int, f ruleForm) {
	var err error
	if f.AllUsers, err = store.ListUsers(r.Context(), s.DB); err != nil {
		s.serverError(w, r, v, err)
		return
	}
	if f.AllGroups, err = store.ListGroups(r.Context(), s.DB); err != nil {
		s.serverError(w, r, v, err)
		return
	}
	title := "New rule · " + f.N.Name
	if f.ID != "" {
		title = "Rule " + f.Name + " · " + f.N.Name
	}
	s.render(w, r, v, status, "rule_form", title, f)
}

// createRule adds a rule at the end of a network's list
// (admin.CreateRule, as the API).
func (s *Server) createRule(w http.ResponseWriter, r *http.Request, v *visit) {
	n, ok := s.networkOr404(w, r, v)
	if !ok {
		return
	}
	f, in, err := readRuleForm(r, n, nil)
	var rule store.Rule
	if err == nil {
		rule, err = s.Admin.CreateRule(r.Context(), v.Actor, n.ID, in)
	}
	if err != nil {
		s.ruleFormError(w, r, v, f, err)
		return
	}
	s.setFlash(r.Context(), v, "ok", fmt.Sprintf("Added the rule %s to %s as number %d.", rule.Name, n.Name, rule.Position))
	redirect(w, r, "/admin/networks/"+url.PathEscape(n.ID)+"#rules")
}

// updateRule saves the fields of the form that changed (admin.UpdateRule).
func (s *Server) updateRule(w http.ResponseWriter, r *http.Request, v *visit) {
	cur, n, ok := s.ruleOr404(w, r, v)
	if !ok {
		return
	}
	f, in, err := readRuleForm(r, n, &cur)
	var rule store.Rule
	if err == nil {
		rule, err = s.Admin.UpdateRule(r.Context(), v.Actor, cur.ID, in)
	}
	if err != nil {
		s.ruleFormError(w, r, v, f, err)
		return
	}
	s.setFlash(r.Context(), v, "ok", fmt.Sprintf("Saved the rule %s of %s.", rule.Name, n.Name))
	redirect(w, r, "/admin/networks/"+url.PathEscape(n.ID)+"#rules")
}

// ruleFormError shows the form again with a validation failure, or the
// error page for any other error.
func (s *Server) ruleFormError(w http.ResponseWriter, r *http.Request, v *visit, f ruleForm, err error) {
	if errors.Is(err, store.ErrNotFound) && fault.From(err).Field == "" {
		s.renderError(w, r, v, http.StatusNotFound, "Not found", "There is no such rule or network. It may have been deleted.")
		return
	}
	text, field, ok := problemIn(err, ruleLabels)
	if !ok {
		s.serverError(w, r, v, err)
		return
	}
	f.Error, f.Field = text, field
	s.renderRuleForm(w, r, v, http.StatusBadRequest, f)
}

// readRuleForm reads the posted form into f and the API's input. For an
// edit (cur given) only the fields that differ are set, so the audit row
// names what changed.
func readRuleForm(r *http.Request, n store.Network, cur *store.Rule) (ruleForm, api.RuleInput, error) {
	get := r.PostFormValue
	_ = r.ParseForm()
	users, groups, days := ids(r, "user"), ids(r, "group"), ids(r, "day")
	f := ruleForm{N: n, Name: strings.TrimSpace(get("name")), Users: set(users), Groups: set(groups),
		MaxAmount: strings.TrimSpace(get("max_amount")), MaxUnit: get("max_unit"), Scheduled: get("scheduled") == "on",
		Days: set(days), From: strings.TrimSpace(get("from")), To: strings.TrimSpace(get("to")),
		Zone: strings.TrimSpace(get("time_zone")), Pattern: strings.TrimSpace(get("reason_pattern"))}
	var in api.RuleInput
	maxSecs, _, err := durationInput(get, "max")
	if err != nil {
		return f, in, fault.Field("max_duration_seconds", "must be a whole number of minutes, hours or days (leave it empty for the network's maximum)")
	}
	var sched *api.Schedule
	if f.Scheduled {
		sched = &api.Schedule{Days: days, From: f.From, To: f.To, TimeZone: f.Zone}
	}
	if cur == nil {
		action := api.ActionAutoApprove
		in = api.RuleInput{Name: &f.Name, Action: &action, UserIDs: &users, GroupIDs: &groups, MaxDurationSeconds: &maxSecs,
			Schedule: api.OptionalSchedule{Set: true, Value: sched}, ReasonPattern: &f.Pattern}
		return f, in, nil
	}
	f.ID = cur.ID
	if f.Name != cur.Name {
		in.Name = &f.Name
	}
	if !sameSet(users, cur.UserIDs) {
		in.UserIDs = &users
	}
	if !sameSet(groups, cur.GroupIDs) {
		in.GroupIDs = &groups
	}
	if time.Duration(maxSecs)*time.Second != cur.MaxDuration {
		in.MaxDurationSeconds = &maxSecs
	}
	switch {
	case sched == nil && cur.Schedule != "":
		in.Schedule = api.OptionalSchedule{Set: true}
	case sched != nil:
		if parsed, err := access.ParseSchedule(*sched); err != nil || parsed.JSON() != cur.Schedule {
			in.Schedule = api.OptionalSchedule{Set: true, Value: sched}
		}
	}
	if f.Pattern != cur.ReasonPattern {
		in.ReasonPattern = &f.Pattern
	}
	return f, in, nil
}
