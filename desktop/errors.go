package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"unicode"
	"unicode/utf8"

	"gatepass.dev/desktop/internal/localapi"
	"gatepass.dev/shared/api"
)

// maxReasonRunes is the server's limit on a request's reason (the same
// rule as backend/internal/access.CleanText and frontend/src/validate.ts).
const maxReasonRunes = 1000

// checkReason applies the server's rules to a reason and returns it
// trimmed: required after trimming, at most 1000 characters, valid UTF-8
// without U+FFFD, no control characters or line/paragraph separators. Its
// messages are the window's (frontend/src/validate.ts): both run the
// vectors of frontend/src/testdata/reason-vectors.json.
func checkReason(s string) (string, error) {
	if !utf8.ValidString(s) || strings.ContainsRune(s, utf8.RuneError) {
		return "", errors.New("The reason contains characters that are not valid text.")
	}
	s = strings.TrimSpace(s)
	if s == "" {
		return "", errors.New("Say why you need access.")
	}
	if n := utf8.RuneCountInString(s); n > maxReasonRunes {
		return "", fmt.Errorf("The reason is too long: %d characters (at most %d).", n, maxReasonRunes)
	}
	for _, r := range s {
		if unicode.IsControl(r) || r == '\u2028' || r == '\u2029' {
			return "", errors.New("Use one line, without tabs, line breaks or other control characters.")
		}
	}
	return s, nil
}

// friendlyError turns a LocalAPI call's error into a sentence for the
// user; op names the call ("login", "connect", …) and server the backend
// URL of a login.
func friendlyError(op, server string, err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, localapi.ErrNotRunning) {
		return errors.New("The Gatepass agent is not running. It is being started again; try once more in a moment.")
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return errors.New("The Gatepass agent did not answer in time. Try again.")
	}
	var ae *api.Error
	if !errors.As(err, &ae) {
		return fmt.Errorf("Could not talk to the Gatepass agent: %v", err)
	}
	msg := ae.Message
	low := strings.ToLower(msg)
	where := "the Gatepass server"
	if server != "" {
		where = "the Gatepass server at " + server
	}
	switch {
	case op == "login" && ae.Status == http.StatusUnauthorized:
		return errors.New("Wrong email or password.")
	case ae.Status == http.StatusTooManyRequests && op == "login":
		return errors.New("Too many attempts. Wait a few minutes, then try again.")
	case isCertError(low):
		return fmt.Errorf("The certificate of %s is not trusted (%s). Check the address, or ask your administrator to install a valid certificate.", where, certDetail(msg))
	case ae.Status == http.StatusGatewayTimeout && ae.Code == api.CodeUnavailable && strings.Contains(low, "did not answer"):
		return fmt.Errorf("%s did not answer in time. Check the address and your connection.", capitalize(where))
	case ae.Status == http.StatusServiceUnavailable && strings.Contains(low, "cannot reach"):
		detail := ""
		switch {
		case strings.Contains(low, "connection refused"):
			detail = " (connection refused)"
		case strings.Contains(low, "no such host"):
			detail = " (unknown host name)"
		case strings.Contains(low, "i/o timeout"), strings.Contains(low, "timeout"):
			detail = " (no answer)"
		}
		return fmt.Errorf("Can't reach %s%s. Check the address and your connection.", where, detail)
	case op == "login" && ae.Status == http.StatusForbidden:
		return fmt.Errorf("Sign-in refused: %s", msg)
	}
	return errors.New(capitalize(msg))
}

func isCertError(low string) bool {
	return strings.Contains(low, "x509:") || strings.Contains(low, "certificate") || strings.Contains(low, "tls: ")
}

// certDetail keeps the part of a TLS error that says what is wrong.
func certDetail(msg string) string {
	if i := strings.Index(msg, "x509: "); i >= 0 {
		return msg[i+len("x509: "):]
	}
	if i := strings.Index(msg, "tls: "); i >= 0 {
		return msg[i+len("tls: "):]
	}
	return msg
}

func capitalize(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	if n == 0 {
		return s
	}
	return string(unicode.ToUpper(r)) + s[n:]
}

// errText is an error's text for a status line.
func errText(err error) string {
	if err == nil {
		return "no error"
	}
	var ae *api.Error
	if errors.As(err, &ae) {
		return ae.Message
	}
	return err.Error()
}
