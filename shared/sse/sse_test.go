package sse

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// readAll reads every event of s, and the error that ended the stream.
func readAll(t *testing.T, s string) ([]Event, *Reader, error) {
	t.Helper()
	r := NewReader(strings.NewReader(s))
	var out []Event
	for {
		ev, err := r.Next()
		if err != nil {
			return out, r, err
		}
		out = append(out, ev)
	}
}

func ev(typ, id, data string) Event { return Event{Type: typ, ID: id, Data: data} }

// The WHATWG standard's examples and the corners EventSource
// implementations are tested on.
func TestReaderSpecCases(t *testing.T) {
	cases := []struct {
		name   string
		stream string
		want   []Event
		end    error
	}{
		{"multi-line data joined with LF", "data: YHOO\ndata: +2\ndata: 10\n\n", []Event{ev("message", "", "YHOO\n+2\n10")}, io.EOF},
		{"the standard's id example", ": test stream\n\ndata: first event\nid: 1\n\ndata:second event\nid\n\ndata:  third event\n\n",
			[]Event{ev("message", "1", "first event"), ev("message", "", "second event"), ev("message", "", " third event")}, io.EOF},
		{"empty data, two empty lines, an unfinished event", "data\n\ndata\ndata\n\ndata:", []Event{ev("message", "", ""), ev("message", "", "\n")}, io.ErrUnexpectedEOF},
		{"one space is optional", "data:test\n\ndata: test\n\n", []Event{ev("message", "", "test"), ev("message", "", "test")}, io.EOF},
		{"CR line ends", "data: a\rdata: b\r\r", []Event{ev("message", "", "a\nb")}, io.EOF},
		{"CRLF line ends", "event: x\r\ndata: a\r\ndata: b\r\n\r\n", []Event{ev("x", "", "a\nb")}, io.EOF},
		{"mixed line ends", "data: a\r\ndata: b\rdata: c\n\r\n", []Event{ev("message", "", "a\nb\nc")}, io.EOF},
		{"CR then LF across events is one line end", "data: a\r\n\rdata: b\n\n", []Event{ev("message", "", "a"), ev("message", "", "b")}, io.EOF},
		{"a leading BOM is skipped", "\uFEFFdata: x\n\n", []Event{ev("message", "", "x")}, io.EOF},
		{"only one BOM, only at the start", "\uFEFF\uFEFFdata: x\n\ndata: y\n\n", []Event{ev("message", "", "y")}, io.EOF},
		{"a BOM later is part of the field name", "data: x\n\n\uFEFFdata: y\n\n", []Event{ev("message", "", "x")}, io.EOF},
		{"comments are ignored", ":hello\n: keep-alive\ndata: x\n:between\ndata: y\n\n", []Event{ev("message", "", "x\ny")}, io.EOF},
		{"event type resets after each event", "event: foo\ndata: 1\n\ndata: 2\n\n", []Event{ev("foo", "", "1"), ev("message", "", "2")}, io.EOF},
		{"an event without data is not dispatched and forgets its type", "event: foo\n\ndata: x\n\n", []Event{ev("message", "", "x")}, io.EOF},
		{"the last event id carries over", "id: 7\ndata: a\n\ndata: b\n\nid: 8\ndata: c\n\n", []Event{ev("message", "7", "a"), ev("message", "7", "b"), ev("message", "8", "c")}, io.EOF},
		{"an id set without data still counts", "id: 3\n\ndata: a\n\n", []Event{ev("message", "3", "a")}, io.EOF},
		{"an id with NUL is ignored", "id: 1\ndata: a\n\nid: 2\x003\ndata: b\n\n", []Event{ev("message", "1", "a"), ev("message", "1", "b")}, io.EOF},
		{"unknown fields are ignored", "foo: bar\ndata: x\nDATA: y\nData: z\n\n", []Event{ev("message", "", "x")}, io.EOF},
		{"a field without a colon has an empty value", "event\ndata\n\n", []Event{ev("message", "", "")}, io.EOF},
		{"the value keeps further colons and spaces", "data: a: b  \n\n", []Event{ev("message", "", "a: b  ")}, io.EOF},
		{"extra blank lines dispatch nothing", "\n\n\ndata: a\n\n\n\n", []Event{ev("message", "", "a")}, io.EOF},
		{"an event cut by the end of the stream is discarded", "data: a\n\ndata: b\n", []Event{ev("message", "", "a")}, io.ErrUnexpectedEOF},
		{"a line cut by the end of the stream is discarded", "data: a\n\ndata: b", []Event{ev("message", "", "a")}, io.ErrUnexpectedEOF},
		{"a comment at the end is a clean end", "data: a\n\n: bye\n", []Event{ev("message", "", "a")}, io.EOF},
		{"an empty stream", "", nil, io.EOF},
		{"JSON with a newline inside", "event: status\ndata: {\"a\":\ndata: 1}\n\n", []Event{ev("status", "", "{\"a\":\n1}")}, io.EOF},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, _, err := readAll(t, c.stream)
			if !errors.Is(err, c.end) {
				t.Errorf("stream ended with %v, want %v", err, c.end)
			}
			if len(got) != len(c.want) {
				t.Fatalf("events %q, want %q", got, c.want)
			}
			for i := range got {
				if got[i] != c.want[i] {
					t.Errorf("event %d = %q, want %q", i, got[i], c.want[i])
				}
			}
		})
	}
}

