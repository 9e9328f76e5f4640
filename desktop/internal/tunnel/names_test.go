package tunnel

import (
	"net/netip"
	"testing"
)

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
