package clockutil

import (
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
)

func TestTimerUntil(t *testing.T) {
	c := clockwork.NewFakeClock()
	past := TimerUntil(c, c.Now().Add(-time.Second))
	select {
	case <-past.Chan():
	case <-time.After(5 * time.Second):
		t.Fatal("a timer for a past deadline did not fire")
	}
	tm := TimerUntil(c, c.Now().Add(time.Hour))
	c.Advance(59 * time.Minute)
	select {
	case <-tm.Chan():
		t.Fatal("fired early")
	default:
	}
	c.Advance(time.Minute)
	select {
	case <-tm.Chan():
	case <-time.After(5 * time.Second):
		t.Fatal("did not fire at the deadline")
	}
}
