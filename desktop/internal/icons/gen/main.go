// Command gen writes every face of the Gatepass brand that cannot read
// shared/brand at run time, from its mark (mark.svg) and palette
// (palette.css): the app icon (desktop/internal/icons/app.png,
// build/appicon.png for the Wails CLI, build/linux/gatepass.png,
// build/windows/icon.ico), the tray's two states (the mark in the accent:
// a tunnel is up; in the idle grey: none; PNG and ICO), the window's
// icon (frontend/public/icon.svg), the emails' PNG of the mark
// (shared/brand/mark.png) and the colours of the window's palette block
// (frontend/src/style.css, its own variable names mapped to the
// palette's). The SVG is drawn with github.com/srwiley/oksvg. Run it from
// the repo root when the brand changes; the files are committed, and the
// test beside it fails when one of them no longer matches the brand:
//
//	go run ./desktop/internal/icons/gen
package main

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/srwiley/oksvg"
	"github.com/srwiley/rasterx"

	"gatepass.dev/shared/brand"
)

// output is one generated file, its path relative to the repo root.
type output struct {
	path string
	data []byte
}

// windowColors maps the window's palette variables (frontend/src/style.css)
// to the brand palette's.
var windowColors = []struct{ window, brand string }{
	{"bg", "bg"}, {"card", "surface"}, {"text", "text"}, {"muted", "muted"}, {"line", "border"},
	{"accent", "accent"}, {"accent-text", "accent-text"}, {"accent-hover", "accent-hover"},
	{"ok", "ok"}, {"amber", "pending-fg"}, {"warn-bg", "pending-bg"}, {"warn-text", "pending-fg"},
	{"err", "danger"}, {"err-bg", "danger-soft"}, {"info-bg", "accent-soft"},
	{"switch-off", "border-strong"}, {"focus", "focus"},
}

// outputs renders every generated file from the brand; root is the repo
// root (the window's stylesheet is rewritten in place).
func outputs(root string) ([]output, error) {
	on, off := brand.MarkSVG, brand.MarkIn(brand.Light("idle"))
	style, err := os.ReadFile(filepath.Join(root, "frontend/src/style.css"))
	if err != nil {
		return nil, err
	}
	style, err = windowPalette(style)
	if err != nil {
		return nil, err
	}
	drawPNG := func(svg []byte, size int) func() ([]byte, error) {
		return func() ([]byte, error) { return pngOf(svg, size) }
	}
	drawICO := func(svg []byte, sizes ...int) func() ([]byte, error) {
		return func() ([]byte, error) { return ico(svg, sizes...) }
	}
	as := func(b []byte) func() ([]byte, error) { return func() ([]byte, error) { return b, nil } }
	var outs []output
	for _, j := range []struct {
		path string
		make func() ([]byte, error)
	}{
		{"desktop/internal/icons/app.png", drawPNG(on, 256)},
		{"desktop/internal/icons/tray-on.png", drawPNG(on, 64)},
		{"desktop/internal/icons/tray-off.png", drawPNG(off, 64)},
		{"desktop/internal/icons/tray-on.ico", drawICO(on, 16, 32, 48)},
		{"desktop/internal/icons/tray-off.ico", drawICO(off, 16, 32, 48)},
		{"build/appicon.png", drawPNG(on, 1024)},
		{"build/linux/gatepass.png", drawPNG(on, 256)},
		{"build/windows/icon.ico", drawICO(on, 16, 24, 32, 48, 64, 128, 256)},
		{"shared/brand/mark.png", drawPNG(on, 96)},
		{"frontend/public/icon.svg", as(brand.MarkSVG)},
		{"frontend/src/style.css", as(style)},
	} {
		b, err := j.make()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", j.path, err)
		}
		outs = append(outs, output{j.path, b})
	}
	return outs, nil
}

