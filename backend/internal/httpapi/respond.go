package httpapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"gatepass.dev/backend/internal/access"
	"gatepass.dev/backend/internal/auth"
	"gatepass.dev/backend/internal/outbox"
	"gatepass.dev/backend/internal/store"
	"gatepass.dev/shared/api"
)

// MaxBody is the largest request body the API reads.
const MaxBody = 1 << 20

// now is the server clock in UTC.
func (s *Server) now() time.Time { return s.Clock.Now().UTC() }

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(true)
	_ = enc.Encode(v)
}

func apiErr(status int, code api.ErrorCode, format string, args ...any) *api.Error {
	return &api.Error{Status: status, Code: code, Message: fmt.Sprintf(format, args...)}
}

func badRequest(format string, args ...any) *api.Error {
	return apiErr(http.StatusBadRequest, api.CodeBadRequest, format, args...)
}

// writeError maps err to its status and writes the error body. Unexpected
// errors are logged and shown as a generic 500.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	var ae *api.Error
	var ie *access.InputError
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &ae):
	case errors.As(err, &ie):
		ae = &api.Error{Status: 400, Code: api.CodeBadRequest, Message: ie.Error(), Field: ie.Field}
	case errors.As(err, &mbe):
		ae = apiErr(413, api.CodeTooLarge, "the request body is larger than %d bytes", MaxBody)
	case errors.Is(err, access.ErrInvalidDuration):
		ae = &api.Error{Status: 400, Code: api.CodeBadRequest, Message: err.Error(), Field: "duration_seconds"}
	case errors.Is(err, access.ErrSelfDecision), errors.Is(err, access.ErrForbidden):
		ae = apiErr(403, api.CodeForbidden, "%s", err.Error())
	case errors.Is(err, store.ErrNotFound):
		ae = apiErr(404, api.CodeNotFound, "%s", err.Error())
	case errors.Is(err, store.ErrConflict), errors.Is(err, access.ErrInvalidTransition), errors.Is(err, access.ErrNotDue),
		errors.Is(err, store.ErrRangeFull), errors.Is(err, outbox.ErrNotRetryable):
		ae = apiErr(409, api.CodeConflict, "%s", err.Error())
	case errors.Is(err, auth.ErrBadPassword):
		ae = apiErr(401, api.CodeUnauthorized, "%s", err.Error())
	default:
		if r.Context().Err() == nil {
			s.Logger.Error("api: internal error", "method", r.Method, "path", r.URL.Path, "err", err)
		}
		ae = apiErr(500, api.CodeInternal, "internal error")
	}
	if ae.Status == 0 {
		ae.Status = 500
	}
	writeJSON(w, ae.Status, api.ErrorBody{Error: *ae})
}

// decode reads one JSON object into v: at most MaxBody bytes, no unknown
// fields, nothing after it. An empty body is {} when allowEmpty.
func decode(w http.ResponseWriter, r *http.Request, v any, allowEmpty bool) error {
	if ct := r.Header.Get("Content-Type"); ct != "" && !strings.HasPrefix(strings.ToLower(ct), "application/json") {
		return apiErr(415, api.CodeBadRequest, "the body must be JSON (Content-Type: application/json), not %q", ct)
	}
	r.Body = http.MaxBytesReader(w, r.Body, MaxBody)
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var mbe *http.MaxBytesError
		var se *json.SyntaxError
		var te *json.UnmarshalTypeError
		switch {
		case errors.As(err, &mbe):
			return err
		case errors.Is(err, io.EOF):
			if allowEmpty {
				return nil
			}
			return badRequest("the request body is empty: a JSON object is required")
		case errors.As(err, &se):
			return badRequest("malformed JSON at byte %d: %v", se.Offset, se)
		case errors.As(err, &te) && te.Field == "":
			return badRequest("the body must be a JSON object, not a JSON %s", te.Value)
		case errors.As(err, &te):
			return &api.Error{Status: 400, Code: api.CodeBadRequest, Field: te.Field, Message: fmt.Sprintf("%s: must be a %s, not a JSON %s", te.Field, te.Type, te.Value)}
		case strings.HasPrefix(err.Error(), "json: unknown field "):
			return badRequest("unknown field %s", strings.TrimPrefix(err.Error(), "json: unknown field "))
		case errors.Is(err, io.ErrUnexpectedEOF):
			return badRequest("malformed JSON: the body ends too early")
		}
		return badRequest("malformed JSON: %v", err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return err
		}
		return badRequest("malformed JSON: unexpected data after the object")
	}
	return nil
}

func (s *Server) notFound(w http.ResponseWriter, r *http.Request) {
	s.writeError(w, r, apiErr(404, api.CodeNotFound, "no such API endpoint: %s %s", r.Method, r.URL.Path))
}
