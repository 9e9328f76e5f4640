// Package humantime formats and parses durations for people: the one set of
// rules behind every "Access expires in 7h 59m", "granted for 8h", "5m ago"
// and `--duration 1d 12h` of Gatepass. It has no dependencies.
//
// The forms, each rounded as stated:
//
//   - Countdown, the time left on a grant, rounded down (a fresh 30-day
//     grant reads "29d 23h", as in the product description): days and
//     hours while a day or more is left ("29d 23h", "1d 0h"), then hours
//     and minutes ("7h 59m", "1h 0m"), then minutes alone ("12m"), and
//     seconds only in the last minute ("59s"); "0s" once nothing is left.
//     Never "0m 12s": a countdown shows seconds only when there is nothing
//     but seconds, so a display that shows it changes at most once a minute
//     until the last minute (NextChange says when it changes next).
//   - Span, a length of time such as a grant's duration: the two largest
//     non-zero units of d rounded to the second ("8h", "30d", "1d 2h",
//     "1h 30m", "1d 30m", "45s"); "0s" for zero or less.
//   - Ago, how long ago something happened: "just now" under a minute,
//     then the largest whole unit rounded down ("5m ago", "3h ago",
//     "2d ago"); a time in the future (clock skew) is "just now".
//   - Parse reads what people type: Go durations ("90m", "2h30m", "1.5h",
//     "300ms"), plus days and weeks ("1d", "2w", "1d12h"), with spaces
//     between the parts ("1d 2h") and an optional sign. It accepts
//     everything the server's configuration and `gatepassd request
//     --duration` accepted before they shared it; whether a negative or zero
//     duration makes sense is the caller's rule.
//
// A day is 24 hours and a week 7 days: grants are measured in elapsed time,
// not calendar days.
//
// The window has a TypeScript twin of every function (frontend/src/format.ts);
// both are tested against the same table, testdata/vectors.json, so they
// cannot drift apart. Change a rule there first.
package humantime

import (
	"strconv"
	"time"
)

const (
	// Day is 24 hours.
	Day = 24 * time.Hour
	// Week is 7 days.
	Week = 7 * Day
)

// Countdown is the time left d as a countdown shows it: "29d 23h", "7h 59m",
// "12m", "59s" (rounded down); "0s" when d ≤ 0.
func Countdown(d time.Duration) string {
	switch {
	case d >= Day:
		return itoa(d/Day) + "d " + itoa(d%Day/time.Hour) + "h"
	case d >= time.Hour:
		return itoa(d/time.Hour) + "h " + itoa(d%time.Hour/time.Minute) + "m"
	case d >= time.Minute:
		return itoa(d/time.Minute) + "m"
	case d > 0:
		return itoa(d/time.Second) + "s"
	}
	return "0s"
}

// NextChange is how long until Countdown(d) reads differently, a
// millisecond past the boundary: a display sleeps this long instead of
// ticking. It is 0 when d ≤ 0 (the text never changes again).
func NextChange(d time.Duration) time.Duration {
	if d <= 0 {
		return 0
	}
	unit := time.Second
	switch {
	case d >= Day:
		unit = time.Hour
	case d >= time.Minute:
		unit = time.Minute
	}
	return d%unit + time.Millisecond
}

// Span is a length of time: its two largest non-zero units, rounded to the
// second ("8h", "30d", "1d 2h", "1h 30m", "45s"); "0s" when d rounds to
// zero or less.
func Span(d time.Duration) string {
	d = d.Round(time.Second)
	if d <= 0 {
		return "0s"
	}
	parts := make([]string, 0, 2)
	for _, u := range []struct {
		size time.Duration
		name string
	}{{Day, "d"}, {time.Hour, "h"}, {time.Minute, "m"}, {time.Second, "s"}} {
		if n := d / u.size; n > 0 {
			parts = append(parts, itoa(n)+u.name)
			d -= n * u.size
			if len(parts) == 2 {
				break
			}
		}
	}
	if len(parts) == 2 {
		return parts[0] + " " + parts[1]
	}
	return parts[0]
}

// Ago is how long ago something happened, d being the time since: "just
// now" under a minute (or in the future), then "5m ago", "3h ago", "2d ago"
// (rounded down).
func Ago(d time.Duration) string {
	switch {
	case d < time.Minute:
		return "just now"
	case d < time.Hour:
		return itoa(d/time.Minute) + "m ago"
	case d < Day:
		return itoa(d/time.Hour) + "h ago"
	}
	return itoa(d/Day) + "d ago"
}

func itoa(d time.Duration) string { return strconv.FormatInt(int64(d), 10) }
