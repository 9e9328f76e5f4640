// Package fault is the one error type of the Gatepass backend: a kind, the
// input field at fault (if any), a message for people, and for the kinds
// that can pass with time (rate limits, storage failures) how long to wait.
//
// The domain (access, admin, store, signin, outbox …) returns *Error values,
// or sentinels made by Sentinel, given details by Detail. It
// never speaks HTTP: the API translates a Kind to a status once
// (httpapi.writeError) and the web page to a page message once
// (web.faultMessage). Anything that is not a fault is Internal: logged, and
// shown only as "internal error".
package fault

import (
	"errors"
	"fmt"
	"time"
)

// Kind classifies an error by what the caller can do about it. The strings
// appear in logs and in the API's error codes.
type Kind string

const (
	// Invalid input: fix the field and try again (HTTP 400).
	Invalid Kind = "invalid"
	// Unauthenticated: sign in (again) (401).
	Unauthenticated Kind = "unauthenticated"
	// Forbidden: signed in, but not allowed to do this (403).
	Forbidden Kind = "forbidden"
	// NotFound: the thing does not exist, or the caller may not know of it (404).
	NotFound Kind = "not_found"
	// Conflict: not possible in the current state (409).
	Conflict Kind = "conflict"
	// TooLarge: the input is larger than allowed (413).
	TooLarge Kind = "too_large"
	// Unsupported: the input is in a format that is not accepted (415).
	Unsupported Kind = "unsupported"
	// RateLimited: too many attempts; wait RetryAfter (429).
	RateLimited Kind = "rate_limited"
	// Unavailable: the server cannot do it right now (storage failing,
	// shutting down); retry after RetryAfter (503).
	Unavailable Kind = "unavailable"
	// Internal: a bug or an unexpected failure (500).
	Internal Kind = "internal"
)

// Error is a classified error.
type Error struct {
	Kind    Kind
	Field   string // the input field at fault, if any
	Message string // for people; never contains secrets or internals
	// RetryAfter is how long to wait before trying again (RateLimited,
	// Unavailable); zero when unknown.
	RetryAfter time.Duration
	// Err is the cause, for logs; never shown.
	Err error

	sentinel bool
}

func (e *Error) Error() string {
	if e.Message == "" {
		return string(e.Kind)
	}
	return e.Message
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// Is makes errors.Is(err, sentinel) true only for the sentinel itself, and
// errors.Is(err, &Error{Kind: k}) true for any fault of kind k (a kind
// probe: Error{Kind: k} with no message).
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	if !ok {
		return false
	}
	if t.sentinel || e.sentinel {
		return t == e
	}
	return t.Message == "" && t.Field == "" && t.Kind == e.Kind
}

// New returns an error of kind with a formatted message.
func New(kind Kind, format string, args ...any) *Error {
	return &Error{Kind: kind, Message: fmt.Sprintf(format, args...)}
}

// Wrap returns an error of kind with a message and a cause.
func Wrap(kind Kind, cause error, format string, args ...any) *Error {
	return &Error{Kind: kind, Message: fmt.Sprintf(format, args...), Err: cause}
}

// Sentinel returns a named error value of kind, for errors.Is checks; wrap
// it with fmt.Errorf("%w: details", s) to add details — the whole text is
// then the message.
func Sentinel(kind Kind, message string) *Error {
	return &Error{Kind: kind, Message: message, sentinel: true}
}

// Field returns an Invalid error naming field; the message is prefixed with
// the field's name ("reason: is required").
func Field(field, format string, args ...any) *Error {
	return &Error{Kind: Invalid, Field: field, Message: field + ": " + fmt.Sprintf(format, args...)}
}

// Conflictf is a Conflict with a formatted message.
func Conflictf(format string, args ...any) *Error { return New(Conflict, format, args...) }

// Forbiddenf is a Forbidden with a formatted message.
func Forbiddenf(format string, args ...any) *Error { return New(Forbidden, format, args...) }

// NotFoundf is a NotFound with a formatted message.
func NotFoundf(format string, args ...any) *Error { return New(NotFound, format, args...) }

// Invalidf is an Invalid error not tied to one field.
func Invalidf(format string, args ...any) *Error { return New(Invalid, format, args...) }

// Limited is a RateLimited error: wait, then try again.
func Limited(wait time.Duration, format string, args ...any) *Error {
	e := New(RateLimited, format, args...)
	e.RetryAfter = wait
	return e
}

// Faulter is implemented by error types of other packages that know their
// kind (e.g. a sign-in block with its wait).
type Faulter interface {
	Fault() *Error
}

// From classifies err. A wrapped *Error keeps its kind, field and wait; its
// message becomes the whole text of err (the wrapping adds the details),
// except for Unavailable and Internal, whose messages never show causes.
// Anything unclassified is Internal with err as the cause. From(nil) is nil.
func From(err error) *Error {
	if err == nil {
		return nil
	}
	var e *Error
	var f Faulter
	switch {
	case errors.As(err, &e):
	case errors.As(err, &f):
		e = f.Fault()
	}
	if e == nil {
		return &Error{Kind: Internal, Message: "internal error", Err: err}
	}
	out := *e
	out.sentinel = false
	if out.Err == nil {
		out.Err = err
	}
	if out.Kind != Unavailable && out.Kind != Internal {
		if msg := err.Error(); msg != "" {
			out.Message = msg
		}
	}
	return &out
}

// KindOf returns the kind of err (Internal when it is not classified).
func KindOf(err error) Kind {
	if err == nil {
		return ""
	}
	return From(err).Kind
}

// Is reports whether err is a fault of kind.
func Is(err error, kind Kind) bool { return err != nil && KindOf(err) == kind }

// FieldSentinel is a Sentinel of kind Invalid naming field.
func FieldSentinel(field, message string) *Error {
	return &Error{Kind: Invalid, Field: field, Message: message, sentinel: true}
}

// Detail returns an error of sentinel's kind and field with its own
// message; errors.Is(err, sentinel) stays true.
func Detail(sentinel *Error, format string, args ...any) *Error {
	return &Error{Kind: sentinel.Kind, Field: sentinel.Field, Message: fmt.Sprintf(format, args...), Err: sentinel}
}
