package api

import "fmt"

// ErrorCode is a machine-readable error code. Each maps to one HTTP status.
type ErrorCode string

const (
	CodeBadRequest     ErrorCode = "bad_request"        // 400: malformed or invalid input
	CodeUnauthorized   ErrorCode = "unauthorized"       // 401: no or bad credentials
	CodeForbidden      ErrorCode = "forbidden"          // 403: authenticated but not allowed
	CodeNotFound       ErrorCode = "not_found"          // 404
	CodeConflict       ErrorCode = "conflict"           // 409: the state changed or the move is not allowed now
	CodeTooLarge       ErrorCode = "too_large"          // 413: body too large
	CodeRateLimited    ErrorCode = "rate_limited"       // 429
	CodeInternal       ErrorCode = "internal"           // 500
	CodeUnavailable    ErrorCode = "unavailable"        // 503
	CodeMethodNotAllow ErrorCode = "method_not_allowed" // 405
)

// ErrorBody is the JSON shape of every error: {"error":{"code","message"}}.
type ErrorBody struct {
	Error Error `json:"error"`
}

// Error is an API error. It implements the error interface so the client
// can return it as is.
type Error struct {
	Status  int       `json:"-"`
	Code    ErrorCode `json:"code"`
	Message string    `json:"message"`
	// Field names the input field at fault, when there is one.
	Field string `json:"field,omitempty"`
}

func (e *Error) Error() string {
	if e.Status != 0 {
		return fmt.Sprintf("%s (%d %s)", e.Message, e.Status, e.Code)
	}
	return fmt.Sprintf("%s (%s)", e.Message, e.Code)
}
