package web

import (
	"strings"
	"testing"
	"time"
)

func TestLocalNext(t *testing.T) {
	for in, want := range map[string]string{
		"":                "/admin/requests",
		"/admin/networks": "/admin/networks",
		"/admin/requests?status=approved&q=a%20b": "/admin/requests?status=approved&q=a%20b",
		"/admin":                     "/admin",
		"//evil.example/admin":       "/admin/requests",
		"/\\evil.example":            "/admin/requests",
		"https://evil.example/admin": "/admin/requests",
		"/admin/login?next=/x":       "/admin/requests",
		"/administrator":             "/admin/requests",
		"/api/v1/me":                 "/admin/requests",
		"/admin/\r\nSet-Cookie: x":   "/admin/requests",
		"javascript:alert(1)":        "/admin/requests",
	} {
		if got := localNext(in); got != want {
			t.Errorf("localNext(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestFormDuration(t *testing.T) {
	form := func(kv ...string) func(string) string {
		m := map[string]string{}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return func(k string) string { return m[k] }
	}
	for _, c := range []struct {
		get  func(string) string
		want time.Duration
		ok   bool
	}{
		{form("duration", "28800"), 8 * time.Hour, true},
		{form("duration", "custom", "custom_amount", "90", "custom_unit", "m"), 90 * time.Minute, true},
		{form("duration", "custom", "custom_amount", "2", "custom_unit", "d"), 48 * time.Hour, true},
		{form("duration", "custom", "custom_amount", "366", "custom_unit", "d"), 0, false},
		{form("duration", "custom", "custom_amount", "99999999999999", "custom_unit", "d"), 0, false},
		{form("duration", "custom", "custom_amount", "", "custom_unit", "h"), 0, false},
		{form("duration", "0"), 0, false},
		{form("duration", "1e3"), 0, false},
		{form(), 0, false},
	} {
		got, err := formDuration(c.get)
		if (err == nil) != c.ok || got != c.want {
			t.Errorf("formDuration(%v, %v) = %v, %v", c.get("duration"), c.get("custom_amount"), got, err)
		}
	}
}

func TestChoiceFor(t *testing.T) {
	c := choiceFor(8*time.Hour, 24*time.Hour, 0)
	if len(c.Presets) != 3 || !c.Presets[1].Checked || c.Custom {
		t.Errorf("8h default, 1d max: %+v", c)
	}
	c = choiceFor(90*time.Minute, 0, 0)
	if !c.Custom || c.CustomAmount != 90 || c.CustomUnit != "m" || len(c.Presets) != 5 {
		t.Errorf("90m default: %+v", c)
	}
	labels := func(c durationChoice) (s []string) {
		for _, p := range c.Presets {
			mark := ""
			if p.Checked {
				mark = "*"
			}
			s = append(s, p.Label+mark)
		}
		return s
	}
	for _, tc := range []struct {
		def, max, wished time.Duration
		want             string
		clamped          bool
	}{
		{8 * time.Hour, 24 * time.Hour, 2 * time.Hour, "1 hour,2 hours*,8 hours,1 day", false},
		{8 * time.Hour, 24 * time.Hour, 72 * time.Hour, "1 hour,8 hours,1 day*", true},
		{8 * time.Hour, 48 * time.Hour, 72 * time.Hour, "1 hour,8 hours,1 day,2 days*", true},
		{8 * time.Hour, 0, 90 * time.Minute, "1 hour,1h 30m*,8 hours,1 day,7 days,30 days", false},
		{8 * time.Hour, 0, 60 * 24 * time.Hour, "1 hour,8 hours,1 day,7 days,30 days,60 days*", false},
		{8 * time.Hour, 0, 7 * 24 * time.Hour, "1 hour,8 hours,1 day,7 days*,30 days", false},
	} {
		c := choiceFor(tc.def, tc.max, tc.wished)
		if got := strings.Join(labels(c), ","); got != tc.want || c.Custom || c.Clamped != tc.clamped {
			t.Errorf("choiceFor(%v, %v, %v) = %s custom=%v clamped=%v, want %s", tc.def, tc.max, tc.wished, got, c.Custom, c.Clamped, tc.want)
		}
	}
}

func TestRelTime(t *testing.T) {
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	for d, want := range map[time.Duration]string{
		10 * time.Second: "just now", 5 * time.Minute: "5 minutes ago", 61 * time.Second: "1 minute ago",
		3 * time.Hour: "3 hours ago", 50 * time.Hour: "2 days ago", -2 * time.Hour: "in 2 hours",
	} {
		if got := relTime(now.Add(-d), now); got != want {
			t.Errorf("relTime(-%v) = %q, want %q", d, got, want)
		}
	}
}
