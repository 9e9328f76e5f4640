package access

import (
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"gatepass.dev/backend/internal/fault"
)

// wantInputError checks that err is an invalid-input error naming field.
func wantInputError(t *testing.T, err error, field string) {
	t.Helper()
	f := fault.From(err)
	if err == nil || f.Kind != fault.Invalid {
		t.Fatalf("err = %v, want an invalid-input fault", err)
	}
	if f.Field != field {
		t.Fatalf("err = %#v, want field %q", err, field)
	}
}

// forbiddenRunes lists every rune a line of user text must not contain:
// C0 (incl. \t \n \r), DEL, C1 (incl. NEL) and the Unicode line and
// paragraph separators.
func forbiddenRunes() []rune {
	var rs []rune
	for r := rune(0); r < 0x20; r++ {
		rs = append(rs, r)
	}
	rs = append(rs, 0x7f)
	for r := rune(0x80); r <= 0x9f; r++ {
		rs = append(rs, r)
	}
	return append(rs, '\u2028', '\u2029')
}

func TestValidateReason(t *testing.T) {
	ok := []struct{ in, want string }{
		{"deploy hotfix", "deploy hotfix"},
		{"  deploy hotfix \t", "deploy hotfix"},
		{"\n\r deploy\u00a0hotfix \u3000", "deploy\u00a0hotfix"}, // NBSP inside is kept; ideographic space trimmed
		{"x", "x"},
		{"Ünïcödé – ok 😀", "Ünïcödé – ok 😀"},
		{strings.Repeat("a", MaxReasonRunes), strings.Repeat("a", MaxReasonRunes)},
		{strings.Repeat("é", MaxReasonRunes), strings.Repeat("é", MaxReasonRunes)},                // 2000 bytes
		{strings.Repeat("😀", MaxReasonRunes), strings.Repeat("😀", MaxReasonRunes)},                // 4000 bytes
		{"  " + strings.Repeat("a", MaxReasonRunes) + "\t ", strings.Repeat("a", MaxReasonRunes)}, // counted after trimming
		{"\u2028reason\u2029", "reason"},                                                          // separators at the edges are whitespace and trimmed
	}
	for i, tc := range ok {
		t.Run(fmt.Sprintf("ok/%d", i), func(t *testing.T) {
			got, err := ValidateReason(tc.in)
			if err != nil {
				t.Fatalf("ValidateReason(%q): %v", tc.in, err)
			}
			if got != tc.want {
				t.Errorf("ValidateReason(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}

	bad := map[string]string{
		"empty":               "",
		"spaces":              "   ",
		"whitespace only":     " \t\r\n\v\f\u0085\u00a0\u2028\u3000",
		"1001 ascii":          strings.Repeat("a", MaxReasonRunes+1),
		"1001 two-byte":       strings.Repeat("é", MaxReasonRunes+1),
		"1001 four-byte":      strings.Repeat("😀", MaxReasonRunes+1),
		"very long":           strings.Repeat("a", 1<<20),
		"invalid utf8":        "\xff",
		"invalid utf8 inside": "ok \xc3\x28 ok",
		"truncated rune":      "ok \xe2\x82",
		"surrogate":           "ok \xed\xa0\x80",
		"overlong":            "\xc0\xaf",
		"nul at the end":      "reason\x00",
		"esc sequence":        "reason \x1b[31mred",
		"header injection":    "reason\r\nBcc: evil@example.com",
	}
	for name, in := range bad {
		t.Run("bad/"+name, func(t *testing.T) {
			got, err := ValidateReason(in)
			wantInputError(t, err, "reason")
			if got != "" {
				t.Errorf("returned %q with an error", got)
			}
		})
	}

	for _, r := range forbiddenRunes() {
		t.Run(fmt.Sprintf("control/U+%04X", r), func(t *testing.T) {
			_, err := ValidateReason("a" + string(r) + "b")
			wantInputError(t, err, "reason")
		})
	}
}

func TestValidateNote(t *testing.T) {
	for _, in := range []string{"", "   ", "\t\n"} {
		got, err := ValidateNote(in)
		if err != nil || got != "" {
			t.Errorf("ValidateNote(%q) = %q, %v; want \"\", nil (optional)", in, got, err)
		}
	}
	if got, err := ValidateNote("  too risky "); err != nil || got != "too risky" {
		t.Errorf("ValidateNote = %q, %v", got, err)
	}
	long := strings.Repeat("ñ", MaxNoteRunes)
	if got, err := ValidateNote(long); err != nil || got != long {
		t.Errorf("ValidateNote(%d runes): %v", MaxNoteRunes, err)
	}
	_, err := ValidateNote(long + "ñ")
	wantInputError(t, err, "note")
	_, err = ValidateNote("\xff")
	wantInputError(t, err, "note")
	for _, r := range forbiddenRunes() {
		_, err := ValidateNote("a" + string(r) + "b")
		if !fault.Is(err, fault.Invalid) {
			t.Errorf("ValidateNote with U+%04X: %v", r, err)
		}
	}
}

func TestCleanText(t *testing.T) {
	got, err := CleanText("title", "  héllo ", 5, true)
	if err != nil || got != "héllo" {
		t.Errorf("CleanText = %q, %v", got, err)
	}
	_, err = CleanText("title", "héllo!", 5, true)
	wantInputError(t, err, "title")
	_, err = CleanText("title", " ", 5, true)
	wantInputError(t, err, "title")
	if got, err := CleanText("title", " ", 5, false); err != nil || got != "" {
		t.Errorf("optional blank: %q, %v", got, err)
	}
	_, err = CleanText("title", "a\u0085b", 5, false)
	wantInputError(t, err, "title")
	// Invalid UTF-8 is refused even when the text is optional or blank-looking.
	_, err = CleanText("title", " \x80 ", 5, false)
	wantInputError(t, err, "title")
}

func TestValidateSeconds(t *testing.T) {
	maxGrantSecs := int64(MaxGrant / time.Second)
	ok := []struct {
		secs int64
		max  time.Duration
		want time.Duration
	}{
		{0, 0, 0}, // none given
		{0, time.Hour, 0},
		{1, 0, time.Second},
		{3600, time.Hour, time.Hour},
		{maxGrantSecs, 0, MaxGrant},
		{maxGrantSecs, 2 * MaxGrant, MaxGrant},
		{maxGrantSecs, time.Duration(math.MaxInt64), MaxGrant},
		{maxGrantSecs, -time.Hour, MaxGrant}, // negative max: MaxGrant applies
		{59, time.Minute - time.Millisecond, 59 * time.Second},
	}
	for _, tc := range ok {
		got, err := ValidateSeconds("duration_seconds", tc.secs, tc.max)
		if err != nil || got != tc.want {
			t.Errorf("ValidateSeconds(%d, %v) = %v, %v; want %v", tc.secs, tc.max, got, err, tc.want)
		}
	}

	bad := []struct {
		secs int64
		max  time.Duration
	}{
		{-1, 0},
		{-1, time.Hour},
		{math.MinInt64, 0},
		{3601, time.Hour},
		{maxGrantSecs + 1, 0},
		{maxGrantSecs + 1, 2 * MaxGrant}, // a network max above MaxGrant does not lift MaxGrant
		{maxGrantSecs + 1, time.Duration(math.MaxInt64)},
		{math.MaxInt64, 0},
		{math.MaxInt64, time.Duration(math.MaxInt64)},
		{math.MaxInt64 / int64(time.Second), 0},    // largest that fits a Duration
		{math.MaxInt64/int64(time.Second) + 1, 0},  // would overflow seconds→Duration
		{math.MaxInt64/int64(time.Second) + 1, -1}, // with a negative max
		{1 << 62, time.Duration(math.MaxInt64)},    // wraps to a small value if multiplied first
		{60, time.Minute - time.Millisecond},       // sub-second max is not rounded up
		{1, 500 * time.Millisecond},                // max under a second allows nothing
	}
	for _, tc := range bad {
		got, err := ValidateSeconds("duration_seconds", tc.secs, tc.max)
		if !fault.Is(err, fault.Invalid) {
			t.Errorf("ValidateSeconds(%d, %v) = %v, %v; want ErrInvalidInput", tc.secs, tc.max, got, err)
			continue
		}
		if got != 0 {
			t.Errorf("ValidateSeconds(%d, %v) returned %v with an error", tc.secs, tc.max, got)
		}
		wantInputError(t, err, "duration_seconds")
	}
}

func TestValidateNewRequest(t *testing.T) {
	got, err := ValidateNewRequest("  need prod db  ", 7200, 8*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if got != (NewRequestInput{Reason: "need prod db", Wished: 2 * time.Hour}) {
		t.Errorf("got %+v", got)
	}
	got, err = ValidateNewRequest("x", 0, 0)
	if err != nil || got != (NewRequestInput{Reason: "x"}) {
		t.Errorf("no wish: %+v, %v", got, err)
	}

	bad := []struct {
		reason string
		secs   int64
		max    time.Duration
		field  string
	}{
		{"", 60, time.Hour, "reason"},
		{"  ", 60, time.Hour, "reason"},
		{"a\nb", 60, time.Hour, "reason"},
		{strings.Repeat("a", 1001), 60, time.Hour, "reason"},
		{"", -1, time.Hour, "reason"}, // the reason is checked first
		{"ok", -1, time.Hour, "duration_seconds"},
		{"ok", 3601, time.Hour, "duration_seconds"},
		{"ok", math.MaxInt64, 0, "duration_seconds"},
		{"ok", int64(MaxGrant/time.Second) + 1, 0, "duration_seconds"},
	}
	for _, tc := range bad {
		t.Run(fmt.Sprintf("%q/%d/%v", tc.reason, tc.secs, tc.max), func(t *testing.T) {
			got, err := ValidateNewRequest(tc.reason, tc.secs, tc.max)
			wantInputError(t, err, tc.field)
			if got != (NewRequestInput{}) {
				t.Errorf("returned %+v with an error", got)
			}
		})
	}
}
