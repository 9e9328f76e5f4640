package access

import (
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"gatepass.dev/backend/internal/fault"
	"gatepass.dev/shared/humantime"
)

// Limits of user text.
const (
	MaxReasonRunes = 1000
	MaxNoteRunes   = 1000
	// MaxGrant is the longest grant any network may allow.
	MaxGrant = 365 * 24 * time.Hour
)

// CleanText validates one line of user text: trimmed, valid UTF-8, no
// control characters (so it can never break a header or a log line), at most
// max runes. Required text must be non-empty after trimming.
func CleanText(field, s string, max int, required bool) (string, error) {
	// encoding/json turns invalid UTF-8 and lone surrogate escapes into
	// U+FFFD instead of failing, so U+FFFD is refused as well.
	if !utf8.ValidString(s) || strings.ContainsRune(s, utf8.RuneError) {
		return "", fault.Field(field, "is not valid UTF-8 text (invalid bytes, a lone surrogate escape or U+FFFD)")
	}
	s = strings.TrimSpace(s)
	if s == "" {
		if required {
			return "", fault.Field(field, "is required")
		}
		return "", nil
	}
	if n := utf8.RuneCountInString(s); n > max {
		return "", fault.Field(field, "is too long (%d characters; at most %d)", n, max)
	}
	for _, r := range s {
		if unicode.IsControl(r) || r == '\u2028' || r == '\u2029' {
			return "", fault.Field(field, "must not contain control characters or line breaks")
		}
	}
	return s, nil
}

// ValidateReason checks a request's reason and returns it trimmed.
func ValidateReason(s string) (string, error) {
	return CleanText("reason", s, MaxReasonRunes, true)
}

// ValidateNote checks a deny or revoke note and returns it trimmed.
func ValidateNote(s string) (string, error) {
	return CleanText("note", s, MaxNoteRunes, false)
}

// ValidateSeconds checks a duration given in seconds by a client: zero
// means "none given"; otherwise positive and at most max (or MaxGrant).
func ValidateSeconds(field string, secs int64, max time.Duration) (time.Duration, error) {
	if secs == 0 {
		return 0, nil
	}
	if secs < 0 {
		return 0, fault.Field(field, "must be positive")
	}
	limit := MaxGrant
	if max > 0 && max < limit {
		limit = max
	}
	if secs > int64(limit/time.Second) {
		return 0, fault.Field(field, "is longer than the maximum of %s", humantime.Span(limit))
	}
	return time.Duration(secs) * time.Second, nil
}

// OptionalSeconds reads an optional duration field (duration_seconds and
// the like): absent (nil) is 0 — what absent means is said by absent, in
// the message that refuses 0 —, else ValidateSeconds with max.
func OptionalSeconds(field string, v *int64, max time.Duration, absent string) (time.Duration, error) {
	if v == nil {
		return 0, nil
	}
	if *v == 0 {
		return 0, fault.Field(field, "must be positive (leave it out for %s)", absent)
	}
	return ValidateSeconds(field, *v, max)
}

// NewRequestInput is a validated new request.
type NewRequestInput struct {
	Reason string
	Wished time.Duration
}

// ValidateNewRequest checks a new request against the network's maximum.
func ValidateNewRequest(reason string, wishedSeconds int64, max time.Duration) (NewRequestInput, error) {
	r, err := ValidateReason(reason)
	if err != nil {
		return NewRequestInput{}, err
	}
	w, err := ValidateSeconds("duration_seconds", wishedSeconds, max)
	if err != nil {
		return NewRequestInput{}, err
	}
	return NewRequestInput{Reason: r, Wished: w}, nil
}
