package auth

import (
	"testing"
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
