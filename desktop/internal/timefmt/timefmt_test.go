package timefmt

import (
	"testing"
	"time"
)

func TestLeft(t *testing.T) {
	const d = 24 * time.Hour
	cases := []struct {
		in   time.Duration
		want string
	}{
		{30*d - time.Second, "29d 23h"},
		{30 * d, "30d 0h"},
		{d, "1d 0h"},
		{d - time.Second, "23h 59m"},
		{8*time.Hour - time.Second, "7h 59m"},
		{time.Hour, "1h 0m"},
		{time.Hour - time.Second, "59m 59s"},
		{10*time.Minute - time.Second, "9m 59s"},
		{1500 * time.Millisecond, "0m 1s"},
		{0, "0s"},
		{-time.Minute, "0s"},
	}
	for _, c := range cases {
		if got := Left(c.in); got != c.want {
			t.Errorf("Left(%v) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestLeftCoarseAndNextChange(t *testing.T) {
	cases := []struct {
		in   time.Duration
		want string
		next time.Duration
	}{
		{30 * 24 * time.Hour, "30d 0h", time.Millisecond},
		{25*time.Hour + 90*time.Second, "1d 1h", 90*time.Second + time.Millisecond},
		{90 * time.Minute, "1h 30m", time.Millisecond},
		{9*time.Minute + 59*time.Second, "9m", 59*time.Second + time.Millisecond},
		{30 * time.Second, "<1m", 30 * time.Second},
		{0, "0m", 0},
	}
	for _, c := range cases {
		if got := LeftCoarse(c.in); got != c.want {
			t.Errorf("LeftCoarse(%v) = %q, want %q", c.in, got, c.want)
		}
		next := NextChange(c.in)
		if next != c.next {
			t.Errorf("NextChange(%v) = %v, want %v", c.in, next, c.next)
		}
		if c.in > 0 && LeftCoarse(c.in-next) == c.want {
			t.Errorf("LeftCoarse(%v) after NextChange still reads %q", c.in, c.want)
		}
		if next > time.Millisecond && LeftCoarse(c.in-next+2*time.Millisecond) != c.want {
			t.Errorf("LeftCoarse(%v) changes before NextChange", c.in)
		}
	}
}

func TestAgo(t *testing.T) {
	for d, want := range map[time.Duration]string{
		-time.Hour:                     "just now",
		0:                              "just now",
		59 * time.Second:               "just now",
		time.Minute:                    "1m ago",
		5*time.Minute + 59*time.Second: "5m ago",
		time.Hour:                      "1h ago",
		24*time.Hour - time.Second:     "23h ago",
		24 * time.Hour:                 "1d ago",
		45 * 24 * time.Hour:            "45d ago",
	} {
		if got := Ago(d); got != want {
			t.Errorf("Ago(%v) = %q, want %q", d, got, want)
		}
	}
}
