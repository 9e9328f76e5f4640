//go:build unix

package datadir_test

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"gatepass.dev/backend/internal/datadir"
)

// TestWriteFileIsPrivate: a new file is 0600 under a 022 umask, and an
// existing 0644 file is made 0600 before it is written.
func TestWriteFileIsPrivate(t *testing.T) {
	old := syscall.Umask(0o022)
	defer syscall.Umask(old)
	dir := t.TempDir()
	fresh, stale := filepath.Join(dir, "fresh"), filepath.Join(dir, "stale")
	if err := os.WriteFile(stale, []byte("old and longer"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{fresh, stale} {
		if err := datadir.WriteFile(p, []byte("secret")); err != nil {
			t.Fatal(err)
		}
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := os.ReadFile(p)
		if fi.Mode().Perm() != 0o600 || string(b) != "secret" {
			t.Errorf("%s: mode %04o, content %q; want 0600 and %q", filepath.Base(p), fi.Mode().Perm(), b, "secret")
		}
	}
}

// TestRestrictUmask: after RestrictUmask, a file created 0666 is 0600.
func TestRestrictUmask(t *testing.T) {
	old := syscall.Umask(0o022)
	defer syscall.Umask(old)
	datadir.RestrictUmask()
	if got := syscall.Umask(0o077); got != 0o077 {
		t.Errorf("umask %04o after RestrictUmask, want 0077", got)
	}
	p := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(p, nil, 0o666); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(p); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("a 0666 file under RestrictUmask: %v %v", fi.Mode(), err)
	}
}
