package gateway

import (
	"net/netip"
	"slices"
	"testing"
)

// The TUN backend turns on forwarding only for the families a network
// uses: IPv6 forwarding on would make an IPv4-only gateway host ignore
// router advertisements.
func TestForwardingSysctls(t *testing.T) {
	const v4, v6 = "/proc/sys/net/ipv4/ip_forward", "/proc/sys/net/ipv6/conf/all/forwarding"
	p := netip.MustParsePrefix
	for _, tt := range []struct {
		prefix string
		routes []string
		want   []string
	}{
		{"10.77.0.0/24", nil, []string{v4}},
		{"10.77.0.0/24", []string{"192.0.2.0/24"}, []string{v4}},
		{"10.77.0.0/24", []string{"2001:db8::/64"}, []string{v4, v6}},
		{"fd00:77::/64", nil, []string{v6}},
		{"fd00:77::/64", []string{"192.0.2.0/24"}, []string{v4, v6}},
	} {
		spec := Spec{Prefix: p(tt.prefix)}
		for _, r := range tt.routes {
			spec.Routes = append(spec.Routes, p(r))
		}
		if got := forwardingSysctls(spec); !slices.Equal(got, tt.want) {
			t.Errorf("forwardingSysctls(%s, %v) = %v, want %v", tt.prefix, tt.routes, got, tt.want)
		}
	}
}
