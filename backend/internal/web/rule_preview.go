package web

import (
	"net/http"
	"strings"
	"time"

	"gatepass.dev/backend/internal/fault"
	"gatepass.dev/shared/api"
)

// previewView is the preview form on a network's page — "which rule would
// a request by <user> for <duration> at <time> hit?" — and its answer
// (access.Service.Preview, the API's dry run): the outcome, the API's
// explanation, and every rule's verdict with its reasons. The time is
// read in the time zone the form names (by default the zone of the first
// rule with a schedule, else UTC), as schedules are; empty is now.
// Previewing writes nothing, so it is a GET: its answer can be linked.
type previewView struct {
	Asked  bool
	User   string // user id
	Amount string // the wished duration; "" for no wish
	Unit   string
	At     string // "2006-01-02T15:04" in Zone; "" for now
	Zone   string
	Reason string
	Result *api.Preview
	When   time.Time // the moment previewed, in Zone
	Error  string
	Field  string
}

// previewLabels name the API's preview fields as the form does.
var previewLabels = map[string]string{
	"user_id": "User", "duration_seconds": "Duration", "reason": "Reason", "at": "At", "time_zone": "Time zone",
}

// defaults fills what the form shows before anything was asked.
func (p *previewView) defaults(rules []ruleRow) {
	if p.Unit == "" {
		p.Unit = "h"
	}
	if p.Zone == "" {
		p.Zone = "UTC"
		for _, r := range rules {
			if r.Zone != "" {
				p.Zone = r.Zone
				break
			}
		}
	}
}

// previewRules answers the preview form on the network's page.
func (s *Server) previewRules(w http.ResponseWriter, r *http.Request, v *visit) {
	n, ok := s.networkOr404(w, r, v)
	if !ok {
		return
	}
	q := r.URL.Query()
	p := previewView{Asked: true, User: q.Get("user"), Amount: strings.TrimSpace(q.Get("duration_amount")), Unit: q.Get("duration_unit"),
		At: strings.TrimSpace(q.Get("at")), Zone: strings.TrimSpace(q.Get("time_zone")), Reason: q.Get("reason")}
	in, err := p.input(s.now())
	if err == nil {
		var res api.Preview
		if res, err = s.Access.Preview(r.Context(), n.ID, in); err == nil {
			p.Result = &res
		}
	}
	status := http.StatusOK
	if err != nil {
		text, field, ok := problemIn(err, previewLabels)
		if !ok {
			s.serverError(w, r, v, err)
			return
		}
		p.Error, p.Field, status = text, field, http.StatusBadRequest
	}
	s.renderNetwork(w, r, v, status, n, p)
}

// input is the API's preview request of the form; it fills p.When.
func (p *previewView) input(now time.Time) (api.PreviewRequest, error) {
	in := api.PreviewRequest{UserID: p.User, Reason: p.Reason}
	if in.UserID == "" {
		return in, fault.Field("user_id", "choose the user who would ask")
	}
	get := func(k string) string {
		return map[string]string{"duration_amount": p.Amount, "duration_unit": p.Unit}[k]
	}
	if secs, ok, err := durationInput(get, "duration"); err != nil {
		return in, err
	} else if ok {
		in.DurationSeconds = &secs
	}
	zone := p.Zone
	if zone == "" {
		zone = "UTC"
	}
	loc, err := time.LoadLocation(zone)
	if err != nil || strings.EqualFold(zone, "local") {
		return in, fault.Field("time_zone", "%q is not an IANA time zone such as Europe/Berlin or UTC", zone)
	}
	p.When = now.In(loc)
	if p.At == "" {
		return in, nil
	}
	var at time.Time
	for _, layout := range []string{"2006-01-02T15:04", "2006-01-02T15:04:05", "2006-01-02 15:04"} {
		if at, err = time.ParseInLocation(layout, p.At, loc); err == nil {
			break
		}
	}
	if err != nil {
		return in, fault.Field("at", "%q is not a date and time like 2026-11-30T19:00", p.At)
	}
	p.When = at
	atUTC := at.UTC()
	in.At = &atUTC
	return in, nil
}
