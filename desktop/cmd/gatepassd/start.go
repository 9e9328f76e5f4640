package main

// `gatepassd request --start S`: when a scheduled access starts. Decisions:
//
//   - RFC 3339 is taken as it is ("2026-11-24T09:00:00+01:00", "…Z").
//   - "in D" is D from now on the server's clock (the agent's clock
//     corrected by its measured offset: the status's server_time), D as
//     --duration reads it: "in 2h", "in 90m", "in 1d 12h".
//   - A wall-clock time is in this machine's time zone: "tomorrow 09:00",
//     "today 14:30", "2026-11-24 09:00", or "09:00" alone (today, or
//     tomorrow when it has passed).
//
// Anything else is a usage error that lists these forms. Whether the
// start is in the future and not too far ahead is the agent's and the
// server's rule (at most 90 days).

import (
	"fmt"
	"strings"
	"time"

	"gatepass.dev/shared/humantime"
)

const startForms = `use RFC 3339 (2026-11-24T09:00:00+01:00), "in 2h", "tomorrow 09:00", "today 14:30", "2026-11-24 09:00" or "09:00"`

// parseStart reads --start at now (the server's clock), wall-clock times
// in loc.
func parseStart(s string, now time.Time, loc *time.Location) (time.Time, error) {
	s = strings.Join(strings.Fields(s), " ")
	if s == "" {
		return time.Time{}, fmt.Errorf("it is empty: %s", startForms)
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	low := strings.ToLower(s)
	if rest, ok := strings.CutPrefix(low, "in "); ok {
		d, err := humantime.Parse(rest)
		if err != nil {
			return time.Time{}, fmt.Errorf("%q: %v", s, err)
		}
		if d <= 0 {
			return time.Time{}, fmt.Errorf("%q is not ahead: %s", s, startForms)
		}
		return now.Add(d), nil
	}
	today := now.In(loc)
	day := func(offset int, hhmm string) (time.Time, error) {
		c, err := time.Parse("15:04", hhmm)
		if err != nil {
			return time.Time{}, fmt.Errorf("%q: %q is not a time of day such as 09:00", s, hhmm)
		}
		return time.Date(today.Year(), today.Month(), today.Day()+offset, c.Hour(), c.Minute(), 0, 0, loc), nil
	}
	if rest, ok := strings.CutPrefix(low, "tomorrow "); ok {
		return day(1, rest)
	}
	if rest, ok := strings.CutPrefix(low, "today "); ok {
		return day(0, rest)
	}
	if t, err := time.ParseInLocation("2006-01-02 15:04", s, loc); err == nil {
		return t, nil
	}
	if _, err := time.Parse("15:04", s); err == nil {
		t, _ := day(0, s)
		if !t.After(now) {
			t, _ = day(1, s)
		}
		return t, nil
	}
	return time.Time{}, fmt.Errorf("%q is not a start time: %s", s, startForms)
}
