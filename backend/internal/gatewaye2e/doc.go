// Package gatewaye2e holds the end-to-end tests of remote gateways: the
// real gatepass-server, gatepass-gateway and gatepassd binaries, and a stock
// WireGuard client (wireguard-go and wg), each in a network namespace of
// its own, joined by veth pairs (Linux, root; skipped otherwise, and the
// stock client's parts skipped loudly without wireguard-go and wg).
package gatewaye2e
