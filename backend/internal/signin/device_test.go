package signin

import (
	"strings"
	"testing"
	"time"

	"gatepass.dev/backend/internal/store"
)

// TestDeviceTokens: a token is valid only for its account, unaltered,
// signed with this server's key, before its expiry; the key is made once
// and kept.
func TestDeviceTokens(t *testing.T) {
	ctx := t.Context()
	db, err := store.Open(ctx, t.TempDir()+"/gatepass.db")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	d, err := loadDevices(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	again, err := loadDevices(ctx, db)
	if err != nil || string(again.key) != string(d.key) {
		t.Fatalf("the key changed on the second start: %v", err)
	}
	now := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	tok := d.issue("usr_alice", now)
	if !strings.HasPrefix(tok, "v1.usr_alice.") || len(strings.Split(tok, ".")) != 5 {
		t.Fatalf("token %q", tok)
	}
	nonce := d.check(tok, "usr_alice", now)
	if nonce == "" || nonce != strings.Split(tok, ".")[3] {
		t.Fatalf("a fresh token of alice: nonce %q", nonce)
	}
	if d.issue("usr_alice", now) == tok {
		t.Fatal("two sign-ins got the same token")
	}
	parts := strings.Split(tok, ".")
	flip := func(s string) string {
		if s[0] == 'A' {
			return "B" + s[1:]
		}
		return "A" + s[1:]
	}
	other := devices{key: []byte(strings.Repeat("k", 32))}
	for name, bad := range map[string]string{
		"another account's":     d.issue("usr_bob", now),
		"account renamed":       strings.Join([]string{"v1", "usr_bob", parts[2], parts[3], parts[4]}, "."),
		"nonce altered":         strings.Join([]string{"v1", "usr_alice", parts[2], flip(parts[3]), parts[4]}, "."),
		"expiry moved":          strings.Join([]string{"v1", "usr_alice", "9999999999", parts[3], parts[4]}, "."),
		"mac altered":           strings.Join([]string{"v1", "usr_alice", parts[2], parts[3], flip(parts[4])}, "."),
		"other version":         strings.Join([]string{"v2", "usr_alice", parts[2], parts[3], parts[4]}, "."),
		"another server's key":  other.issue("usr_alice", now),
		"no mac":                strings.Join(parts[:4], "."),
		"empty":                 "",
		"too long":              tok + strings.Repeat("A", maxDeviceToken),
		"<script> and CRLF":     "v1.usr_alice.<script>\r\n.x.y",
		"valid, for no account": tok,
	} {
		uid := "usr_alice"
		if name == "valid, for no account" {
			uid = ""
		}
		if n := d.check(bad, uid, now); n != "" {
			t.Errorf("%s token accepted", name)
		}
	}
	if d.check(tok, "usr_alice", now.Add(DeviceTokenTTL-time.Second)) == "" {
		t.Error("the token expired early")
	}
	if d.check(tok, "usr_alice", now.Add(DeviceTokenTTL)) != "" {
		t.Error("an expired token accepted")
	}
}

// TestAddrKey: IPv6 sources count by their /64, IPv4 ones as they are.
func TestAddrKey(t *testing.T) {
	for in, want := range map[string]string{
		"192.0.2.7":            "192.0.2.7",
		"2001:db8:1:2:aaaa::1": "2001:db8:1:2::/64",
		"2001:db8:1:2:ffff::9": "2001:db8:1:2::/64",
		"::ffff:192.0.2.7":     "::ffff:192.0.2.7",
		"not an address":       "not an address",
		"fe80::1%eth0":         "fe80::/64",
		"2001:db8:1:3:aaaa::1": "2001:db8:1:3::/64",
	} {
		if got := addrKey(in); got != want {
			t.Errorf("addrKey(%q) = %q, want %q", in, got, want)
		}
	}
}
