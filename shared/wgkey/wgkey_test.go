package wgkey

import (
	"encoding/base64"
	"encoding/hex"
	"errors"
	"testing"
)

// TestPublicMatchesRFC7748: the public key is the X25519 base-point
// product, as WireGuard derives it (RFC 7748 section 6.1, Alice's keys).
func TestPublicMatchesRFC7748(t *testing.T) {
	var k Key
	b, _ := hex.DecodeString("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a")
	copy(k[:], b)
	if got := k.Public().Hex(); got != "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a" {
		t.Fatalf("Public = %s", got)
	}
	for range 50 {
		k, err := NewPrivate()
		if err != nil {
			t.Fatal(err)
		}
		if k[0]&7 != 0 || k[31]&128 != 0 || k[31]&64 == 0 {
			t.Fatalf("not clamped: %s", k.Hex())
		}
	}
}

func TestParse(t *testing.T) {
	k, _ := NewPrivate()
	got, err := Parse(k.String())
	if err != nil || got != k {
		t.Fatalf("round trip: %v %v", got, err)
	}
	for _, bad := range []string{"", "x", base64.StdEncoding.EncodeToString(make([]byte, 31)), k.String() + "\n", k.String()[:20] + "\r\n" + k.String()[20:]} {
		if _, err := Parse(bad); !errors.Is(err, ErrSyntax) {
			t.Errorf("Parse(%q) = %v", bad, err)
		}
	}
	if k.Hex() != hex.EncodeToString(k[:]) || k.IsZero() || !(Key{}).IsZero() {
		t.Fatal("Hex/IsZero")
	}
}

// TestParsePublicRefusesWeakKeys: the all-zero key and the points of small
// order are refused; real public keys are not.
func TestParsePublicRefusesWeakKeys(t *testing.T) {
	for _, h := range []string{
		"0000000000000000000000000000000000000000000000000000000000000000",
		"0100000000000000000000000000000000000000000000000000000000000000",
		"e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800",
		"5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157",
		"ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
		"edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
		"eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
	} {
		b, _ := hex.DecodeString(h)
		if _, err := ParsePublic(base64.StdEncoding.EncodeToString(b)); !errors.Is(err, ErrWeak) {
			t.Errorf("ParsePublic(%s) = %v, want ErrWeak", h, err)
		}
	}
	k, _ := NewPrivate()
	if _, err := ParsePublic(k.Public().String()); err != nil {
		t.Fatal(err)
	}
}
