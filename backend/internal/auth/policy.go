package auth

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/ccojocar/zxcvbn-go"

	"gatepass.dev/backend/internal/fault"
)

// The password policy, for every password a person sets (the admin API's
// create user, an invitation's acceptance, the first admin from
// GATEPASS_ADMIN_PASSWORD):
//
//   - 10 to 72 bytes (bcrypt reads at most 72), valid UTF-8;
//   - not containing the local part of the account's email (case-insensitive,
//     when it is at least 3 characters long);
//   - a zxcvbn score of at least MinStrength. zxcvbn (the maintained Go port
//     github.com/ccojocar/zxcvbn-go) estimates the guesses needed from
//     dictionaries of the most used passwords, English words, names and
//     surnames, and from dates, repetitions, sequences, keyboard patterns and
//     l33t substitutions; the account's email and name and the product's
//     name count as words of a dictionary too. Score 3 asks for about 10^10
//     guesses (34 bits in this estimator): "password12", "1234567890",
//     "Summer2024!" are refused; three unrelated words, or a generated
//     password (NewPassword), pass.
//
// The refusal names its reason ("password: is too common…"), so that the
// forms and the API can say why.
const (
	MinPasswordLen = 10
	MaxPasswordLen = 72
	// MinStrength is the lowest zxcvbn score (0–4) accepted.
	MinStrength = 3
	// minLocalPart is the shortest email local part that a password must
	// not contain.
	minLocalPart = 3
)

// PasswordRule is the policy in words, shown beside the forms that set a
// password.
var PasswordRule = fmt.Sprintf("At least %d characters; not a common or easily guessed password, "+
	"and not containing the name part of your email address. A few unrelated words make a good one.", MinPasswordLen)

// ValidatePassword checks a new password p of the account with email and
// name against the policy: nil, or a fault naming the field "password" and
// the reason.
func ValidatePassword(p, email, name string) error {
	if reason := PasswordProblem(p, email, name); reason != "" {
		return fault.Field("password", "%s", reason)
	}
	return nil
}

// PasswordProblem is the reason p breaks the policy for the account with
// email and name, or "" when it does not.
func PasswordProblem(p, email, name string) string {
	switch {
	case !utf8.ValidString(p):
		return "is not valid UTF-8"
	case utf8.RuneCountInString(p) < MinPasswordLen:
		return fmt.Sprintf("must be at least %d characters", MinPasswordLen)
	case len(p) > MaxPasswordLen:
		return fmt.Sprintf("must be at most %d bytes", MaxPasswordLen)
	}
	local, domain, _ := strings.Cut(strings.ToLower(strings.TrimSpace(email)), "@")
	if utf8.RuneCountInString(local) >= minLocalPart && strings.Contains(strings.ToLower(p), local) {
		return "must not contain your email name (the part before the @)"
	}
	res := zxcvbn.PasswordStrength(p, userWords(local, domain, name))
	if res.Score >= MinStrength {
		return ""
	}
	// Say what the estimator found in most of the password.
	var common, pattern int
	for _, m := range res.MatchSequence {
		n := utf8.RuneCountInString(m.Token)
		switch {
		case m.Pattern == "dictionary" && m.DictionaryName == "Passwords":
			common += n
		case m.Pattern == "sequence" || m.Pattern == "repeat" || m.Pattern == "spatial":
			pattern += n
		}
	}
	half := (utf8.RuneCountInString(p) + 1) / 2
	switch {
	case common >= half:
		return "is too common: it is one of the most used passwords, or one with a few characters added; choose another"
	case pattern >= half:
		return "is too easy to guess: it is mostly a sequence, a repetition or a keyboard pattern; choose another"
	}
	return "is too easy to guess: it is made of common words, names or dates; a longer one of a few unrelated words is better"
}

// userWords are the account's own words that a password should not lean
// on: the email's local part and its pieces, the domain's labels but the
// last, the name's words, and the product's name.
func userWords(local, domain, name string) []string {
	words := []string{"gatepass"}
	add := func(s string) {
		for _, w := range strings.FieldsFunc(strings.ToLower(s), func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) }) {
			if utf8.RuneCountInString(w) >= minLocalPart {
				words = append(words, w)
			}
		}
	}
	if local != "" {
		words = append(words, local)
		add(local)
	}
	if i := strings.LastIndex(domain, "."); i > 0 {
		add(domain[:i])
	}
	add(name)
	return words
}