func TestReaderRetry(t *testing.T) {
	_, r, _ := readAll(t, "retry: 1500\n\n")
	if r.Retry() != 1500*time.Millisecond {
		t.Errorf("retry %v", r.Retry())
	}
	for _, bad := range []string{"retry: 10x\n", "retry:  100\n", "retry: -5\n", "retry:\n", "retry: 1.5\n", "retry: 99999999999999999999999\n"} {
		_, r, _ := readAll(t, "retry: 7\n"+bad+"\n")
		if r.Retry() != 7*time.Millisecond {
			t.Errorf("%q: retry %v, want the earlier 7ms", bad, r.Retry())
		}
	}
	if _, r, _ := readAll(t, "id: abc\ndata: x\n\n"); r.LastEventID() != "abc" {
		t.Errorf("last event id %q", r.LastEventID())
	}
}

func TestReaderLineLimit(t *testing.T) {
	r := NewReader(strings.NewReader("data: " + strings.Repeat("x", 100) + "\n\n"))
	r.MaxLine = 50
	if _, err := r.Next(); !errors.Is(err, ErrTooLong) {
		t.Errorf("a 106-byte line with a 50-byte limit: %v", err)
	}
	r = NewReader(strings.NewReader("data: " + strings.Repeat("x", 44) + "\n\n"))
	r.MaxLine = 50
	if e, err := r.Next(); err != nil || len(e.Data) != 44 {
		t.Errorf("a 50-byte line: %v %v", e, err)
	}
}

// A stream that pauses after a CR must not hold the event back waiting to
// see whether a LF follows.
func TestReaderDoesNotWaitAfterCR(t *testing.T) {
	pr, pw := io.Pipe()
	r := NewReader(pr)
	go pw.Write([]byte("data: a\r\r")) // then nothing more until the test ends
	done := make(chan Event, 1)
	go func() {
		e, err := r.Next()
		if err == nil {
			done <- e
		}
	}()
	deadline := time.NewTimer(10 * time.Second)
	defer deadline.Stop()
	select {
	case e := <-done:
		if e.Data != "a" {
			t.Errorf("event %q", e.Data)
		}
	case <-deadline.C:
		t.Fatal("the event ended by CR CR was not dispatched")
	}
	pw.Close()
}

