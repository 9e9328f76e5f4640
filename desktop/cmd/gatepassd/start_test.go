package main

import (
	"strings"
	"testing"
	"time"
)

func TestParseStart(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	// 2026-11-23 09:00 UTC is 10:00 in Berlin (CET).
	now := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	for in, want := range map[string]time.Time{
		"2026-11-24T09:00:00+01:00": time.Date(2026, 11, 24, 8, 0, 0, 0, time.UTC),
		"2026-11-24T08:00:00Z":      time.Date(2026, 11, 24, 8, 0, 0, 0, time.UTC),
		"in 2h":                     now.Add(2 * time.Hour),
		"in 2h 10m":                 now.Add(2*time.Hour + 10*time.Minute),
		"In 1d":                     now.Add(24 * time.Hour),
		"tomorrow 09:00":            time.Date(2026, 11, 24, 8, 0, 0, 0, time.UTC),
		"  tomorrow   9:00 ":        time.Date(2026, 11, 24, 8, 0, 0, 0, time.UTC),
		"today 14:30":               time.Date(2026, 11, 23, 13, 30, 0, 0, time.UTC),
		"2026-11-30 18:00":          time.Date(2026, 11, 30, 17, 0, 0, 0, time.UTC),
		"14:30":                     time.Date(2026, 11, 23, 13, 30, 0, 0, time.UTC), // still today
		"08:00":                     time.Date(2026, 11, 24, 7, 0, 0, 0, time.UTC),   // passed: tomorrow
	} {
		got, err := parseStart(in, now, berlin)
		if err != nil || !got.Equal(want) {
			t.Errorf("parseStart(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for in, why := range map[string]string{
		"":                "it is empty",
		"soon":            "is not a start time",
		"in two hours":    "not a duration",
		"in -2h":          "is not ahead",
		"tomorrow noon":   "not a time of day",
		"today 25:00":     "not a time of day",
		"2026-13-01 9:00": "is not a start time",
	} {
		if _, err := parseStart(in, now, berlin); err == nil || !strings.Contains(err.Error(), why) {
			t.Errorf("parseStart(%q) = %v, want an error saying %q", in, err, why)
		}
	}
}
