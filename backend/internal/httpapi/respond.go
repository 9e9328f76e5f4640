package httpapi

import (
	"encoding/json"
	"errors"
	"io"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"gatepass.dev/backend/internal/fault"
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

// status is the HTTP status of each fault kind: the one translation of
// the backend's errors to HTTP.
var status = map[fault.Kind]int{
	fault.Invalid:         http.StatusBadRequest,
	fault.Unauthenticated: http.StatusUnauthorized,
	fault.Forbidden:       http.StatusForbidden,
	fault.NotFound:        http.StatusNotFound,
	fault.Conflict:        http.StatusConflict,
	fault.TooLarge:        http.StatusRequestEntityTooLarge,
	fault.Unsupported:     http.StatusUnsupportedMediaType,
	fault.RateLimited:     http.StatusTooManyRequests,
	fault.Unavailable:     http.StatusServiceUnavailable,
	fault.Internal:        http.StatusInternalServerError,
}

// code is the wire error code of each fault kind.
var code = map[fault.Kind]api.ErrorCode{
	fault.Invalid:         api.CodeBadRequest,
	fault.Unauthenticated: api.CodeUnauthorized,
	fault.Forbidden:       api.CodeForbidden,
	fault.NotFound:        api.CodeNotFound,
	fault.Conflict:        api.CodeConflict,
	fault.TooLarge:        api.CodeTooLarge,
	fault.Unsupported:     api.CodeBadRequest,
	fault.RateLimited:     api.CodeRateLimited,
	fault.Unavailable:     api.CodeUnavailable,
	fault.Internal:        api.CodeInternal,
}

// apiError is the wire form of err: the error body of a response, or of
// one result of a bulk decision.
func apiError(err error) api.Error {
	f := fault.From(err)
	return api.Error{Code: code[f.Kind], Message: f.Message, Field: f.Field}
}

// writeError writes err as the API's error body with the status of its
// kind (and Retry-After when it says how long to wait). Internal errors are
// logged and shown as "internal error".
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		err = fault.New(fault.TooLarge, "the request body is larger than %d bytes", MaxBody)
	}
	f := fault.From(err)
	if f.Kind == fault.Internal && r.Context().Err() == nil {
		s.Logger.Error("api: internal error", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	if f.RetryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(f.RetryAfter.Seconds()))))
	}
	st, ok := status[f.Kind]
	if !ok {
		st = http.StatusInternalServerError
	}
	writeJSON(w, st, api.ErrorBody{Error: apiError(err)})
}

// decode reads one JSON object into v: at most MaxBody bytes, no unknown
// fields, nothing after it. An empty body is {} when allowEmpty.
func decode(w http.ResponseWriter, r *http.Request, v any, allowEmpty bool) error {
	if ct := r.Header.Get("Content-Type"); ct != "" && !strings.HasPrefix(strings.ToLower(ct), "application/json") {
		return fault.New(fault.Unsupported, "the body must be JSON (Content-Type: application/json), not %q", ct)
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
			return fault.Invalidf("the request body is empty: a JSON object is required")
		case errors.As(err, &se):
			return fault.Invalidf("malformed JSON at byte %d: %v", se.Offset, se)
		case errors.As(err, &te) && te.Field == "":
			return fault.Invalidf("the body must be a JSON object, not a JSON %s", te.Value)
		case errors.As(err, &te):
			return fault.Field(te.Field, "must be a %s, not a JSON %s", te.Type, te.Value)
		case strings.HasPrefix(err.Error(), "json: unknown field "):
			return fault.Invalidf("unknown field %s", strings.TrimPrefix(err.Error(), "json: unknown field "))
		case errors.Is(err, io.ErrUnexpectedEOF):
			return fault.Invalidf("malformed JSON: the body ends too early")
		}
		return fault.Invalidf("malformed JSON: %v", err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return err
		}
		return fault.Invalidf("malformed JSON: unexpected data after the object")
	}
	return nil
}

func (s *Server) notFound(w http.ResponseWriter, r *http.Request) {
	s.writeError(w, r, fault.NotFoundf("no such API endpoint: %s %s", r.Method, r.URL.Path))
}