func TestWriter(t *testing.T) {
	var b bytes.Buffer
	w := NewWriter(&b)
	if err := w.Event(Event{Type: "status", ID: "42", Data: "{\"a\":1,\r\n\"b\":\"<script>\"}\nlast\r", Retry: 3 * time.Second}); err != nil {
		t.Fatal(err)
	}
	if err := w.KeepAlive(); err != nil {
		t.Fatal(err)
	}
	if err := w.Comment("two\nlines"); err != nil {
		t.Fatal(err)
	}
	if err := w.Event(Event{Data: ""}); err != nil {
		t.Fatal(err)
	}
	want := "retry: 3000\nevent: status\nid: 42\ndata: {\"a\":1,\ndata: \"b\":\"<script>\"}\ndata: last\ndata:\n\n" +
		": keep-alive\n\n" + ":two\n:lines\n\n" + "data:\n\n"
	if b.String() != want {
		t.Errorf("wrote\n%q\nwant\n%q", b.String(), want)
	}
	got, _, err := readAll(t, b.String())
	if !errors.Is(err, io.EOF) || len(got) != 2 || got[0] != ev("status", "42", "{\"a\":1,\n\"b\":\"<script>\"}\nlast\n") || got[1] != ev("message", "42", "") {
		t.Errorf("read back %q (%v)", got, err)
	}
}

// Text from outside cannot forge a field or an event through the type or id.
func TestWriterRefusesFramingInTypeAndID(t *testing.T) {
	for _, e := range []Event{
		{Type: "status\ndata: forged", Data: "x"},
		{Type: "a\rb", Data: "x"},
		{ID: "1\n\ndata: forged", Data: "x"},
		{ID: "1\r", Data: "x"},
		{ID: "1\x002", Data: "x"},
	} {
		var b bytes.Buffer
		if err := NewWriter(&b).Event(e); !errors.Is(err, ErrBadField) {
			t.Errorf("%q: error %v, want ErrBadField", e, err)
		}
		if b.Len() != 0 {
			t.Errorf("%q: wrote %q", e, b.String())
		}
	}
}

func TestStartFlushesEachEvent(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sw, err := Start(w)
		if err != nil {
			t.Error(err)
			return
		}
		sw.Event(Event{Type: "hello", Data: "one"})
		<-r.Context().Done() // the first event must arrive while the handler still runs
	}))
	defer srv.Close()
	resp, err := http.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" || resp.Header.Get("Cache-Control") != "no-store" {
		t.Errorf("headers %v", resp.Header)
	}
	e, err := NewReader(resp.Body).Next()
	if err != nil || e != ev("hello", "", "one") {
		t.Errorf("first event %q %v", e, err)
	}
}

// FuzzRoundTrip: whatever the Writer writes, the Reader reads back: the
// data with its line breaks as LF, the type ("message" when none), the id.
func FuzzRoundTrip(f *testing.F) {
	f.Add("status", "1", "{\"a\":1}", "data: x\n\n")
	f.Add("", "", "", "")
	f.Add("x", "", "a\r\nb\rc\nd", ":\n")
	f.Add("\uFEFF", "id", "\uFEFFdata: x", "\r")
	f.Fuzz(func(t *testing.T, typ, id, data, comment string) {
		var b bytes.Buffer
		w := NewWriter(&b)
		if err := w.Comment(comment); err != nil {
			t.Fatal(err)
		}
		err := w.Event(Event{Type: typ, ID: id, Data: data})
		if strings.ContainsAny(typ, "\r\n") || strings.ContainsAny(id, "\r\n\x00") {
			if !errors.Is(err, ErrBadField) {
				t.Fatalf("type %q id %q: %v", typ, id, err)
			}
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		w.Event(Event{Type: "end", Data: "end"}) //nolint:errcheck
		r := NewReader(&b)
		got, err := r.Next()
		if err != nil {
			t.Fatalf("read %q: %v", b.String(), err)
		}
		wantType := typ
		if typ == "" {
			wantType = "message"
		}
		wantData := strings.ReplaceAll(strings.ReplaceAll(data, "\r\n", "\n"), "\r", "\n")
		if got.Type != wantType || got.ID != id || got.Data != wantData {
			t.Fatalf("wrote type %q id %q data %q, read %q", typ, id, data, got)
		}
		if end, err := r.Next(); err != nil || end.Type != "end" || end.ID != id {
			t.Fatalf("the next event: %q %v", end, err)
		}
		if _, err := r.Next(); !errors.Is(err, io.EOF) {
			t.Fatalf("the end: %v", err)
		}
	})
}
