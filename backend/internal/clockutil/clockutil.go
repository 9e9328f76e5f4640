// Package clockutil holds helpers for the injected clock
// (github.com/jonboulle/clockwork).
package clockutil

import (
	"time"

	"github.com/jonboulle/clockwork"
)

// TimerUntil returns a timer that fires at deadline (at once if it has
// passed). A fake clock moved by a test between reading the time and
// setting the timer would make a plain NewTimer fire late by that much; this
// sets the timer again when the clock moved while it was being set.
func TimerUntil(c clockwork.Clock, deadline time.Time) clockwork.Timer {
	for {
		before := c.Now()
		t := c.NewTimer(max(deadline.Sub(before), 0))
		if c.Now().Sub(before) <= time.Millisecond {
			return t
		}
		t.Stop()
	}
}
