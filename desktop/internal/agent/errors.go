package agent

// Errors as the LocalAPI answers them.

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"gatepass.dev/shared/api"
)

func errorText(err error) string {
	var ae *api.Error
	if errors.As(err, &ae) {
		return ae.Message
	}
	return err.Error()
}

var errNotSignedIn = &api.Error{Status: http.StatusUnauthorized, Code: api.CodeUnauthorized, Message: "not signed in: sign in to a Gatepass server first"}

// backendErr turns a backend call's error into the LocalAPI's: API errors
// pass through, anything else means the backend could not be reached.
func backendErr(server string, err error) error {
	var ae *api.Error
	if errors.As(err, &ae) {
		return ae
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		return &api.Error{Status: http.StatusGatewayTimeout, Code: api.CodeUnavailable, Message: "the Gatepass server at " + server + " did not answer in time"}
	}
	return &api.Error{Status: http.StatusServiceUnavailable, Code: api.CodeUnavailable, Message: "cannot reach the Gatepass server at " + server + ": " + err.Error()}
}

func apiError(status int, code api.ErrorCode, format string, args ...any) *api.Error {
	return &api.Error{Status: status, Code: code, Message: fmt.Sprintf(format, args...)}
}

// normalizeServer checks a backend URL and drops a trailing slash.
func normalizeServer(s string) (string, error) {
	s = strings.TrimRight(strings.TrimSpace(s), "/")
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", apiError(http.StatusBadRequest, api.CodeBadRequest, "server: %q is not an http(s) URL such as https://gatepass.example.com", s)
	}
	return s, nil
}

// fieldError is a 400 about one field of the caller's input.
func fieldError(field, format string, args ...any) *api.Error {
	e := apiError(http.StatusBadRequest, api.CodeBadRequest, format, args...)
	e.Field = field
	return e
}
