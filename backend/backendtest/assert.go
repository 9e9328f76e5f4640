package backendtest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"gatepass.dev/shared/api"
)

// codes is the error code the API sends with each status.
var codes = map[int]api.ErrorCode{
	400: api.CodeBadRequest,
	401: api.CodeUnauthorized,
	403: api.CodeForbidden,
	404: api.CodeNotFound,
	405: api.CodeMethodNotAllow,
	409: api.CodeConflict,
	413: api.CodeTooLarge,
	415: api.CodeBadRequest,
	429: api.CodeRateLimited,
	500: api.CodeInternal,
	503: api.CodeUnavailable,
}

// WantStatus fails the test unless err, from a call of the typed client,
// is the API's error of status: an *api.Error with that status, the code
// the API sends with it, and a message that contains each of parts. It
// returns the error for further checks (its Field, say).
func WantStatus(tb testing.TB, what string, err error, status int, parts ...string) *api.Error {
	tb.Helper()
	var e *api.Error
	if !errors.As(err, &e) {
		tb.Fatalf("%s: got %v, want the API error %d %s", what, err, status, codes[status])
	}
	if problem := mismatch(*e, status, parts); problem != "" {
		tb.Fatalf("%s: %s", what, problem)
	}
	return e
}

// WantError checks that a raw answer is the API's error of status: a JSON
// body {"error":{"code","message"}} with the code the API sends with it
// and a message. It reports what is wrong and lets the test go on (walks
// over many routes report every wrong answer at once); it returns the
// error, with Status set, or a zero Error when the status or the body's
// shape is wrong.
func (r Response) WantError(tb testing.TB, what string, status int) api.Error {
	tb.Helper()
	if r.Status != status {
		tb.Errorf("%s: status %d, want %d; body %s", what, r.Status, status, bytes.TrimSpace(r.Body))
		return api.Error{}
	}
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		tb.Errorf("%s: Content-Type %q, want application/json", what, ct)
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(r.Body, &raw); err != nil || len(raw) != 1 || raw["error"] == nil {
		tb.Errorf("%s: body %s is not {\"error\":{…}}", what, bytes.TrimSpace(r.Body))
		return api.Error{}
	}
	var e api.Error
	if err := json.Unmarshal(raw["error"], &e); err != nil {
		tb.Errorf("%s: error object %s: %v", what, raw["error"], err)
		return api.Error{}
	}
	e.Status = r.Status
	if problem := mismatch(e, status, nil); problem != "" {
		tb.Errorf("%s: %s", what, problem)
	}
	return e
}

// mismatch says how e differs from the API's error of status whose
// message contains parts, or "" when it does not.
func mismatch(e api.Error, status int, parts []string) string {
	ok := e.Status == status && e.Code == codes[status] && strings.TrimSpace(e.Message) != ""
	for _, p := range parts {
		ok = ok && strings.Contains(e.Message, p)
	}
	if ok {
		return ""
	}
	want := fmt.Sprintf("%d %q with a message", status, codes[status])
	if len(parts) > 0 {
		want += fmt.Sprintf(" containing %q", parts)
	}
	return fmt.Sprintf("got %d %q %q, want %s", e.Status, e.Code, e.Message, want)
}
