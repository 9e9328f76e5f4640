// Package timefmt formats the time left on a grant the way the whole
// desktop shows it (the window's frontend has the same rules in
// frontend/src/format.ts): "29d 23h" while a day or more is left, then
// "7h 59m", then "9m 59s". Times are rounded down, so a fresh 30-day grant
// reads "29d 23h", as in the product description. Ago says how long ago
// something was ("never" is the caller's word for no time at all).
package timefmt

import (
	"fmt"
	"time"
)

const day = 24 * time.Hour

// Left is d in the description's format: days and hours, then hours and
// minutes, then minutes and seconds; "0s" once nothing is left.
func Left(d time.Duration) string {
	if d <= 0 {
		return "0s"
	}
	switch {
	case d >= day:
		return fmt.Sprintf("%dd %dh", d/day, (d%day)/time.Hour)
	case d >= time.Hour:
		return fmt.Sprintf("%dh %dm", d/time.Hour, (d%time.Hour)/time.Minute)
	}
	return fmt.Sprintf("%dm %ds", d/time.Minute, (d%time.Minute)/time.Second)
}

// LeftCoarse is Left with whole minutes at most ("29d 23h", "7h 59m",
// "9m", "<1m"): for places that are not redrawn every second (the tray
// menu, notifications).
func LeftCoarse(d time.Duration) string {
	switch {
	case d <= 0:
		return "0m"
	case d < time.Minute:
		return "<1m"
	case d < time.Hour:
		return fmt.Sprintf("%dm", d/time.Minute)
	}
	return Left(d)
}

// NextChange is how long until LeftCoarse(d) reads differently (just
// after the next boundary): a redraw timer sleeps this long instead of
// ticking every second.
func NextChange(d time.Duration) time.Duration {
	switch {
	case d <= 0:
		return 0
	case d < time.Minute:
		return d
	case d < day:
		return d%time.Minute + time.Millisecond
	}
	return d%time.Hour + time.Millisecond
}

// Ago is how long ago something happened (d is the time since), for lists
// such as a device's "last seen": "just now" under a minute, then the
// largest whole unit, "5m ago", "3h ago", "2d ago" (rounded down). A time in
// the future (clock skew) is "just now".
func Ago(d time.Duration) string {
	switch {
	case d < time.Minute:
		return "just now"
	case d < time.Hour:
		return fmt.Sprintf("%dm ago", d/time.Minute)
	case d < day:
		return fmt.Sprintf("%dh ago", d/time.Hour)
	}
	return fmt.Sprintf("%dd ago", d/day)
}
