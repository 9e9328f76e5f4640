// Package e2etun holds the end-to-end test of TUN mode (tun_e2e_test.go):
// the real gatepass-server with its TUN gateway and the real gatepassd with
// its TUN backend, each in a network namespace of its own, joined by a veth
// pair. It runs when the test runs as root with /dev/net/tun and ip(8)
// (as in CI) and is skipped with a message otherwise. The package has no
// code of its own.
package e2etun
