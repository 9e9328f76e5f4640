package gatewayd

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"gatepass.dev/backend/internal/gateway"
	"gatepass.dev/shared/wgkey"
)

// Files in the state directory (mode 0600; the directory 0700).
const (
	keyFile        = "private.key"     // the WireGuard private key (base64): never leaves the host
	credentialFile = "credential.json" // the enrollment: server, gateway id, credential
	endpointsFile  = "endpoints.json"  // the peers' last endpoints
)

// enrollment is what credentialFile keeps.
type enrollment struct {
	Server     string    `json:"server"`
	GatewayID  string    `json:"gateway_id"`
	NetworkID  string    `json:"network_id"`
	Credential string    `json:"credential"`
	EnrolledAt time.Time `json:"enrolled_at"`
}

// prepareStateDir creates the state directory 0700 (or checks it is not
// open to others).
func prepareStateDir(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("state directory %s: %w", dir, err)
	}
	fi, err := os.Stat(dir)
	if err != nil {
		return fmt.Errorf("state directory %s: %w", dir, err)
	}
	if !fi.IsDir() {
		return fmt.Errorf("state directory %s is not a directory", dir)
	}
	if fi.Mode().Perm()&0o077 != 0 {
		if err := os.Chmod(dir, 0o700); err != nil {
			return fmt.Errorf("state directory %s is open to other users (%v) and cannot be made private: %w", dir, fi.Mode().Perm(), err)
		}
	}
	return nil
}

// loadEnrollment reads the enrollment; ok is false when there is none.
func loadEnrollment(dir string) (enrollment, bool, error) {
	var e enrollment
	b, err := os.ReadFile(filepath.Join(dir, credentialFile))
	if errors.Is(err, fs.ErrNotExist) {
		return e, false, nil
	}
	if err != nil {
		return e, false, err
	}
	if err := json.Unmarshal(b, &e); err != nil || e.Credential == "" || e.Server == "" {
		return e, false, fmt.Errorf("%s is damaged: remove it and enroll again with a new token", filepath.Join(dir, credentialFile))
	}
	return e, true, nil
}

func saveEnrollment(dir string, e enrollment) error {
	b, err := json.MarshalIndent(e, "", "  ")
	if err != nil {
		return err
	}
	return gateway.WriteFileAtomic(filepath.Join(dir, credentialFile), b, 0o600)
}

// newKey generates the gateway's key pair and keeps the private key.
func newKey(dir string) (wgkey.Key, error) {
	k, err := wgkey.NewPrivate()
	if err != nil {
		return k, err
	}
	return k, gateway.WriteFileAtomic(filepath.Join(dir, keyFile), []byte(k.String()+"\n"), 0o600)
}

func loadKey(dir string) (wgkey.Key, error) {
	b, err := os.ReadFile(filepath.Join(dir, keyFile))
	if err != nil {
		return wgkey.Key{}, fmt.Errorf("the gateway's private key: %w", err)
	}
	return wgkey.Parse(strings.TrimSpace(string(b)))
}

// forget removes the enrollment and the key (a revoked gateway): the next
// `up` needs a new enroll token and makes a new key pair.
func forget(dir string) {
	for _, f := range []string{credentialFile, keyFile, endpointsFile} {
		_ = os.Remove(filepath.Join(dir, f))
	}
}
