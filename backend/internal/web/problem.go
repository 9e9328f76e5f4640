package web

import (
	"math"
	"net/http"
	"strconv"
	"strings"

	"gatepass.dev/backend/internal/fault"
)

// unavailableText is what the page says when the server cannot save.
const unavailableText = "The server cannot save changes right now: its storage is failing. Nothing was changed; try again in a minute."

// problem is the one translation of the backend's errors to page messages:
// the text to show and the form field at fault. ok is false for internal
// errors and for storage failures, which the caller shows as the error page
// (serverError: 500, or 503 with Retry-After and unavailableText) — a
// message kept for the next page would need a write too.
func problem(err error) (text, field string, ok bool) {
	f := fault.From(err)
	switch f.Kind {
	case fault.Internal, fault.Unavailable:
		return "", "", false
	}
	return sentence(f.Message), f.Field, true
}

// problemIn is problem for a form: the API's field name that leads a
// validation message ("required_approvals: must be from 1 to 5") becomes
// the label the form shows for it ("Required approvals: must be from 1 to
// 5."), so the message reads as the page's own.
func problemIn(err error, labels map[string]string) (text, field string, ok bool) {
	text, field, ok = problem(err)
	if !ok || field == "" {
		return text, field, ok
	}
	if label, known := labels[field]; known {
		if rest, cut := strings.CutPrefix(fault.From(err).Message, field+": "); cut {
			text = sentence(label + ": " + rest)
		}
	}
	return text, field, ok
}

// sentence capitalizes a message and ends it with a full stop.
func sentence(s string) string {
	s = strings.TrimSpace(s)
	if s == "" {
		return s
	}
	s = strings.ToUpper(s[:1]) + s[1:]
	if !strings.HasSuffix(s, ".") && !strings.HasSuffix(s, "?") && !strings.HasSuffix(s, "!") {
		s += "."
	}
	return s
}

// retryAfter sets Retry-After for the faults that say how long to wait.
func retryAfter(w http.ResponseWriter, err error) {
	if f := fault.From(err); f.RetryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(f.RetryAfter.Seconds()))))
	}
}
