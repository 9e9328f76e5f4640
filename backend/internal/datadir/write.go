package datadir

import (
	"fmt"
	"os"
)

// WriteFile writes data to path as a private file: created 0600 whatever
// the umask, and an existing file is made 0600 before it is written (so a
// file left readable by an older version stops being readable).
func WriteFile(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	if err := f.Chmod(0o600); err != nil {
		_ = f.Close()
		return fmt.Errorf("chmod %s: %w", path, err)
	}
	if _, err := f.Write(data); err != nil {
		_ = f.Close()
		return err
	}
	return f.Close()
}
