package gateway

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/netip"
	"os"
	"path/filepath"
	"sync"
)

// EndpointStore keeps the peers' last UDP endpoints (by public key, base64)
// across restarts of a gateway: the server's database for the embedded
// gateway, a file in the state directory for gatepass-gateway.
type EndpointStore interface {
	// Load returns the saved endpoints.
	Load() (map[string]string, error)
	// Save records endpoints that changed.
	Save(changed map[string]string) error
}

// validEndpoint reports whether s is an ip:port WireGuard accepts.
func validEndpoint(s string) bool {
	ap, err := netip.ParseAddrPort(s)
	return err == nil && ap.Port() != 0
}

// maxSavedEndpoints bounds the file: the oldest learned are not kept past it.
const maxSavedEndpoints = 65536

// FileEndpoints is an EndpointStore in a JSON file (mode 0600), written
// whole through a temporary file and a rename.
type FileEndpoints struct {
	Path string

	mu  sync.Mutex
	all map[string]string
}

// Load reads the file; a missing file is no endpoints. Entries that are not
// ip:port are skipped.
func (f *FileEndpoints) Load() (map[string]string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.all = map[string]string{}
	b, err := os.ReadFile(f.Path)
	if errors.Is(err, fs.ErrNotExist) {
		return map[string]string{}, nil
	}
	if err != nil {
		return map[string]string{}, err
	}
	var m map[string]string
	if err := json.Unmarshal(b, &m); err != nil {
		return map[string]string{}, fmt.Errorf("%s: %w", f.Path, err)
	}
	out := map[string]string{}
	for k, v := range m {
		if validEndpoint(v) {
			out[k], f.all[k] = v, v
		}
	}
	return out, nil
}

// Save merges changed into the file.
func (f *FileEndpoints) Save(changed map[string]string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.all == nil {
		f.all = map[string]string{}
	}
	for k, v := range changed {
		if len(f.all) < maxSavedEndpoints || f.all[k] != "" {
			f.all[k] = v
		}
	}
	b, err := json.Marshal(f.all)
	if err != nil {
		return err
	}
	return WriteFileAtomic(f.Path, b, 0o600)
}

// WriteFileAtomic writes data to path through a temporary file in the same
// directory and a rename, with mode perm.
func WriteFileAtomic(path string, data []byte, perm os.FileMode) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(perm); err != nil {
		tmp.Close()
		return err
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
