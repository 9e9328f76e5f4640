package tunnel

import (
	"encoding/hex"
	"net/netip"
	"testing"
)

func TestKeys(t *testing.T) {
	// RFC 7748, section 6.1: Alice's keys.
	priv, _ := hex.DecodeString("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a")
	wantPub := "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a"
	var k Key
	copy(k[:], priv)
	if got := k.Public().Hex(); got != wantPub {
		t.Fatalf("Public = %s, want %s", got, wantPub)
	}

	a, err := GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	b, _ := GenerateKey()
	if a == b || a.IsZero() {
		t.Fatal("GenerateKey is not random")
	}
	if a[0]&7 != 0 || a[31]&128 != 0 || a[31]&64 == 0 {
		t.Fatalf("key not clamped: %x", a)
	}
	s := a.String()
	if len(s) != 44 {
		t.Fatalf("String = %q, want 44 base64 characters", s)
	}
	p, err := ParseKey(s)
	if err != nil || p != a {
		t.Fatalf("ParseKey(String()) = %v, %v", p, err)
	}
	if len(a.Hex()) != 64 {
		t.Fatalf("Hex = %q", a.Hex())
	}
	for _, bad := range []string{"", "not base64!", "AAAA", s + "AAAA"} {
		if _, err := ParseKey(bad); err == nil {
			t.Errorf("ParseKey(%q) succeeded", bad)
		}
	}
}

func TestInterfaceName(t *testing.T) {
	seen := map[string]string{}
	for _, name := range []string{"lab", "prod-db", "Lab", "lab net", "a-very-long-network-name", "a-very-long-network-name-2", "ünïcode"} {
		got := InterfaceName(name)
		if len(got) > 15 || got[:3] != "gp-" {
			t.Errorf("InterfaceName(%q) = %q", name, got)
		}
		if other, ok := seen[got]; ok {
			t.Errorf("InterfaceName(%q) = InterfaceName(%q) = %q", name, other, got)
		}
		seen[got] = name
	}
	if got := InterfaceName("lab"); got != "gp-lab" {
		t.Errorf("InterfaceName(lab) = %q", got)
	}
}

func TestNetstackTUNFindsStack(t *testing.T) {
	tdev, tnet, err := newNetstackTUN([]netip.Addr{netip.MustParseAddr("10.99.0.1")}, nil, 1420)
	if err != nil {
		t.Fatal(err)
	}
	if netstackStack(tnet) == nil {
		t.Fatal("cannot reach the gVisor stack of netstack.Net: wireguard-go changed; revisit netstackTUN")
	}
	if err := tdev.Close(); err != nil {
		t.Fatal(err)
	}
}
