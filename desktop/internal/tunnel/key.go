package tunnel

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"fmt"

	"golang.org/x/crypto/curve25519"
)

// GenerateKey returns a new random private key, clamped as Curve25519
// requires (RFC 7748).
func GenerateKey() (Key, error) {
	var k Key
	if _, err := rand.Read(k[:]); err != nil {
		return Key{}, fmt.Errorf("tunnel: generate key: %w", err)
	}
	k[0] &= 248
	k[31] = (k[31] & 127) | 64
	return k, nil
}

// Public returns the public key of the private key k.
func (k Key) Public() Key {
	var pub Key
	out, err := curve25519.X25519(k[:], curve25519.Basepoint)
	if err != nil {
		// Only a low-order point input fails; the base point is not one.
		panic("tunnel: curve25519: " + err.Error())
	}
	copy(pub[:], out)
	return pub
}

// IsZero reports whether k is the all-zero key (unset).
func (k Key) IsZero() bool { return k == Key{} }

// String returns the key in standard base64, as WireGuard tools print it.
// Beware: for a private key this is the secret itself.
func (k Key) String() string { return base64.StdEncoding.EncodeToString(k[:]) }

// Hex returns the key in lowercase hex, as the UAPI (IpcSet) expects it.
func (k Key) Hex() string { return hex.EncodeToString(k[:]) }

// ParseKey parses a base64 key (44 characters, as WireGuard tools print it).
func ParseKey(s string) (Key, error) {
	var k Key
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return Key{}, fmt.Errorf("tunnel: parse key: %w", err)
	}
	if len(b) != len(k) {
		return Key{}, fmt.Errorf("tunnel: parse key: %d bytes, want %d", len(b), len(k))
	}
	copy(k[:], b)
	return k, nil
}
