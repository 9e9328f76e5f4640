package sse

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"strconv"
	"time"
)

// ErrTooLong ends a stream whose line is longer than Reader.MaxLine.
var ErrTooLong = errors.New("sse: line too long")

// DefaultMaxLine is the default limit on one line of a stream.
const DefaultMaxLine = 8 << 20

// Reader reads the events of a stream. It is not safe for concurrent use.
type Reader struct {
	// MaxLine bounds one line in bytes (default DefaultMaxLine).
	MaxLine int

	r         *bufio.Reader
	started   bool // the first line was read (a BOM is skipped before it only)
	afterCR   bool // the last line ended with CR: a LF next belongs to it
	lastID    string
	retry     time.Duration
	typ       string
	data      bytes.Buffer
	haveData  bool // a data field was seen since the last dispatch
	fieldSeen bool // a field since the last dispatch (for io.ErrUnexpectedEOF)
	line      []byte
}

// NewReader returns a Reader of r.
func NewReader(r io.Reader) *Reader {
	return &Reader{r: bufio.NewReaderSize(r, 4096)}
}

// LastEventID is the stream's last event id (what a reconnection sends as
// Last-Event-ID).
func (r *Reader) LastEventID() string { return r.lastID }

// Retry is the reconnection time the stream asked for (0: none).
func (r *Reader) Retry() time.Duration { return r.retry }

// Next returns the next event. At the end of the stream it returns io.EOF,
// or io.ErrUnexpectedEOF when lines of an unfinished event were discarded;
// a read error is returned as it is.
func (r *Reader) Next() (Event, error) {
	for {
		line, err := r.readLine()
		if err != nil {
			if errors.Is(err, io.EOF) && (r.fieldSeen || len(r.line) > 0) {
				r.reset()
				return Event{}, io.ErrUnexpectedEOF
			}
			return Event{}, err
		}
		if len(line) == 0 {
			if ev, ok := r.dispatch(); ok {
				return ev, nil
			}
			continue
		}
		r.field(line)
	}
}

// field processes one non-empty line.
func (r *Reader) field(line []byte) {
	if line[0] == ':' {
		return // a comment
	}
	r.fieldSeen = true
	name, value := line, []byte(nil)
	if i := bytes.IndexByte(line, ':'); i >= 0 {
		name, value = line[:i], line[i+1:]
		if len(value) > 0 && value[0] == ' ' {
			value = value[1:]
		}
	}
	switch string(name) {
	case "event":
		r.typ = string(value)
	case "data":
		r.data.Write(value)
		r.data.WriteByte('\n')
		r.haveData = true
	case "id":
		if bytes.IndexByte(value, 0) < 0 {
			r.lastID = string(value)
		}
	case "retry":
		if len(value) > 0 && allDigits(value) {
			if ms, err := strconv.ParseInt(string(value), 10, 64); err == nil && ms <= int64(time.Duration(1<<63-1)/time.Millisecond) {
				r.retry = time.Duration(ms) * time.Millisecond
			}
		}
	}
}

// dispatch ends an event at a blank line; ok is false when it had no data.
func (r *Reader) dispatch() (Event, bool) {
	defer r.reset()
	if !r.haveData {
		return Event{}, false
	}
	data := r.data.Bytes()
	data = data[:len(data)-1] // the last line's "\n"
	typ := r.typ
	if typ == "" {
		typ = "message"
	}
	return Event{Type: typ, ID: r.lastID, Data: string(data)}, true
}

func (r *Reader) reset() {
	r.typ = ""
	r.data.Reset()
	r.haveData, r.fieldSeen = false, false
}

// readLine returns the next line without its end (CRLF, LF or CR). A line
// cut by the end of the stream is not a line: io.EOF.
func (r *Reader) readLine() ([]byte, error) {
	max := r.MaxLine
	if max <= 0 {
		max = DefaultMaxLine
	}
	r.line = r.line[:0]
	for {
		b, err := r.r.ReadByte()
		if err != nil {
			return nil, err
		}
		if r.afterCR {
			r.afterCR = false
			if b == '\n' {
				continue
			}
		}
		switch b {
		case '\n':
			return r.first(), nil
		case '\r':
			r.afterCR = true
			return r.first(), nil
		}
		if len(r.line) >= max {
			return nil, ErrTooLong
		}
		r.line = append(r.line, b)
	}
}

// first strips the byte-order mark from the stream's first line.
func (r *Reader) first() []byte {
	line := r.line
	if !r.started {
		r.started = true
		line = bytes.TrimPrefix(line, []byte("\uFEFF"))
	}
	return line
}

func allDigits(b []byte) bool {
	for _, c := range b {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}
