package config

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// ParseDuration parses a Go duration ("90m", "36h") that may start with a
// whole number of days ("7d", "1d12h").
func ParseDuration(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	i := strings.IndexByte(s, 'd')
	if i < 0 {
		return time.ParseDuration(s)
	}
	dayText, rest := s[:i], s[i+1:]
	neg := false
	if len(dayText) > 0 && (dayText[0] == '-' || dayText[0] == '+') {
		neg = dayText[0] == '-'
		dayText = dayText[1:]
	}
	days, err := strconv.ParseUint(dayText, 10, 32)
	if err != nil || dayText == "" {
		return 0, fmt.Errorf("time: invalid duration %q", s)
	}
	const maxDays = uint64((1<<63 - 1) / int64(24*time.Hour))
	if days > maxDays {
		return 0, fmt.Errorf("time: invalid duration %q", s)
	}
	d := time.Duration(days) * 24 * time.Hour
	if rest != "" {
		if rest[0] == '-' || rest[0] == '+' {
			return 0, fmt.Errorf("time: invalid duration %q", s)
		}
		r, err := time.ParseDuration(rest)
		if err != nil || r > (1<<63-1)-d {
			return 0, fmt.Errorf("time: invalid duration %q", s)
		}
		d += r
	}
	if neg {
		d = -d
	}
	return d, nil
}

// FormatDuration formats d like time.Duration.String, but as days plus the
// rest when d is at least a day: "7d", "1d12h0m0s".
func FormatDuration(d time.Duration) string {
	const day = 24 * time.Hour
	if d < day && d > -day {
		return d.String()
	}
	sign := ""
	if d < 0 {
		sign, d = "-", -d
	}
	s := sign + strconv.FormatInt(int64(d/day), 10) + "d"
	if rest := d % day; rest != 0 {
		s += rest.String()
	}
	return s
}
