package access

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"
	_ "time/tzdata" // IANA time zones on any host, also without /usr/share/zoneinfo

	"gatepass.dev/backend/internal/fault"
	"gatepass.dev/shared/api"
)

// Schedule is a rule's weekly time window in a time zone, e.g. Mon–Fri
// 08:00–18:00 Europe/Berlin. It is read on the clock of its zone, so it
// follows daylight saving time: 08:00 in Berlin is 06:00 UTC in summer
// and 07:00 UTC in winter, whatever the server's own zone. A
// window whose end is not after its start (22:00–06:00) runs past
// midnight: it belongs to the day it starts on. Times have minute
// precision; "24:00" ends a window at midnight. The zone database is
// embedded (time/tzdata), so zones work on hosts without one.
type Schedule struct {
	Days     [7]bool // by time.Weekday
	From, To int     // minutes after midnight; To may be 1440
	Zone     *time.Location
	in       api.Schedule
}

var dayNames = []string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"}

// ParseSchedule validates a schedule (errors name the field
// schedule.days, schedule.from, schedule.to or schedule.time_zone).
func ParseSchedule(in api.Schedule) (Schedule, error) {
	var s Schedule
	if len(in.Days) == 0 {
		return s, fault.Field("schedule.days", "name at least one day (mon, tue, wed, thu, fri, sat, sun)")
	}
	var days []string
	for _, d := range in.Days {
		i := slices.Index(dayNames, strings.ToLower(strings.TrimSpace(d)))
		if i < 0 {
			return s, fault.Field("schedule.days", "%q is not a day: use mon, tue, wed, thu, fri, sat or sun", d)
		}
		s.Days[i] = true
	}
	for i := 1; i <= 7; i++ { // canonical order, Monday first
		if s.Days[i%7] {
			days = append(days, dayNames[i%7])
		}
	}
	var err error
	if s.From, err = clock(in.From, false); err != nil {
		return s, fault.Field("schedule.from", "%v", err)
	}
	if s.To, err = clock(in.To, true); err != nil {
		return s, fault.Field("schedule.to", "%v", err)
	}
	if s.From == s.To {
		return s, fault.Field("schedule.to", "the window must not end when it starts (leave the schedule out for all day)")
	}
	zone := strings.TrimSpace(in.TimeZone)
	if zone == "" {
		return s, fault.Field("schedule.time_zone", "is required: an IANA time zone such as Europe/Berlin or UTC")
	}
	if s.Zone, err = time.LoadLocation(zone); err != nil || strings.EqualFold(zone, "local") {
		return s, fault.Field("schedule.time_zone", "%q is not an IANA time zone such as Europe/Berlin or UTC", zone)
	}
	s.in = api.Schedule{Days: days, From: in.From, To: in.To, TimeZone: s.Zone.String()}
	return s, nil
}

// clock reads "HH:MM" as minutes after midnight; "24:00" only when end.
func clock(v string, end bool) (int, error) {
	t, err := time.Parse("15:04", strings.TrimSpace(v))
	if err == nil {
		return t.Hour()*60 + t.Minute(), nil
	}
	if end && strings.TrimSpace(v) == "24:00" {
		return 24 * 60, nil
	}
	return 0, fmt.Errorf("%q is not a time of day like 08:00", v)
}

// API returns the canonical wire form (days Monday first).
func (s Schedule) API() api.Schedule { return s.in }

// JSON is the stored form.
func (s Schedule) JSON() string {
	b, _ := json.Marshal(s.in)
	return string(b)
}

// Contains reports whether t falls in the window.
func (s Schedule) Contains(t time.Time) bool {
	local := t.In(s.Zone)
	day := local.Weekday()
	mins := local.Hour()*60 + local.Minute()
	if s.From < s.To {
		return s.Days[day] && s.From <= mins && mins < s.To
	}
	prev := (day + 6) % 7
	return (s.Days[day] && mins >= s.From) || (s.Days[prev] && mins < s.To)
}

// String is the window for people: "Mon–Fri 08:00–18:00 Europe/Berlin".
func (s Schedule) String() string {
	var runs []string
	order := []int{1, 2, 3, 4, 5, 6, 0}
	for i := 0; i < 7; {
		if !s.Days[order[i]] {
			i++
			continue
		}
		j := i
		for j+1 < 7 && s.Days[order[j+1]] {
			j++
		}
		name := func(k int) string { d := dayNames[order[k]]; return strings.ToUpper(d[:1]) + d[1:] }
		switch {
		case j == i:
			runs = append(runs, name(i))
		case j == i+1:
			runs = append(runs, name(i), name(j))
		default:
			runs = append(runs, name(i)+"–"+name(j))
		}
		i = j + 1
	}
	return fmt.Sprintf("%s %s–%s %s", strings.Join(runs, ", "), s.in.From, s.in.To, s.Zone)
}

// LoadSchedule parses a rule's stored schedule ("" for none: ok false).
func LoadSchedule(stored string) (Schedule, bool, error) {
	if stored == "" {
		return Schedule{}, false, nil
	}
	var in api.Schedule
	if err := json.Unmarshal([]byte(stored), &in); err != nil {
		return Schedule{}, false, fmt.Errorf("stored schedule: %w", err)
	}
	s, err := ParseSchedule(in)
	return s, err == nil, err
}
