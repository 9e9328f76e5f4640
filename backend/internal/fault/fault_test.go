package fault

import (
	"errors"
	"fmt"
	"testing"
	"time"
)

func TestFromKeepsKindFieldAndWait(t *testing.T) {
	notFound := Sentinel(NotFound, "not found")
	cases := []struct {
		name    string
		err     error
		kind    Kind
		field   string
		message string
		wait    time.Duration
	}{
		{"plain", errors.New("disk on fire"), Internal, "", "internal error", 0},
		{"field", Field("reason", "is required"), Invalid, "reason", "reason: is required", 0},
		{"detail", Detail(notFound, "no network %q", "x"), NotFound, "", `no network "x"`, 0},
		{"wrapped detail", fmt.Errorf("load: %w", Detail(notFound, "no user")), NotFound, "", "load: no user", 0},
		{"limited", Limited(90*time.Second, "slow down"), RateLimited, "", "slow down", 90 * time.Second},
		{"unavailable hides its cause", Wrap(Unavailable, errors.New("SQLITE_FULL"), "cannot save"), Unavailable, "", "cannot save", 0},
		{"unavailable wrapped", fmt.Errorf("commit: %w", Wrap(Unavailable, errors.New("SQLITE_FULL"), "cannot save")), Unavailable, "", "cannot save", 0},
		{"faulter", blocked{}, RateLimited, "", "blocked", time.Minute},
	}
	for _, c := range cases {
		f := From(c.err)
		if f.Kind != c.kind || f.Field != c.field || f.Message != c.message || f.RetryAfter != c.wait {
			t.Errorf("%s: From = %+v, want kind %s field %q message %q wait %v", c.name, f, c.kind, c.field, c.message, c.wait)
		}
		if f.Err == nil {
			t.Errorf("%s: the cause is lost", c.name)
		}
	}
	if From(nil) != nil || KindOf(nil) != "" {
		t.Error("From(nil) is not nil")
	}
}

type blocked struct{}

func (blocked) Error() string { return "blocked" }
func (blocked) Fault() *Error { return Limited(time.Minute, "blocked") }

func TestSentinelIdentity(t *testing.T) {
	a := Sentinel(Conflict, "a")
	b := Sentinel(Conflict, "b")
	d := Detail(a, "details")
	if !errors.Is(d, a) || errors.Is(d, b) {
		t.Fatal("a detail is its own sentinel's and no other's")
	}
	if !errors.Is(fmt.Errorf("x: %w", d), &Error{Kind: Conflict}) || errors.Is(d, &Error{Kind: NotFound}) {
		t.Fatal("a kind probe matches by kind")
	}
	if !Is(d, Conflict) || Is(d, Invalid) || Is(errors.New("x"), Conflict) {
		t.Fatal("Is")
	}
	if f := FieldSentinel("duration_seconds", "bad"); From(Detail(f, "too long")).Field != "duration_seconds" {
		t.Fatal("a detail keeps its sentinel's field")
	}
}
