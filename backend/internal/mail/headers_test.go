package mail_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"gatepass.dev/backend/internal/mail"
	"gatepass.dev/shared/api"
)

func TestHeaderSafe(t *testing.T) {
	cases := map[string]string{
		"Hello":                      "Hello",
		"Hello\r\nBcc: evil@x":       "Hello Bcc: evil@x",
		"a\rb\nc\td\x00e\x7ff\u0085": "a b c d e f",
		"  spaced   out  ":           "spaced out",
		"line\u2028sep":              "line sep",
		"bad \xff utf8":              "bad \uFFFD utf8",
		"Grüße → ok":                 "Grüße → ok",
	}
	for in, want := range cases {
		if got := mail.HeaderSafe(in); got != want {
			t.Errorf("HeaderSafe(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestValidAddress(t *testing.T) {
	good := []string{"alice@example.com", "a.b+tag@sub.example.org"}
	bad := []string{
		"", "alice", "alice@", "Alice <alice@example.com>", "<alice@example.com>",
		" alice@example.com", "alice@example.com\r\nBcc: evil@x", "alice@example.com\n",
		"a@b, c@d", "alice@example.com (comment)",
	}
	for _, s := range good {
		if err := mail.ValidAddress(s); err != nil {
			t.Errorf("ValidAddress(%q) = %v, want nil", s, err)
		}
	}
	for _, s := range bad {
		err := mail.ValidAddress(s)
		if !errors.Is(err, mail.ErrInvalidAddress) {
			t.Errorf("ValidAddress(%q) = %v, want ErrInvalidAddress", s, err)
		}
	}
}

func TestConfig(t *testing.T) {
	c := mail.Config{Host: "smtp.example.com", Username: "u", Password: "hunter2-secret", From: "gp@example.com", TLS: api.SMTPTLSStartTLS}
	if !c.Configured() {
		t.Error("Configured() = false")
	}
	for _, s := range []string{c.String(), strings.ReplaceAll(c.GoString(), " ", "")} {
		if strings.Contains(s, "hunter2") {
			t.Errorf("password leaked: %s", s)
		}
	}
	if !strings.Contains(c.String(), "smtp.example.com:587") || !strings.Contains(c.String(), "password=[set]") {
		t.Errorf("String() = %s", c)
	}
	if err := c.Validate(); err != nil {
		t.Errorf("Validate() = %v", err)
	}
	if (mail.Config{Host: "h"}).Configured() || (mail.Config{From: "a@b.c"}).Configured() {
		t.Error("Configured() without host or from")
	}
	invalid := []mail.Config{
		{},
		{Host: "h", From: "not an address"},
		{Host: "h", From: "a@b.c", TLS: "ssl"},
		{Host: "h", From: "a@b.c", Port: 70000},
		{Host: "h", From: "Evil\r\nBcc: x@y <a@b.c>"},
		{Host: "h", From: "a@b.c", Timeout: -time.Second},
	}
	for _, c := range invalid {
		if err := c.Validate(); err == nil {
			t.Errorf("Validate(%s) = nil", c)
		}
	}
	if err := (mail.Config{}).Validate(); !errors.Is(err, mail.ErrNotConfigured) {
		t.Errorf("Validate(zero) = %v, want ErrNotConfigured", err)
	}
}
