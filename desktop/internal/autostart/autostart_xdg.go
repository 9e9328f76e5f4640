//go:build !windows && !darwin

package autostart

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// Supported says whether this OS has an implementation.
const Supported = true

// Path is the autostart file: $XDG_CONFIG_HOME/autostart/gatepass.desktop.
func Path() (string, error) {
	dir := os.Getenv("XDG_CONFIG_HOME")
	if dir == "" || !filepath.IsAbs(dir) {
		home, err := os.UserHomeDir()
		if err != nil {
			return "", err
		}
		dir = filepath.Join(home, ".config")
	}
	return filepath.Join(dir, "autostart", "gatepass.desktop"), nil
}

// Enabled reports whether the entry exists (and is not hidden).
func Enabled() (bool, error) {
	p, err := Path()
	if err != nil {
		return false, err
	}
	b, err := os.ReadFile(p)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		l := strings.ReplaceAll(strings.TrimSpace(line), " ", "")
		if strings.EqualFold(l, "Hidden=true") || strings.EqualFold(l, "X-GNOME-Autostart-enabled=false") {
			return false, nil
		}
	}
	return true, nil
}

// Set writes (on) or removes (off) the entry.
func Set(on bool, e Entry) error {
	p, err := Path()
	if err != nil {
		return err
	}
	if !on {
		if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	return os.WriteFile(p, []byte(DesktopFile(e)), 0o644)
}

// DesktopFile is the autostart entry's text.
func DesktopFile(e Entry) string {
	parts := []string{quoteExec(e.Exec)}
	for _, a := range e.Args {
		parts = append(parts, quoteExec(a))
	}
	return "[Desktop Entry]\n" +
		"Type=Application\n" +
		"Name=Gatepass\n" +
		"Comment=Just-in-time network access\n" +
		"Exec=" + strings.Join(parts, " ") + "\n" +
		"Icon=gatepass\n" +
		"Terminal=false\n" +
		"X-GNOME-Autostart-enabled=true\n"
}
