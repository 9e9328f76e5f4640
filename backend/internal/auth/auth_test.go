package auth

import (
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
)

func TestPasswordRoundTrip(t *testing.T) {
	SetTestCost()
	h, err := HashPassword("correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	if err := CheckPassword(h, "correct horse battery"); err != nil {
		t.Fatalf("right password refused: %v", err)
	}
	if err := CheckPassword(h, "wrong"); err != ErrBadPassword {
		t.Fatalf("wrong password: got %v", err)
	}
	if err := CheckPassword("", ""); err != ErrBadPassword {
		t.Fatal("an account without a password accepted an empty one")
	}
}

func TestTokenHashIsStable(t *testing.T) {
	s, h := NewToken()
	if HashToken(s) != h || len(s) < 40 {
		t.Fatalf("token %q hash %q", s, h)
	}
	s2, _ := NewToken()
	if s == s2 {
		t.Fatal("two tokens are equal")
	}
}

func TestLimiterWindow(t *testing.T) {
	clock := clockwork.NewFakeClock()
	l := NewLimiter(clock, 3, time.Minute)
	for range 3 {
		if b, _ := l.Blocked("a"); b {
			t.Fatal("blocked too early")
		}
		l.Fail("a")
	}
	if b, wait := l.Blocked("a", "other"); !b || wait != time.Minute {
		t.Fatalf("after 3 failures: blocked=%v wait=%v", b, wait)
	}
	clock.Advance(time.Minute)
	if b, _ := l.Blocked("a"); b {
		t.Fatal("still blocked after the window")
	}
	l.Fail("a")
	l.Reset("a")
	if len(l.fails) != 0 {
		t.Fatal("reset kept state")
	}
}
