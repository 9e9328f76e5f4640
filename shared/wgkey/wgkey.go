// Package wgkey is the WireGuard key of Gatepass: a Curve25519 key as
// the gateway, the agent and the server handle it — generated, derived,
// printed in base64 (as WireGuard tools print it) or hex (as the UAPI takes
// it), parsed, and checked for use as a peer's public key. It uses the
// standard library's X25519 (crypto/ecdh) and has no other dependencies.
package wgkey

import (
	"crypto/ecdh"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
)

// Key is a Curve25519 private or public key.
type Key [32]byte

// NewPrivate returns a new random private key, clamped as Curve25519
// requires (RFC 7748).
func NewPrivate() (Key, error) {
	var k Key
	if _, err := rand.Read(k[:]); err != nil {
		return Key{}, fmt.Errorf("wgkey: generate: %w", err)
	}
	k[0] &= 248
	k[31] = (k[31] & 127) | 64
	return k, nil
}

// Public returns the public key of the private key k.
func (k Key) Public() Key {
	priv, err := ecdh.X25519().NewPrivateKey(k[:])
	if err != nil {
		panic("wgkey: " + err.Error()) // only a wrong length fails
	}
	var pub Key
	copy(pub[:], priv.PublicKey().Bytes())
	return pub
}

// IsZero reports whether k is the all-zero key (unset).
func (k Key) IsZero() bool { return k == Key{} }

// String returns the key in standard base64 (44 characters). Beware: for a
// private key this is the secret itself.
func (k Key) String() string { return base64.StdEncoding.EncodeToString(k[:]) }

// Hex returns the key in lowercase hex, as the UAPI (IpcSet) takes it.
func (k Key) Hex() string { return hex.EncodeToString(k[:]) }

// ErrSyntax is returned for text that is not a WireGuard key.
var ErrSyntax = errors.New("not a WireGuard key (base64 of 32 bytes)")

// ErrWeak is returned for a public key that no one should accept as a
// peer: all zero, or a point of low order (the shared secret with it is
// predictable).
var ErrWeak = errors.New("not a usable Curve25519 key (all zero or a low-order point)")

// Parse parses a key in canonical standard base64: exactly the 44
// characters String prints (the decoder would otherwise skip line breaks
// and accept non-canonical padding bits).
func Parse(s string) (Key, error) {
	var k Key
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil || len(b) != len(k) {
		return Key{}, ErrSyntax
	}
	copy(k[:], b)
	if k.String() != s {
		return Key{}, ErrSyntax
	}
	return k, nil
}

// ParsePublic parses a peer's public key and checks that it is usable
// (ErrWeak otherwise): X25519 with it must not give the all-zero secret.
func ParsePublic(s string) (Key, error) {
	k, err := Parse(s)
	if err != nil {
		return Key{}, err
	}
	probe, err := ecdh.X25519().GenerateKey(rand.Reader)
	if err != nil {
		return Key{}, err
	}
	pub, err := ecdh.X25519().NewPublicKey(k[:])
	if err != nil {
		return Key{}, ErrWeak
	}
	if _, err := probe.ECDH(pub); err != nil {
		return Key{}, ErrWeak
	}
	return k, nil
}
