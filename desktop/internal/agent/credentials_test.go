package agent

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/zalando/go-keyring"
)

func TestFileStore(t *testing.T) {
	path := filepath.Join(t.TempDir(), "gatepass", "credentials.json")
	f := &FileStore{Path: path}
	if _, err := f.Get("https://a", "x@example.com"); !errors.Is(err, ErrNoCredentials) {
		t.Fatalf("Get on nothing = %v, want ErrNoCredentials", err)
	}
	if err := f.Set("https://a", "x@example.com", "tok-1"); err != nil {
		t.Fatal(err)
	}
	if err := f.Set("https://b", "x@example.com", "tok-2"); err != nil {
		t.Fatal(err)
	}
	if got, err := f.Get("https://a", "x@example.com"); err != nil || got != "tok-1" {
		t.Fatalf("Get = %q, %v", got, err)
	}
	assertMode(t, path, 0o600)
	if err := f.Delete("https://a", "x@example.com"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.Get("https://a", "x@example.com"); !errors.Is(err, ErrNoCredentials) {
		t.Fatalf("after Delete: %v", err)
	}
	if got, _ := f.Get("https://b", "x@example.com"); got != "tok-2" {
		t.Fatalf("other account lost: %q", got)
	}
	if err := f.Delete("https://b", "x@example.com"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("empty credentials file kept: %v", err)
	}
}

// The keyring is the OS's: these tests swap go-keyring's provider for its
// in-memory mock (with or without a failure), never touching a real keyring.
func TestFallbackStoreUsesFileWhenKeyringFails(t *testing.T) {
	keyring.MockInitWithError(errors.New("no D-Bus secret service"))
	t.Cleanup(keyring.MockInit)
	dir := t.TempDir()
	s := NewCredentialStore(dir, nil)
	if err := s.Set("http://srv", "a@example.com", "secret-token"); err != nil {
		t.Fatalf("Set with no keyring: %v", err)
	}
	path := filepath.Join(dir, "credentials.json")
	assertMode(t, path, 0o600)
	b, _ := os.ReadFile(path)
	if !strings.Contains(string(b), "secret-token") {
		t.Fatalf("token not in the fallback file")
	}
	if got, err := s.Get("http://srv", "a@example.com"); err != nil || got != "secret-token" {
		t.Fatalf("Get = %q, %v", got, err)
	}
	if err := s.Delete("http://srv", "a@example.com"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get("http://srv", "a@example.com"); !errors.Is(err, ErrNoCredentials) {
		t.Fatalf("after Delete: %v", err)
	}
}

func TestFallbackStorePrefersKeyring(t *testing.T) {
	keyring.MockInit()
	dir := t.TempDir()
	s := NewCredentialStore(dir, nil)
	// A token left in the file by an earlier run without a keyring.
	if err := s.File.Set("http://srv", "a@example.com", "old-token"); err != nil {
		t.Fatal(err)
	}
	if err := s.Set("http://srv", "a@example.com", "new-token"); err != nil {
		t.Fatal(err)
	}
	if got, err := keyring.Get(KeyringService, AccountName("http://srv", "a@example.com")); err != nil || got != "new-token" {
		t.Fatalf("keyring holds %q, %v", got, err)
	}
	if _, err := s.File.Get("http://srv", "a@example.com"); !errors.Is(err, ErrNoCredentials) {
		t.Errorf("the file still holds a token once the keyring took it: %v", err)
	}
	if got, err := s.Get("http://srv", "a@example.com"); err != nil || got != "new-token" {
		t.Fatalf("Get = %q, %v", got, err)
	}
	if err := s.Delete("http://srv", "a@example.com"); err != nil {
		t.Fatal(err)
	}
	if _, err := keyring.Get(KeyringService, AccountName("http://srv", "a@example.com")); !errors.Is(err, keyring.ErrNotFound) {
		t.Errorf("keyring after Delete: %v", err)
	}
}

func TestDeviceKeyFile(t *testing.T) {
	dir := t.TempDir()
	p := keyPath(dir, "http://srv", "a@example.com")
	k, isNew, err := loadOrCreateKey(p)
	if err != nil || !isNew || k.IsZero() {
		t.Fatalf("first load: %v new=%v zero=%v", err, isNew, k.IsZero())
	}
	assertMode(t, p, 0o600)
	assertMode(t, filepath.Dir(p), 0o700)
	k2, isNew, err := loadOrCreateKey(p)
	if err != nil || isNew || k2 != k {
		t.Fatalf("second load: %v new=%v same=%v", err, isNew, k2 == k)
	}
	if keyPath(dir, "http://srv", "b@example.com") == p {
		t.Error("two accounts share a key file")
	}
	if err := os.WriteFile(p, []byte("garbage"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, _, err := loadOrCreateKey(p); err == nil {
		t.Error("a damaged key was accepted")
	}
}

func assertMode(t *testing.T, path string, want os.FileMode) {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := fi.Mode().Perm(); got != want {
		t.Errorf("%s: mode %v, want %v", path, got, want)
	}
}
