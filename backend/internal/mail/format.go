package mail

import (
	"strings"
	"time"

	"gatepass.dev/shared/humantime"
)

// timeLayout is how times appear in mail: "Mon, 23 Nov 2026 14:05 UTC".
const timeLayout = "Mon, 02 Jan 2006 15:04 UTC"

// FormatTime formats t in UTC as "Mon, 23 Nov 2026 14:05 UTC"; the zero
// time gives "".
func FormatTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(timeLayout)
}

// FormatDuration formats d for people as humantime.Span does ("45s",
// "30m", "8h", "1h 30m", "2d 4h"); zero or negative gives "" (the line is
// left out).
func FormatDuration(d time.Duration) string {
	if d <= 0 {
		return ""
	}
	return humantime.Span(d)
}

// footer is the last line of every mail: "Gatepass · https://host".
func footer(publicURL string) string {
	publicURL = HeaderSafe(publicURL)
	if publicURL == "" {
		return "Gatepass"
	}
	return "Gatepass · " + publicURL
}

// oneLine cleans user text shown on a single line (names, network names).
func oneLine(s string) string { return HeaderSafe(s) }

// multiLine cleans free user text (reasons, notes): line breaks are kept as
// "\n", other control characters become spaces, blank edges are trimmed.
func multiLine(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.Map(func(r rune) rune {
		switch {
		case r == '\n' || r == '\t':
			return r
		case r == '\r' || r == '\u2028' || r == '\u2029':
			return '\n'
		case isControl(r):
			return ' '
		}
		return r
	}, s)
	return strings.TrimSpace(s)
}

// indent prefixes every line of s with prefix (for quotes in the text part).
func indent(prefix, s string) string {
	return prefix + strings.ReplaceAll(s, "\n", "\n"+prefix)
}
