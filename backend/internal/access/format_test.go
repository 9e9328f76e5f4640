package access

import (
	"math"
	"testing"
	"time"
)

func TestFormatDuration(t *testing.T) {
	const day = 24 * time.Hour
	tests := []struct {
		d    time.Duration
		want string
	}{
		{30 * day, "30d"},
		{30*day - time.Second, "29d 23h"}, // two largest units, truncated below
		{8 * time.Hour, "8h"},
		{90 * time.Minute, "1h 30m"},
		{day + 12*time.Hour, "1d 12h"},
		{45 * time.Minute, "45m"},
		{20 * time.Second, "20s"},
		{time.Second, "1s"},
		{time.Minute + time.Second, "1m 1s"},
		{MaxGrant, "365d"},
		{time.Duration(math.MaxInt64), "106751d 23h"},

		{0, "0s"},
		{-time.Second, "0s"},
		{-day, "0s"},
		{time.Duration(math.MinInt64), "0s"},

		// Rounded to the second first.
		{20*time.Second + 400*time.Millisecond, "20s"},
		{20*time.Second + 500*time.Millisecond, "21s"},
		{1500 * time.Millisecond, "2s"},
		{500 * time.Millisecond, "1s"},
		{59*time.Second + 500*time.Millisecond, "1m"},
		{time.Hour - 400*time.Millisecond, "1h"},
		{day - 400*time.Millisecond, "1d"},
		{90*time.Minute - 300*time.Millisecond, "1h 30m"},
	}
	for _, tc := range tests {
		if got := FormatDuration(tc.d); got != tc.want {
			t.Errorf("FormatDuration(%v) = %q, want %q", tc.d, got, tc.want)
		}
	}
}

// TestFormatDurationSubSecond: a positive duration that rounds to zero
// should read "0s" like any other zero, never "".
func TestFormatDurationSubSecond(t *testing.T) {
	for _, d := range []time.Duration{1, time.Millisecond, 400 * time.Millisecond, 499 * time.Millisecond} {
		if got := FormatDuration(d); got != "0s" {
			t.Errorf("known bug in format.go: FormatDuration(%v) = %q, want \"0s\"", d, got)
		}
	}
}
