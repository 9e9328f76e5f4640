// Package brand is Gatepass's one visual identity: the mark (mark.svg: an
// arched gate with a keyhole on a rounded tile in the accent colour) and
// the palette (palette.css: CSS custom properties, light and dark). Every
// face of the product takes them from here: the admin page serves both
// files as they are (favicon, header, stylesheet); the emails colour their
// inline styles from Light and show MarkPNG inline; the window's palette
// block (frontend/src/style.css), its icon (frontend/public/icon.svg), the
// app icons in build/ and the tray icons are written from them by
// go run ./desktop/internal/icons/gen, whose test fails when they drift.
//
// The package has no dependencies: it is only the files and a reader of the
// palette's custom properties.
package brand

import (
	_ "embed"
	"fmt"
	"regexp"
	"strings"
)

var (
	// MarkSVG is the mark, 100×100, its tile in the light accent colour.
	//
	//go:embed mark.svg
	MarkSVG []byte

	// MarkPNG is the mark drawn at 96×96 (for the emails, which cannot show
	// SVG), written by the icon generator from MarkSVG.
	//
	//go:embed mark.png
	MarkPNG []byte

	// PaletteCSS is the palette as CSS custom properties.
	//
	//go:embed palette.css
	PaletteCSS []byte
)

// MarkCID is the Content-ID of MarkPNG in an email: the HTML shows it as
// <img src="cid:gatepass-mark.png">.
const MarkCID = "gatepass-mark.png"

var (
	light, dark = parsePalette(string(PaletteCSS))
	// Names lists the palette's colours in the order they are defined.
	Names = names(string(PaletteCSS))
)

// Light is the light value of a palette colour ("accent" → "#0f766e"). It
// panics for a name the palette lacks: a typo is a bug, not a fallback.
func Light(name string) string { return must(light, name) }

// Dark is the dark value of a palette colour.
func Dark(name string) string { return must(dark, name) }

func must(m map[string]string, name string) string {
	v, ok := m[name]
	if !ok {
		panic(fmt.Sprintf("brand: no colour --%s in palette.css", name))
	}
	return v
}

// MarkIn is the mark with its tile (and keyhole) in another colour: the
// tray's states.
func MarkIn(color string) []byte {
	return []byte(strings.ReplaceAll(string(MarkSVG), Light("accent"), color))
}

var prop = regexp.MustCompile(`--([a-z0-9-]+):\s*([^;]+);`)

// parsePalette reads the custom properties of the first :root block (the
// light palette) and of the one in the dark media query.
func parsePalette(css string) (light, dark map[string]string) {
	lightPart, darkPart, _ := strings.Cut(css, "@media (prefers-color-scheme: dark)")
	return props(lightPart), props(darkPart)
}

func props(s string) map[string]string {
	m := map[string]string{}
	for _, p := range prop.FindAllStringSubmatch(s, -1) {
		m[p[1]] = strings.TrimSpace(p[2])
	}
	return m
}

func names(css string) []string {
	lightPart, _, _ := strings.Cut(css, "@media")
	var out []string
	for _, p := range prop.FindAllStringSubmatch(lightPart, -1) {
		out = append(out, p[1])
	}
	return out
}
