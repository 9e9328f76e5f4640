package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gatepass.dev/shared/brand"
)

// root is the repository root, seen from this package.
const root = "../../../.."

// TestGeneratedFilesAreTheBrand: every icon, the window's icon, the
// emails' PNG of the mark and the window's palette block are what the
// generator draws from shared/brand now: change the mark or the palette,
// run go run ./desktop/internal/icons/gen, commit.
func TestGeneratedFilesAreTheBrand(t *testing.T) {
	outs, err := outputs(root)
	if err != nil {
		t.Fatal(err)
	}
	if len(outs) < 11 {
		t.Fatalf("%d outputs", len(outs))
	}
	for _, o := range outs {
		have, err := os.ReadFile(filepath.Join(root, o.path))
		if err != nil {
			t.Errorf("%s: %v", o.path, err)
			continue
		}
		if !bytes.Equal(have, o.data) {
			t.Errorf("%s is not what the generator draws from shared/brand: run go run ./desktop/internal/icons/gen", o.path)
		}
	}
}

// TestWindowPalette: the window's palette block takes each colour from the
// brand, light and dark, adds one it lacks, and leaves the rest alone.
func TestWindowPalette(t *testing.T) {
	css := ":root {\n  color-scheme: light dark;\n  --card: #123456;\n  --radius: 1rem;\n}\nbody { color: var(--card); }\n" +
		"@media (prefers-color-scheme: dark) {\n  :root {\n    --card: #000000;\n  }\n}\n.x { --card: red; }\n"
	out, err := windowPalette([]byte(css))
	if err != nil {
		t.Fatal(err)
	}
	s := string(out)
	for _, want := range []string{
		"--card: " + brand.Light("surface") + ";", "--card: " + brand.Dark("surface") + ";",
		"    --accent: " + brand.Dark("accent") + ";", "--radius: 1rem;", ".x { --card: red; }", paletteNote,
	} {
		if !strings.Contains(s, want) {
			t.Errorf("lacks %q:\n%s", want, s)
		}
	}
	again, _ := windowPalette(out)
	if string(again) != s {
		t.Errorf("not idempotent:\n%s", again)
	}
}
