package sse

import (
	"bufio"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// ErrBadField is wrapped by the error of a Writer asked to write an event
// type or id that would break the stream's framing.
var ErrBadField = errors.New("sse: field value holds a line break or NUL")

// Writer writes events to a stream, each flushed at once. It is not safe
// for concurrent use.
type Writer struct {
	w     *bufio.Writer
	flush func() error
}

// NewWriter returns a Writer to w. When w is an http.ResponseWriter, each
// event is flushed to the client (http.ResponseController).
func NewWriter(w io.Writer) *Writer {
	out := &Writer{w: bufio.NewWriter(w), flush: func() error { return nil }}
	if rw, ok := w.(http.ResponseWriter); ok {
		rc := http.NewResponseController(rw)
		out.flush = func() error {
			if err := rc.Flush(); err != nil && !errors.Is(err, http.ErrNotSupported) {
				return err
			}
			return nil
		}
	}
	return out
}

// Start answers an HTTP request with an event stream: the headers
// (text/event-stream, no caching, no proxy buffering), status 200, no
// write deadline (a stream lasts), flushed; then events go to the
// returned Writer.
func Start(w http.ResponseWriter) (*Writer, error) {
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	rc := http.NewResponseController(w)
	if err := rc.SetWriteDeadline(time.Time{}); err != nil && !errors.Is(err, http.ErrNotSupported) {
		return nil, err
	}
	sw := NewWriter(w)
	return sw, sw.flushAll()
}

// Event writes e and flushes it. An event type or id with a line break
// (or NUL in the id) is refused with an error wrapping ErrBadField and
// nothing is written.
func (w *Writer) Event(e Event) error {
	if strings.ContainsAny(e.Type, "\r\n") {
		return badField("event type", e.Type)
	}
	if strings.ContainsAny(e.ID, "\r\n\x00") {
		return badField("id", e.ID)
	}
	if e.Retry > 0 {
		w.w.WriteString("retry: " + strconv.FormatInt(e.Retry.Milliseconds(), 10) + "\n")
	}
	if e.Type != "" {
		w.w.WriteString("event: " + e.Type + "\n")
	}
	if e.ID != "" {
		w.w.WriteString("id: " + e.ID + "\n")
	}
	for _, line := range splitLines(e.Data) {
		if line == "" {
			w.w.WriteString("data:\n")
			continue
		}
		w.w.WriteString("data: " + line + "\n")
	}
	w.w.WriteString("\n")
	return w.flushAll()
}

// Comment writes a comment (each line of text prefixed with ":"), which
// readers ignore, and flushes it.
func (w *Writer) Comment(text string) error {
	for _, line := range splitLines(text) {
		w.w.WriteString(":" + line + "\n")
	}
	w.w.WriteString("\n")
	return w.flushAll()
}

// KeepAlive writes the comment ": keep-alive": traffic that keeps proxies
// and idle timers from closing a quiet stream.
func (w *Writer) KeepAlive() error { return w.Comment(" keep-alive") }

func (w *Writer) flushAll() error {
	if err := w.w.Flush(); err != nil {
		return err
	}
	return w.flush()
}

// splitLines splits s at CRLF, LF and CR.
func splitLines(s string) []string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.ReplaceAll(s, "\r", "\n")
	return strings.Split(s, "\n")
}

func badField(name, v string) error {
	return &fieldError{name: name, value: v}
}

type fieldError struct{ name, value string }

func (e *fieldError) Error() string {
	return "sse: the " + e.name + " " + strconv.Quote(e.value) + " holds a line break or NUL"
}

func (e *fieldError) Unwrap() error { return ErrBadField }
