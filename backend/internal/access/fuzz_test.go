package access

import (
	"math"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"gatepass.dev/backend/internal/fault"
)

// secondsToMax turns a fuzzed count of seconds into a max Duration,
// saturating instead of overflowing.
func secondsToMax(s int64) time.Duration {
	const per = int64(time.Second)
	switch {
	case s > math.MaxInt64/per:
		return time.Duration(math.MaxInt64)
	case s < math.MinInt64/per:
		return time.Duration(math.MinInt64)
	}
	return time.Duration(s) * time.Second
}

func FuzzValidateRequest(f *testing.F) {
	maxGrantSecs := int64(MaxGrant / time.Second)
	seeds := []struct {
		reason    string
		secs, max int64
	}{
		{"deploy hotfix", 3600, 8 * 3600},
		{"  trimmed  ", 0, 0},
		{"", 60, 3600},
		{" \t\n ", 60, 0},
		{"a\nb", 60, 0},
		{"a\rb", 60, 0},
		{"a\u0085b", 60, 0},
		{"a\u2028b", 60, 0},
		{"a\x7fb", 60, 0},
		{"\xff\xfe", 60, 0},
		{strings.Repeat("😀", MaxReasonRunes), 1, 1},
		{strings.Repeat("a", MaxReasonRunes+1), 1, 1},
		{"ok", -1, 0},
		{"ok", math.MinInt64, math.MinInt64},
		{"ok", math.MaxInt64, math.MaxInt64},
		{"ok", math.MaxInt64 / int64(time.Second), 0},
		{"ok", math.MaxInt64/int64(time.Second) + 1, -1},
		{"ok", maxGrantSecs, 0},
		{"ok", maxGrantSecs + 1, 0},
		{"ok", maxGrantSecs + 1, 2 * maxGrantSecs},
		{"ok", 3601, 3600},
		{"ok", 1 << 62, math.MaxInt64},
	}
	for _, s := range seeds {
		f.Add(s.reason, s.secs, s.max)
	}
	f.Fuzz(func(t *testing.T, reason string, seconds, maxSeconds int64) {
		// maxSeconds read both as seconds and as a raw Duration, so sub-second
		// and non-whole maxima are exercised too.
		for _, max := range []time.Duration{secondsToMax(maxSeconds), time.Duration(maxSeconds)} {
			in, err := ValidateNewRequest(reason, seconds, max)
			if err != nil {
				f := fault.From(err)
				if f.Kind != fault.Invalid {
					t.Fatalf("ValidateNewRequest(%q, %d, %v): error %v is not invalid input", reason, seconds, max, err)
				}
				if f.Field != "reason" && f.Field != "duration_seconds" {
					t.Fatalf("error %v does not name a known field", err)
				}
				if in != (NewRequestInput{}) {
					t.Fatalf("returned %+v with an error", in)
				}
				continue
			}

			r := in.Reason
			switch {
			case r == "":
				t.Fatalf("empty reason accepted from %q", reason)
			case r != strings.TrimSpace(r):
				t.Fatalf("reason %q not trimmed", r)
			case r != strings.TrimSpace(reason):
				t.Fatalf("reason %q is not the trimmed input %q", r, reason)
			case !utf8.ValidString(r):
				t.Fatalf("reason %q is not valid UTF-8", r)
			case utf8.RuneCountInString(r) > MaxReasonRunes:
				t.Fatalf("reason has %d runes", utf8.RuneCountInString(r))
			case strings.ContainsAny(r, "\r\n\u2028\u2029"):
				t.Fatalf("reason %q contains a line break", r)
			}
			for _, c := range r {
				if unicode.IsControl(c) {
					t.Fatalf("reason %q contains control character U+%04X", r, c)
				}
			}
			if again, err := ValidateReason(r); err != nil || again != r {
				t.Fatalf("ValidateReason not idempotent on %q: %q, %v", r, again, err)
			}

			w := in.Wished
			switch {
			case w < 0:
				t.Fatalf("negative duration %v", w)
			case w%time.Second != 0:
				t.Fatalf("duration %v is not whole seconds", w)
			case w > MaxGrant:
				t.Fatalf("duration %v over MaxGrant (seconds=%d, max=%v)", w, seconds, max)
			case max > 0 && w > max:
				t.Fatalf("duration %v over max %v", w, max)
			case seconds < 0:
				t.Fatalf("negative seconds %d accepted", seconds)
			case w != time.Duration(seconds)*time.Second:
				t.Fatalf("duration %v is not %d seconds", w, seconds)
			}
		}
	})
}
