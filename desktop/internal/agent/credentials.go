package agent

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/zalando/go-keyring"
)

// ErrNoCredentials is returned by Store.Get when no token is stored for
// the account.
var ErrNoCredentials = errors.New("no stored credentials")

// Store keeps the login token of an account (a server URL and an email).
// The token is a secret: it is never logged and never leaves the agent.
type Store interface {
	Get(server, email string) (string, error)
	Set(server, email, token string) error
	Delete(server, email string) error
}

// KeyringService is the service name of the tokens in the OS keyring.
const KeyringService = "gatepass"

// AccountName is the keyring account of a server and an email.
func AccountName(server, email string) string { return server + " " + email }

// KeyringStore keeps tokens in the OS keyring (Secret Service on Linux,
// Keychain on macOS, Credential Manager on Windows), service "gatepass",
// account AccountName(server, email).
type KeyringStore struct {
	// Timeout bounds one keyring call (a locked keyring may prompt, a
	// broken D-Bus may hang); 0 means 10 s.
	Timeout time.Duration
}

func (k KeyringStore) call(fn func() error) error {
	t := k.Timeout
	if t == 0 {
		t = 10 * time.Second
	}
	done := make(chan error, 1)
	go func() { done <- fn() }()
	timer := time.NewTimer(t) // a guard against a hung keyring, not logic
	defer timer.Stop()
	select {
	case err := <-done:
		return err
	case <-timer.C:
		return errors.New("keyring: no answer")
	}
}

// Get returns the stored token.
func (k KeyringStore) Get(server, email string) (string, error) {
	var tok string
	err := k.call(func() (err error) {
		tok, err = keyring.Get(KeyringService, AccountName(server, email))
		return err
	})
	if errors.Is(err, keyring.ErrNotFound) {
		return "", ErrNoCredentials
	}
	return tok, err
}

// Set stores the token.
func (k KeyringStore) Set(server, email, token string) error {
	return k.call(func() error { return keyring.Set(KeyringService, AccountName(server, email), token) })
}

// Delete removes the token; a missing one is not an error.
func (k KeyringStore) Delete(server, email string) error {
	err := k.call(func() error { return keyring.Delete(KeyringService, AccountName(server, email)) })
	if errors.Is(err, keyring.ErrNotFound) {
		return nil
	}
	return err
}

// FileStore keeps tokens in a JSON file of mode 0600 ({"<account>":
// "<token>"}): the fallback where no keyring is available.
type FileStore struct {
	Path string
	mu   sync.Mutex
}

func (f *FileStore) load() (map[string]string, error) {
	m := map[string]string{}
	b, err := os.ReadFile(f.Path)
	if errors.Is(err, fs.ErrNotExist) {
		return m, nil
	}
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("credentials file %s: %w", f.Path, err)
	}
	return m, nil
}

// Get returns the stored token.
func (f *FileStore) Get(server, email string) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	m, err := f.load()
	if err != nil {
		return "", err
	}
	tok, ok := m[AccountName(server, email)]
	if !ok {
		return "", ErrNoCredentials
	}
	return tok, nil
}

// Set stores the token.
func (f *FileStore) Set(server, email, token string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	m, err := f.load()
	if err != nil {
		m = map[string]string{} // a corrupt file is replaced
	}
	m[AccountName(server, email)] = token
	return writeJSONFile(f.Path, m)
}

// Delete removes the token; a missing one is not an error.
func (f *FileStore) Delete(server, email string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	m, err := f.load()
	if err != nil {
		return os.Remove(f.Path)
	}
	if _, ok := m[AccountName(server, email)]; !ok {
		return nil
	}
	delete(m, AccountName(server, email))
	if len(m) == 0 {
		return os.Remove(f.Path)
	}
	return writeJSONFile(f.Path, m)
}

// FallbackStore uses Primary (the keyring) and falls back to File when
// Primary fails (e.g. no D-Bus Secret Service). A token saved in the
// keyring is removed from the file, so no stale copy stays on disk.
type FallbackStore struct {
	Primary Store
	File    Store
	Log     *slog.Logger
}

// NewCredentialStore is the default store: the OS keyring, falling back to
// dir/credentials.json.
func NewCredentialStore(dir string, log *slog.Logger) *FallbackStore {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &FallbackStore{Primary: KeyringStore{}, File: &FileStore{Path: filepath.Join(dir, "credentials.json")}, Log: log}
}

// Get returns the token from the keyring, else from the file.
func (s *FallbackStore) Get(server, email string) (string, error) {
	tok, err := s.Primary.Get(server, email)
	if err == nil {
		return tok, nil
	}
	if !errors.Is(err, ErrNoCredentials) {
		s.Log.Debug("keyring unavailable, reading the credentials file", "err", err)
	}
	return s.File.Get(server, email)
}

// Set saves the token in the keyring, else in the file.
func (s *FallbackStore) Set(server, email, token string) error {
	if err := s.Primary.Set(server, email, token); err != nil {
		s.Log.Info("keyring unavailable: keeping the login token in the credentials file (mode 0600)", "err", err)
		return s.File.Set(server, email, token)
	}
	if err := s.File.Delete(server, email); err != nil && !errors.Is(err, fs.ErrNotExist) {
		s.Log.Warn("could not remove the token from the credentials file", "err", err)
	}
	return nil
}

// Delete removes the token from both.
func (s *FallbackStore) Delete(server, email string) error {
	perr := s.Primary.Delete(server, email)
	ferr := s.File.Delete(server, email)
	if errors.Is(ferr, fs.ErrNotExist) {
		ferr = nil
	}
	if ferr != nil {
		return ferr
	}
	if perr != nil {
		s.Log.Debug("keyring unavailable on delete", "err", perr)
	}
	return nil
}
