package auth

import (
	"errors"
	"strings"
	"testing"

	"gatepass.dev/backend/internal/fault"
)

// TestPasswordPolicy: common and guessable passwords and those holding the
// email's name are refused with their reason as a "password" field fault;
// strong ones pass.
func TestPasswordPolicy(t *testing.T) {
	const email, name = "contractor@example.com", "Casey Contractor"
	refused := []struct{ password, reason string }{
		{"short", "must be at least 10 characters"},
		{strings.Repeat("x", 73), "must be at most 72 bytes"},
		{"\xff\xfe invalid utf8", "is not valid UTF-8"},
		{"password12", "is too common"},
		{"Password2024", "is too common"},
		{"qwertyuiop", "is too common"},
		{"iloveyou123", "is too easy to guess: it is made of common words"},
		{"1234567890", "is too easy to guess: it is mostly a sequence"},
		{"zxcvbnm,./", "is too easy to guess: it is mostly a sequence, a repetition or a keyboard pattern"},
		{"aaaaaaaaaaaa", "is too easy to guess: it is mostly a sequence"},
		{"contractor2026!", "must not contain your email name"},
		{"My-CONTRACTOR-pass-91", "must not contain your email name"},
		{"a good long password", "is too easy to guess"},
		{"example-casey-2026", "is too easy to guess"}, // the account's own words
	}
	for _, c := range refused {
		err := ValidatePassword(c.password, email, name)
		var f *fault.Error
		if !errors.As(err, &f) || f.Kind != fault.Invalid || f.Field != "password" {
			t.Errorf("ValidatePassword(%q) = %v, want a password field fault", c.password, err)
			continue
		}
		if want := "password: " + c.reason; !strings.HasPrefix(f.Message, want) {
			t.Errorf("ValidatePassword(%q) = %q, want %q…", c.password, f.Message, want)
		}
	}
	for _, p := range []string{"kestrel-Quartz-harbor-81", "correct horse battery staple", NewPassword(), "Zürich-Ölfeld-Tür-4711", "テストのパスワードです長い"} {
		if err := ValidatePassword(p, email, name); err != nil {
			t.Errorf("ValidatePassword(%q) refused a strong password: %v", p, err)
		}
	}
	// A short local part is not a rule: "al" may appear.
	if err := ValidatePassword("kestrel-Quartz-al-81", "al@example.com", ""); err != nil {
		t.Errorf("a two-letter email name refused a strong password: %v", err)
	}
}
