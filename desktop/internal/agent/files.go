package agent

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"gatepass.dev/shared/api"
	"gatepass.dev/shared/wgkey"
)

// The agent's state dir holds (every file 0600, the dirs 0700):
//
//	prefs.json          preferences: connect on approval, per network: the toggle
//	session.json        the signed-in account: server, email, user, device id (no secret)
//	keys/<account>.key  the device's WireGuard private key of one account (base64)
//	keys/<account>.device  the server's device token of one account (a secret)
//	credentials.json    the login tokens, only when the OS keyring is unavailable
//	proxy-auth.json     the local proxies' user name and password (where they ask for them)
const (
	prefsFile   = "prefs.json"
	sessionFile = "session.json"
	keysDir     = "keys"
)

// writeJSONFile writes v to path atomically (temp file + rename), 0600.
func writeJSONFile(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return writeFileAtomic(path, append(b, '\n'))
}

func writeFileAtomic(path string, data []byte) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer os.Remove(tmp) // no-op after the rename
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// readJSONFile reads path into v; a missing file leaves v as it is and
// returns false.
func readJSONFile(path string, v any) (bool, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return false, fmt.Errorf("%s: %w", path, err)
	}
	return true, nil
}

// prefsState is prefs.json.
type prefsState struct {
	ConnectOnApproval bool                 `json:"connect_on_approval"`
	Networks          map[string]*netPrefs `json:"networks"`
}

// netPrefs are one network's preferences.
type netPrefs struct {
	WantConnected bool `json:"want_connected"`
	// AutoRequest is the grant (request id) whose approval already set
	// WantConnected by "connect on approval": each grant does it once, so
	// a user's later "disconnect" sticks.
	AutoRequest string `json:"auto_request,omitempty"`
}

func defaultPrefs() prefsState {
	return prefsState{ConnectOnApproval: true, Networks: map[string]*netPrefs{}}
}

// sessionState is session.json: who is signed in, without the token.
type sessionState struct {
	Server     string            `json:"server"`
	Email      string            `json:"email"`
	User       api.User          `json:"user"`
	DeviceID   string            `json:"device_id"`
	DeviceName string            `json:"device_name"`
	Addresses  map[string]string `json:"addresses"`
}

// keyPath is the private key file of an account.
func keyPath(stateDir, server, email string) string {
	h := sha256.Sum256([]byte(server + "\n" + strings.ToLower(email)))
	return filepath.Join(stateDir, keysDir, hex.EncodeToString(h[:8])+".key")
}

// deviceTokenPath is the device token file of an account: the token the
// server gave at this device's last sign-in to it. Sent with the next
// login, it marks this device as one that signed in before, which the
// server exempts from its per-account limit of failed sign-ins (so that
// guessing from elsewhere cannot keep this device out). Signing out keeps
// it: it trusts the device, it signs nobody in.
func deviceTokenPath(stateDir, server, email string) string {
	return strings.TrimSuffix(keyPath(stateDir, server, email), ".key") + ".device"
}

// readDeviceToken returns the saved device token, or "" (none saved, or
// unreadable: the login goes on without it).
func readDeviceToken(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}

// loadOrCreateKey returns the account's device private key, generating and
// saving it (0600) on first use. The second result is true if it is new.
func loadOrCreateKey(path string) (wgkey.Key, bool, error) {
	b, err := os.ReadFile(path)
	switch {
	case err == nil:
		k, perr := wgkey.Parse(strings.TrimSpace(string(b)))
		if perr != nil || k.IsZero() {
			return wgkey.Key{}, false, fmt.Errorf("device key %s is damaged: delete it to generate a new one", path)
		}
		if fi, err := os.Stat(path); err == nil && fi.Mode().Perm()&0o077 != 0 {
			_ = os.Chmod(path, 0o600)
		}
		return k, false, nil
	case !errors.Is(err, fs.ErrNotExist):
		return wgkey.Key{}, false, fmt.Errorf("device key: %w", err)
	}
	k, err := newKeyFile(path)
	return k, true, err
}

// newKeyFile generates a private key and saves it at path (0600).
func newKeyFile(path string) (wgkey.Key, error) {
	k, err := wgkey.NewPrivate()
	if err != nil {
		return wgkey.Key{}, err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return wgkey.Key{}, fmt.Errorf("device key: %w", err)
	}
	if err := writeFileAtomic(path, []byte(k.String()+"\n")); err != nil {
		return wgkey.Key{}, fmt.Errorf("device key: %w", err)
	}
	return k, nil
}
