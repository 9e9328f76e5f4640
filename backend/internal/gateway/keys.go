package gateway

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"fmt"

	"golang.org/x/crypto/curve25519"
)

// Key is a Curve25519 key.
type Key [32]byte

// NewPrivateKey returns a random, clamped private key.
func NewPrivateKey() (Key, error) {
	var k Key
	if _, err := rand.Read(k[:]); err != nil {
		return k, err
	}
	k[0] &= 248
	k[31] = (k[31] & 127) | 64
	return k, nil
}

// Public returns the public key of a private key.
func (k Key) Public() Key {
	var p Key
	out, _ := curve25519.X25519(k[:], curve25519.Basepoint)
	copy(p[:], out)
	return p
}

// String is the base64 form used by WireGuard configs and the API.
func (k Key) String() string { return base64.StdEncoding.EncodeToString(k[:]) }

// Hex is the form of the UAPI (IpcSet).
func (k Key) Hex() string { return hex.EncodeToString(k[:]) }

// ParseKey parses the base64 form.
func ParseKey(s string) (Key, error) {
	var k Key
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil || len(b) != 32 {
		return k, fmt.Errorf("not a WireGuard key (base64 of 32 bytes)")
	}
	copy(k[:], b)
	return k, nil
}
