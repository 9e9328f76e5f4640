// Package auth holds Gatepass's credentials: password hashes (bcrypt), the
// policy of new passwords (policy.go), random bearer tokens stored only as
// their SHA-256, and the limiter of failed attempts (limiter.go: rules per
// key over a State kept in memory by MemoryState).
package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"

	"gatepass.dev/backend/internal/fault"
	"golang.org/x/crypto/bcrypt"
)

// bcryptCost is a variable so tests can lower it.
var bcryptCost = 11

// ErrBadPassword is returned by CheckPassword for a wrong password.
var ErrBadPassword = fault.Sentinel(fault.Unauthenticated, "wrong email or password")

// HashPassword returns the bcrypt hash of p.
func HashPassword(p string) (string, error) {
	h, err := bcrypt.GenerateFromPassword([]byte(p), bcryptCost)
	if err != nil {
		return "", err
	}
	return string(h), nil
}

// dummyHash makes a login for an unknown email cost as much as a real one.
var dummyHash, _ = bcrypt.GenerateFromPassword([]byte("gatepass-timing-equalizer"), bcryptCost)

// CheckPassword compares p with hash; an empty hash (no password set, e.g.
// an invited user) never matches but costs the same time.
func CheckPassword(hash, p string) error {
	if hash == "" || len(p) > MaxPasswordLen {
		_ = bcrypt.CompareHashAndPassword(dummyHash, []byte(p))
		return ErrBadPassword
	}
	if bcrypt.CompareHashAndPassword([]byte(hash), []byte(p)) != nil {
		return ErrBadPassword
	}
	return nil
}

// SetTestCost lowers the bcrypt cost for tests and benchmarks.
func SetTestCost() { bcryptCost = bcrypt.MinCost }

// NewToken returns a random secret (32 bytes, base64url) and its hash.
func NewToken() (secret, hash string) {
	var b [32]byte
	_, _ = rand.Read(b[:])
	secret = base64.RawURLEncoding.EncodeToString(b[:])
	return secret, HashToken(secret)
}

// HashToken is the stored form of a token secret.
func HashToken(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

// NewPassword returns a random password for generated accounts.
func NewPassword() string {
	var b [15]byte
	_, _ = rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}
