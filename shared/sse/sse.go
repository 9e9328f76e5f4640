// Package sse writes and reads text/event-stream, the Server-Sent Events
// format of the WHATWG HTML standard ("Server-sent events", section 9.2),
// for every stream Gatepass sends or follows (the backend's event streams,
// the agent's LocalAPI /watch). It has no dependencies.
//
// Writer writes one event at a time and flushes it: the event type and id
// on their own lines, the data split at every line break (CRLF, LF or CR)
// into as many "data:" lines, then the blank line that dispatches it.
// Comments (keep-alives) are lines that start with a colon. An event type
// or id holding a line break (or an id holding NUL) is refused with an
// error, never written: text from outside cannot forge fields or events.
//
// Reader parses a stream exactly as a browser's EventSource does: lines end
// at CRLF, LF or CR; one leading byte-order mark is skipped; lines starting
// with a colon are comments; "field: value" loses one space after the
// colon; the data lines of an event are joined with "\n"; an event with no
// data line is not dispatched; the event type resets after each event, the
// last event id does not (an id field with NUL is ignored); retry takes
// ASCII digits only; unknown fields are ignored; an event left incomplete
// when the stream ends is discarded. Unlike a browser it does not replace
// invalid UTF-8: the bytes are passed through as they came. A line longer
// than MaxLine (default 8 MiB) ends the stream with ErrTooLong, so a broken
// peer cannot make it buffer without bound.
package sse

import "time"

// Event is one event of a stream.
type Event struct {
	// Type is the event type (the "event" field); a Reader gives
	// "message" when the stream named none, as EventSource does.
	Type string
	// ID is the event id. A Writer writes it only when not empty; a Reader
	// gives the stream's last event id, which carries over to later events
	// until an "id" field changes it.
	ID string
	// Data is the payload; line breaks in it are carried.
	Data string
	// Retry asks the reader to wait this long before reconnecting (whole
	// milliseconds; 0: not sent). Reader.Retry reports what a stream set.
	Retry time.Duration
}
