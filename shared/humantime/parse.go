package humantime

import (
	"errors"
	"strconv"
	"strings"
	"time"
)

// units are the unit names Parse knows: Go's, plus days and weeks.
var units = map[string]uint64{
	"ns": uint64(time.Nanosecond),
	"us": uint64(time.Microsecond),
	"µs": uint64(time.Microsecond), // U+00B5
	"μs": uint64(time.Microsecond), // U+03BC
	"ms": uint64(time.Millisecond),
	"s":  uint64(time.Second),
	"m":  uint64(time.Minute),
	"h":  uint64(time.Hour),
	"d":  uint64(Day),
	"w":  uint64(Week),
}

// ErrSyntax is wrapped by every error of Parse.
var ErrSyntax = errors.New("not a duration")

// Parse reads a duration as people type it: an optional sign, then one or
// more parts, each a number (decimals allowed) and a unit — ns, us (µs),
// ms, s, m, h, d (24 h), w (7 d) — with or without spaces between and
// within the parts: "90m", "8h", "1d", "1d 2h", "2h30m", "1.5h", "8 h",
// "-1d12h". A lone "0" needs no unit. Surrounding space is ignored. The error says what is wrong in
// words, for the person who typed it, and wraps ErrSyntax.
func Parse(s string) (time.Duration, error) {
	orig := s
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, fail(orig, "it is empty")
	}
	neg := false
	if s[0] == '-' || s[0] == '+' {
		neg = s[0] == '-'
		s = s[1:]
	}
	if s == "0" {
		return 0, nil
	}
	if s == "" {
		return 0, fail(orig, "a number and a unit are missing")
	}
	var total uint64
	for s != "" {
		// The number: digits, then an optional fraction.
		var (
			v, f  uint64
			scale = 1.0
			ok    bool
		)
		pl := len(s)
		v, s, ok = leadingInt(s)
		if !ok {
			return 0, fail(orig, "it is too long")
		}
		pre := pl != len(s)
		post := false
		if s != "" && s[0] == '.' {
			s = s[1:]
			pl := len(s)
			f, scale, s = leadingFraction(s)
			post = pl != len(s)
		}
		if !pre && !post {
			return 0, fail(orig, "each part is a number and a unit, e.g. 8h, 90m or 1d 12h")
		}
		// The unit (after optional spaces): up to the next digit, dot or space.
		s = strings.TrimLeft(s, " ")
		i := 0
		for ; i < len(s); i++ {
			c := s[i]
			if c == '.' || c == ' ' || ('0' <= c && c <= '9') {
				break
			}
		}
		if i == 0 {
			return 0, fail(orig, "a unit is missing (w, d, h, m, s), e.g. 8h or 2d")
		}
		name := s[:i]
		s = strings.TrimLeft(s[i:], " ")
		unit, ok := units[name]
		if !ok {
			return 0, fail(orig, "unknown unit "+strconv.Quote(name)+" (w, d, h, m, s, ms)")
		}
		if v > 1<<63/unit {
			return 0, fail(orig, "it is too long")
		}
		v *= unit
		if f > 0 {
			// float64 is needed to be nanosecond accurate for fractions of hours;
			// v >= 0 && (f*unit/scale) <= 3.6e+12 (ns/h, h is the largest unit but d and w)
			v += uint64(float64(f) * (float64(unit) / scale))
			if v > 1<<63 {
				return 0, fail(orig, "it is too long")
			}
		}
		total += v
		if total > 1<<63 {
			return 0, fail(orig, "it is too long")
		}
	}
	if neg {
		return -time.Duration(total), nil
	}
	if total > 1<<63-1 {
		return 0, fail(orig, "it is too long")
	}
	return time.Duration(total), nil
}

type parseError struct{ input, why string }

func (e *parseError) Error() string {
	return strconv.Quote(e.input) + " is not a duration: " + e.why
}

func (e *parseError) Unwrap() error { return ErrSyntax }

func fail(input, why string) error { return &parseError{input: input, why: why} }

// leadingInt consumes the leading [0-9]* of s; ok is false on overflow.
func leadingInt(s string) (x uint64, rem string, ok bool) {
	i := 0
	for ; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			break
		}
		if x > 1<<63/10 {
			return 0, rem, false
		}
		x = x*10 + uint64(c) - '0'
		if x > 1<<63 {
			return 0, rem, false
		}
	}
	return x, s[i:], true
}

// leadingFraction consumes the leading [0-9]* of s as a fraction: its
// digits as an integer and the power of ten to divide by; digits that would
// overflow are dropped.
func leadingFraction(s string) (x uint64, scale float64, rem string) {
	i := 0
	scale = 1
	overflow := false
	for ; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			break
		}
		if overflow {
			continue
		}
		if x > (1<<63-1)/10 {
			overflow = true
			continue
		}
		y := x*10 + uint64(c) - '0'
		if y > 1<<63 {
			overflow = true
			continue
		}
		x = y
		scale *= 10
	}
	return x, scale, s[i:]
}
