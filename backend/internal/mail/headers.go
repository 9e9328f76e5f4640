package mail

import (
	"errors"
	"fmt"
	"net/mail"
	"strings"
	"unicode"
)

// ErrInvalidAddress is wrapped by the errors of ValidAddress, and so by Send
// for a bad recipient. Such a failure is permanent (see IsPermanent).
var ErrInvalidAddress = errors.New("invalid email address")

// HeaderSafe makes s safe as a header value (a subject or a display name):
// every control character (CR, LF, TAB, NUL, DEL, C1 controls) and the
// Unicode line and paragraph separators become a space, runs of white space
// collapse to one space, invalid UTF-8 becomes U+FFFD, and the result is
// trimmed. A value can therefore never end a header line and start another.
func HeaderSafe(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = strings.Map(func(r rune) rune {
		if isControl(r) {
			return ' '
		}
		return r
	}, s)
	return strings.Join(strings.Fields(s), " ")
}

// ValidAddress reports whether s is a bare email address such as
// "alice@example.com": it must parse with net/mail.ParseAddress, carry no
// display name, angle brackets, comments or surrounding spaces, and contain
// no control characters. The error wraps ErrInvalidAddress.
func ValidAddress(s string) error {
	if s == "" {
		return fmt.Errorf("%w: empty", ErrInvalidAddress)
	}
	if hasControl(s) {
		return fmt.Errorf("%w %q: contains control characters", ErrInvalidAddress, s)
	}
	a, err := mail.ParseAddress(s)
	if err != nil {
		return fmt.Errorf("%w %q: %v", ErrInvalidAddress, s, trimMailErr(err))
	}
	if a.Name != "" || a.Address != s {
		return fmt.Errorf("%w %q: want a bare address like user@example.com", ErrInvalidAddress, s)
	}
	return nil
}

// isControl reports characters that must never reach a header.
func isControl(r rune) bool {
	return unicode.IsControl(r) || r == '\u2028' || r == '\u2029' || r == '\u0085'
}

func hasControl(s string) bool { return strings.IndexFunc(s, isControl) >= 0 }

// trimMailErr drops net/mail's "mail: " prefix.
func trimMailErr(err error) string {
	return strings.TrimPrefix(err.Error(), "mail: ")
}
