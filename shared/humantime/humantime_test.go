package humantime

import (
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"
	"time"
)

// vectors is testdata/vectors.json, shared with frontend/src/format.test.ts.
type vectors struct {
	Countdown []struct {
		MS     float64  `json:"ms"`
		Text   string   `json:"text"`
		NextMS *float64 `json:"next_ms"`
	} `json:"countdown"`
	Span []struct {
		MS   float64 `json:"ms"`
		Text string  `json:"text"`
	} `json:"span"`
	Ago []struct {
		MS   float64 `json:"ms"`
		Text string  `json:"text"`
	} `json:"ago"`
	Parse []struct {
		In    string   `json:"in"`
		MS    *float64 `json:"ms"`
		Error string   `json:"error"`
	} `json:"parse"`
}

func load(t *testing.T) vectors {
	t.Helper()
	b, err := os.ReadFile("testdata/vectors.json")
	if err != nil {
		t.Fatal(err)
	}
	var v vectors
	dec := json.NewDecoder(strings.NewReader(string(b)))
	if err := dec.Decode(&v); err != nil {
		t.Fatal(err)
	}
	if len(v.Countdown) == 0 || len(v.Span) == 0 || len(v.Ago) == 0 || len(v.Parse) == 0 {
		t.Fatal("a section of vectors.json is empty")
	}
	return v
}

func ms(f float64) time.Duration { return time.Duration(f * float64(time.Millisecond)) }

func TestCountdownVectors(t *testing.T) {
	for _, c := range load(t).Countdown {
		d := ms(c.MS)
		if got := Countdown(d); got != c.Text {
			t.Errorf("Countdown(%v) = %q, want %q", d, got, c.Text)
		}
		want := time.Duration(0)
		if c.NextMS != nil {
			want = ms(*c.NextMS)
		}
		if got := NextChange(d); got != want {
			t.Errorf("NextChange(%v) = %v, want %v", d, got, want)
		}
	}
}

// NextChange is exact: the text changes after that wait, and not a
// millisecond sooner (while there is a second or more left; under a second
// the text is "0s" to the end).
func TestNextChangeIsTheNextChange(t *testing.T) {
	for d := time.Second; d < 40*Day; d += d/7 + 977*time.Millisecond {
		d := d.Truncate(time.Millisecond)
		w := NextChange(d)
		if w <= 0 {
			t.Fatalf("NextChange(%v) = %v", d, w)
		}
		if Countdown(d-w) == Countdown(d) {
			t.Errorf("Countdown(%v) = Countdown(%v - %v) = %q: no change", d, d, w, Countdown(d))
		}
		if Countdown(d-w+time.Millisecond) != Countdown(d) {
			t.Errorf("Countdown changes before NextChange(%v) = %v", d, w)
		}
	}
}

// A countdown never shows seconds beside minutes, and redraws at most once
// a minute while a minute or more is left.
func TestCountdownSecondsOnlyInTheLastMinute(t *testing.T) {
	for d := time.Minute; d < 3*Day; d += 7*time.Second + 13*time.Millisecond {
		if s := Countdown(d); strings.HasSuffix(s, "s") {
			t.Fatalf("Countdown(%v) = %q shows seconds", d, s)
		}
		if w := NextChange(d); w > time.Hour+time.Millisecond || (d < Day && w > time.Minute+time.Millisecond) {
			t.Fatalf("NextChange(%v) = %v", d, w)
		}
	}
}

func TestSpanVectors(t *testing.T) {
	for _, c := range load(t).Span {
		if got := Span(ms(c.MS)); got != c.Text {
			t.Errorf("Span(%v) = %q, want %q", ms(c.MS), got, c.Text)
		}
	}
}

func TestAgoVectors(t *testing.T) {
	for _, c := range load(t).Ago {
		if got := Ago(ms(c.MS)); got != c.Text {
			t.Errorf("Ago(%v) = %q, want %q", ms(c.MS), got, c.Text)
		}
	}
}

func TestParseVectors(t *testing.T) {
	for _, c := range load(t).Parse {
		got, err := Parse(c.In)
		switch {
		case c.Error != "":
			if err == nil {
				t.Errorf("Parse(%q) = %v, want the error %q", c.In, got, c.Error)
			} else if err.Error() != c.Error || !errors.Is(err, ErrSyntax) {
				t.Errorf("Parse(%q) error %q, want %q", c.In, err, c.Error)
			}
		case c.MS == nil:
			t.Errorf("vector %q has neither ms nor error", c.In)
		case err != nil || got != ms(*c.MS):
			t.Errorf("Parse(%q) = %v, %v; want %v", c.In, got, err, ms(*c.MS))
		}
	}
}

// A span of whole units reads back as itself.
func TestParseReadsSpan(t *testing.T) {
	for _, d := range []time.Duration{time.Second, 45 * time.Second, 30 * time.Minute, 8 * time.Hour, 26 * time.Hour, 30 * Day, Day + 30*time.Minute} {
		if got, err := Parse(Span(d)); err != nil || got != d {
			t.Errorf("Parse(Span(%v) = %q) = %v, %v", d, Span(d), got, err)
		}
	}
}

// FuzzParse: Parse never panics, accepts every Go duration with the value
// Go gives it (the server's configuration accepted those), and agrees with
// itself when a day prefix is spelled as hours.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"90m", "1d 2h", "2h30m", "1.5h", "-1d12h", "0", "300ms", "1w", ".5h", "1e3h", "9223372036s", "2562047h47m16.854775807s"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := Parse(s)
		if err != nil && !errors.Is(err, ErrSyntax) {
			t.Fatalf("Parse(%q): error %v does not wrap ErrSyntax", s, err)
		}
		if want, gerr := time.ParseDuration(s); gerr == nil {
			if err != nil || got != want {
				t.Fatalf("Parse(%q) = %v, %v; time.ParseDuration gives %v", s, got, err, want)
			}
		}
		if err == nil {
			if again, err := Parse(" " + s + " "); err != nil || again != got {
				t.Fatalf("Parse with spaces around %q = %v, %v; want %v", s, again, err, got)
			}
		}
	})
}
