// Package wgconf writes WireGuard configuration text for standard clients
// (the wg-quick format users download) and validates every value that goes
// into one. The format is line-based: a value with a line break, a '#', a
// '=' or a '[' in the wrong place could add keys or sections (a second
// AllowedIPs, a PostUp command). So nothing is written that is not a clean,
// parsed value: keys are base64 of 32 bytes, addresses and ranges are
// parsed and printed canonically, the endpoint is a host name or an IP
// literal with a port, and the comment's network name and device id are
// plain identifiers. WGQuick refuses anything else; the API refuses such
// values where they are entered (ValidEndpoint for a network's endpoint).
package wgconf

import (
	"encoding/base64"
	"fmt"
	"net"
	"net/netip"
	"regexp"
	"strconv"
	"strings"

	"gatepass.dev/shared/api"
)

// hostLabel is one label of a DNS host name (RFC 1123).
var hostLabel = regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$`)

// ident is a network name or a device id as they are stored.
var ident = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$`)

// ValidHost checks a host: an IP literal, or a DNS name of letters, digits
// and hyphens in dot-separated labels (at most 253 characters).
func ValidHost(host string) error {
	if _, err := netip.ParseAddr(host); err == nil {
		if strings.Contains(host, "%") {
			return fmt.Errorf("%q: an IPv6 zone is not allowed", host)
		}
		return nil
	}
	if host == "" || len(host) > 253 {
		return fmt.Errorf("%q is not a host name", host)
	}
	for _, l := range strings.Split(host, ".") {
		if !hostLabel.MatchString(l) {
			return fmt.Errorf("%q is not a host name (letters, digits, '-' and '.')", host)
		}
	}
	return nil
}

// ValidEndpoint checks a "host:port" a client dials (IPv6 in brackets) and
// returns it in canonical form.
func ValidEndpoint(s string) (string, error) {
	host, port, err := net.SplitHostPort(s)
	if err != nil {
		return "", fmt.Errorf("%q is not host:port", s)
	}
	if err := ValidHost(host); err != nil {
		return "", err
	}
	p, err := strconv.Atoi(port)
	if err != nil || p < 1 || p > 65535 || strconv.Itoa(p) != port {
		return "", fmt.Errorf("%q: the port must be a number from 1 to 65535", s)
	}
	if a, err := netip.ParseAddr(host); err == nil {
		return netip.AddrPortFrom(a, uint16(p)).String(), nil
	}
	return net.JoinHostPort(strings.ToLower(host), port), nil
}

func validKey(s string) error {
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil || len(b) != 32 || base64.StdEncoding.EncodeToString(b) != s {
		return fmt.Errorf("%q is not a WireGuard key", s)
	}
	return nil
}

func prefix(s string) (string, error) {
	p, err := netip.ParsePrefix(s)
	if err != nil {
		return "", fmt.Errorf("%q is not an address range", s)
	}
	return p.String(), nil
}

// WGQuick renders a tunnel config as a wg-quick file whose PrivateKey line
// the device fills in (the key never leaves it). It refuses a config with
// any value that is not clean.
func WGQuick(c api.TunnelConfig) (string, error) {
	if !ident.MatchString(c.NetworkName) || !ident.MatchString(c.DeviceID) {
		return "", fmt.Errorf("the network name or device id is not a plain identifier")
	}
	addr, err := prefix(c.Address)
	if err != nil {
		return "", fmt.Errorf("address: %w", err)
	}
	if err := validKey(c.GatewayPublicKey); err != nil {
		return "", fmt.Errorf("gateway key: %w", err)
	}
	endpoint, err := ValidEndpoint(c.Endpoint)
	if err != nil {
		return "", fmt.Errorf("endpoint: %w", err)
	}
	var dns, allowed []string
	for _, s := range c.DNS {
		a, err := netip.ParseAddr(s)
		if err != nil || a.Zone() != "" {
			return "", fmt.Errorf("DNS: %q is not an IP address", s)
		}
		dns = append(dns, a.String())
	}
	for _, s := range c.AllowedIPs {
		p, err := prefix(s)
		if err != nil {
			return "", fmt.Errorf("allowed IPs: %w", err)
		}
		allowed = append(allowed, p)
	}
	if len(allowed) == 0 {
		return "", fmt.Errorf("allowed IPs: none")
	}
	if c.PersistentKeepalive < 0 || c.PersistentKeepalive > 65535 {
		return "", fmt.Errorf("persistent keepalive: %d is out of range", c.PersistentKeepalive)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "# Gatepass: network %s, device %s\n", c.NetworkName, c.DeviceID)
	if c.ExpiresAt != nil {
		fmt.Fprintf(&b, "# Access expires at %s; the gateway drops this peer then.\n", c.ExpiresAt.UTC().Format("2006-01-02 15:04:05 MST"))
	}
	fmt.Fprintf(&b, "[Interface]\nPrivateKey = # the device's private key\nAddress = %s\n", addr)
	if len(dns) > 0 {
		fmt.Fprintf(&b, "DNS = %s\n", strings.Join(dns, ", "))
	}
	fmt.Fprintf(&b, "\n[Peer]\nPublicKey = %s\nEndpoint = %s\nAllowedIPs = %s\nPersistentKeepalive = %d\n",
		c.GatewayPublicKey, endpoint, strings.Join(allowed, ", "), c.PersistentKeepalive)
	return b.String(), nil
}