// draw renders an SVG at size×size.
func draw(svg []byte, size int) (*image.RGBA, error) {
	icon, err := oksvg.ReadIconStream(bytes.NewReader(svg), oksvg.StrictErrorMode)
	if err != nil {
		return nil, fmt.Errorf("read the mark: %w", err)
	}
	icon.SetTarget(0, 0, float64(size), float64(size))
	img := image.NewRGBA(image.Rect(0, 0, size, size))
	scanner := rasterx.NewScannerGV(size, size, img, img.Bounds())
	icon.Draw(rasterx.NewDasher(size, size, scanner), 1)
	return img, nil
}

func pngOf(svg []byte, size int) ([]byte, error) {
	img, err := draw(svg, size)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// ico packs PNG images of the SVG into an ICO file (PNG-compressed
// entries, Vista+).
func ico(svg []byte, sizes ...int) ([]byte, error) {
	var pngs [][]byte
	for _, s := range sizes {
		b, err := pngOf(svg, s)
		if err != nil {
			return nil, err
		}
		pngs = append(pngs, b)
	}
	var buf bytes.Buffer
	_ = binary.Write(&buf, binary.LittleEndian, [3]uint16{0, 1, uint16(len(sizes))})
	offset := 6 + 16*len(sizes)
	for i, s := range sizes {
		w := byte(s)
		if s >= 256 {
			w = 0
		}
		buf.Write([]byte{w, w, 0, 0})
		_ = binary.Write(&buf, binary.LittleEndian, [2]uint16{1, 32})
		_ = binary.Write(&buf, binary.LittleEndian, [2]uint32{uint32(len(pngs[i])), uint32(offset)})
		offset += len(pngs[i])
	}
	for _, p := range pngs {
		buf.Write(p)
	}
	return buf.Bytes(), nil
}

// paletteNote marks the window's palette block as written from the brand.
const paletteNote = "/* Colours: shared/brand/palette.css, written by go run ./desktop/internal/icons/gen. */"

// windowPalette sets the colours of the window stylesheet's palette block
// (its first :root block, and the first in its dark media query) to the
// brand's, adding a variable that block lacks; nothing else changes.
func windowPalette(css []byte) ([]byte, error) {
	s := string(css)
	i := strings.Index(s, "@media (prefers-color-scheme: dark)")
	if i < 0 {
		return nil, fmt.Errorf("style.css: no dark palette block")
	}
	lightPart, err := setBlock(s[:i], brand.Light, true)
	if err != nil {
		return nil, err
	}
	darkPart, err := setBlock(s[i:], brand.Dark, false)
	if err != nil {
		return nil, err
	}
	return []byte(lightPart + darkPart), nil
}

// setBlock rewrites the colours of the first ":root {…}" block of s.
func setBlock(s string, value func(string) string, note bool) (string, error) {
	start := strings.Index(s, ":root {")
	if start < 0 {
		return "", fmt.Errorf("style.css: no :root block")
	}
	end := strings.Index(s[start:], "}")
	if end < 0 {
		return "", fmt.Errorf("style.css: unterminated :root block")
	}
	end += start
	block := s[start:end]
	indent := "  "
	if m := regexp.MustCompile(`\n(\s+)--`).FindStringSubmatch(block); m != nil {
		indent = m[1]
	}
	if note && !strings.Contains(block, paletteNote) {
		block = strings.Replace(block, ":root {", ":root {\n"+indent+paletteNote, 1)
	}
	for _, c := range windowColors {
		re := regexp.MustCompile(`(\n\s*--` + regexp.QuoteMeta(c.window) + `:\s*)[^;]+;`)
		v := value(c.brand)
		if re.MatchString(block) {
			block = re.ReplaceAllString(block, "${1}"+v+";")
			continue
		}
		block = strings.TrimRight(block, " \n") + "\n" + indent + "--" + c.window + ": " + v + ";\n" + indent[:max(0, len(indent)-2)]
	}
	return s[:start] + block + s[end:], nil
}

func main() {
	outs, err := outputs(".")
	if err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
	for _, o := range outs {
		if err := os.MkdirAll(filepath.Dir(o.path), 0o755); err != nil {
			panic(err)
		}
		if err := os.WriteFile(o.path, o.data, 0o644); err != nil {
			panic(err)
		}
		fmt.Println("wrote", o.path, len(o.data), "bytes")
	}
}
