//go:build !windows && !darwin

package autostart

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestXDGAutostart(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("XDG_CONFIG_HOME", dir)
	if on, err := Enabled(); err != nil || on {
		t.Fatalf("Enabled before = %v, %v", on, err)
	}
	e := Entry{Exec: "/opt/Gate pass/gatepass", Args: []string{"--hidden"}}
	if err := Set(true, e); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, "autostart", "gatepass.desktop")
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), "Exec=\"/opt/Gate pass/gatepass\" --hidden\n") || !strings.HasPrefix(string(b), "[Desktop Entry]\n") {
		t.Errorf("desktop file:\n%s", b)
	}
	if on, err := Enabled(); err != nil || !on {
		t.Fatalf("Enabled after Set(true) = %v, %v", on, err)
	}
	// A user who disabled it in their session settings keeps it disabled.
	os.WriteFile(p, append(b, []byte("Hidden=true\n")...), 0o644)
	if on, _ := Enabled(); on {
		t.Error("Hidden=true entry reported enabled")
	}
	if err := Set(false, e); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(p); !os.IsNotExist(err) {
		t.Errorf("entry still there after Set(false): %v", err)
	}
	if err := Set(false, e); err != nil {
		t.Errorf("Set(false) twice: %v", err)
	}
}

func TestQuoteExec(t *testing.T) {
	for in, want := range map[string]string{
		"/usr/bin/gatepass": "/usr/bin/gatepass",
		"/a b/c":            `"/a b/c"`,
		`/a"b$c`:            `"/a\"b\$c"`,
		"/100%":             `"/100%%"`,
	} {
		if got := quoteExec(in); got != want {
			t.Errorf("quoteExec(%q) = %q, want %q", in, got, want)
		}
	}
}
