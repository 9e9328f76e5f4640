package store

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"
)

// TestBodyHashNamesStoredBodies: a body's name is the SHA-256 of its text,
// a NUL and its HTML — the bodies stored already are found by it — and
// hashing allocates no copy of the bodies.
func TestBodyHashNamesStoredBodies(t *testing.T) {
	for _, m := range []OutboxMessage{
		{},
		{Text: "Your access to office-network expired.", HTML: "<p>Your access expired.</p>"},
		{Text: strings.Repeat("long text ", 500), HTML: strings.Repeat("<p>long</p>", 700)},
	} {
		sum := sha256.Sum256([]byte(m.Text + "\x00" + m.HTML))
		if got, want := bodyHash(m), hex.EncodeToString(sum[:]); got != want {
			t.Errorf("bodyHash = %s, want %s", got, want)
		}
	}
	big := OutboxMessage{Text: strings.Repeat("x", 64<<10), HTML: strings.Repeat("y", 64<<10)}
	if a := testing.AllocsPerRun(20, func() { bodyHash(big) }); a > 4 {
		t.Errorf("bodyHash of 128 KiB of body: %.0f allocations (copies of the body?)", a)
	}
}
