package smtptest

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// record stores a received message and wakes up waiters.
func (s *Server) record(r Received) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.messages = append(s.messages, r)
	close(s.changed)
	s.changed = make(chan struct{})
}

// Messages returns a copy of the messages received so far, oldest first.
func (s *Server) Messages() []Received {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Received(nil), s.messages...)
}

// Count returns the number of messages received so far.
func (s *Server) Count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.messages)
}

// WaitFor returns the first received message (oldest first, including those
// received before the call) for which match returns true. It blocks until
// such a message arrives or timeout passes; on timeout it fails the test
// with a dump of everything received. A nil match accepts any message.
// Like tb.Fatal, call it from the test's goroutine.
func (s *Server) WaitFor(tb testing.TB, match func(Received) bool, timeout time.Duration) Received {
	tb.Helper()
	if match == nil {
		match = func(Received) bool { return true }
	}
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	seen := 0
	for {
		s.mu.Lock()
		msgs := s.messages[seen:]
		changed := s.changed
		s.mu.Unlock()
		for _, m := range msgs {
			if match(m) {
				return m
			}
		}
		seen += len(msgs)
		select {
		case <-changed:
		case <-timer.C:
			tb.Fatalf("smtptest: no matching message within %s; %s", timeout, s.dump())
			return Received{}
		}
	}
}

// dump describes every received message for a failure report.
func (s *Server) dump() string {
	msgs := s.Messages()
	if len(msgs) == 0 {
		return "received nothing"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "received %d message(s):", len(msgs))
	for i, m := range msgs {
		fmt.Fprintf(&b, "\n  #%d from=%q to=%q subject=%q", i+1, m.From, m.To, m.Subject)
	}
	return b.String()
}
