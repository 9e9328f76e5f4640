package backendtest

import (
	"testing"
	"time"
)

// Timeout is how long WaitFor waits for its condition.
const Timeout = 10 * time.Second

// WaitFor polls cond until it holds, and fails the test with "timed out
// waiting for what" when it does not within Timeout. Call it from the
// test's goroutine.
func WaitFor(tb testing.TB, what string, cond func() bool) {
	tb.Helper()
	WaitForWithin(tb, Timeout, what, cond)
}

// WaitForWithin is WaitFor with another deadline (benchmarks that wait
// for a thousand grants to expire).
func WaitForWithin(tb testing.TB, timeout time.Duration, what string, cond func() bool) {
	tb.Helper()
	if !Poll(timeout, cond) {
		tb.Fatalf("timed out waiting for %s", what)
	}
}

// Poll calls cond every 2 ms until it returns true, and reports false when
// it has not within timeout: the one polling loop of the tests, for the
// callers that report a timeout their own way. It measures the deadline
// on the real clock whatever the server's clock is.
func Poll(timeout time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(2 * time.Millisecond)
	}
	return true
}
