package main

import (
	"errors"
	"fmt"
	"strconv"
	"time"
)

// parseDuration parses durations like 8h, 90m, 1h30m, 2d, 1w, 1d12h.
func parseDuration(s string) (time.Duration, error) {
	orig := s
	var total time.Duration
	if s == "" {
		return 0, errors.New("empty duration")
	}
	for s != "" {
		i := 0
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		if i == 0 {
			return 0, fmt.Errorf("%q: want a number and a unit (w, d, h, m, s), e.g. 8h or 2d", orig)
		}
		n, err := strconv.ParseInt(s[:i], 10, 64)
		if err != nil {
			return 0, fmt.Errorf("%q: %v", orig, err)
		}
		s = s[i:]
		j := 0
		for j < len(s) && (s[j] < '0' || s[j] > '9') {
			j++
		}
		var unit time.Duration
		switch s[:j] {
		case "w":
			unit = 7 * 24 * time.Hour
		case "d":
			unit = 24 * time.Hour
		case "h":
			unit = time.Hour
		case "m":
			unit = time.Minute
		case "s":
			unit = time.Second
		default:
			return 0, fmt.Errorf("%q: unknown unit %q (w, d, h, m, s)", orig, s[:j])
		}
		s = s[j:]
		if n > int64((1<<63-1)/unit) {
			return 0, fmt.Errorf("%q: too long", orig)
		}
		total += time.Duration(n) * unit
	}
	if total <= 0 {
		return 0, fmt.Errorf("%q: must be positive", orig)
	}
	return total, nil
}
