//go:build !linux

package main

import "testing"

// cliTTY needs a pseudo-terminal; these tests make one on Linux only.
func cliTTY(t *testing.T, answer string, args ...string) (int, string, string) {
	t.Skip("no pseudo-terminal helper on this system")
	return 0, "", ""
}
