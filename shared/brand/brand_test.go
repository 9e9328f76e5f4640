package brand_test

import (
	"bytes"
	"encoding/xml"
	"image/png"
	"regexp"
	"strings"
	"testing"

	"gatepass.dev/shared/brand"
)

// TestPalette: every colour has a light and a dark value, each a hex
// colour, and the mark's tile is the accent.
func TestPalette(t *testing.T) {
	hex := regexp.MustCompile(`^#[0-9a-f]{6}$`)
	if len(brand.Names) < 20 {
		t.Fatalf("palette names: %v", brand.Names)
	}
	for _, n := range brand.Names {
		if !hex.MatchString(brand.Light(n)) || !hex.MatchString(brand.Dark(n)) {
			t.Errorf("--%s: light %q dark %q", n, brand.Light(n), brand.Dark(n))
		}
	}
	if !bytes.Contains(brand.MarkSVG, []byte(`fill="`+brand.Light("accent")+`"`)) {
		t.Error("the mark's tile is not the accent colour")
	}
	if got := string(brand.MarkIn("#6b7280")); strings.Contains(got, brand.Light("accent")) || !strings.Contains(got, "#6b7280") {
		t.Errorf("MarkIn: %s", got)
	}
	defer func() {
		if recover() == nil {
			t.Error("an unknown colour does not panic")
		}
	}()
	brand.Light("no-such-colour")
}

// TestMarkFiles: the SVG is well-formed with a square viewBox; the PNG is
// 96×96.
func TestMarkFiles(t *testing.T) {
	var svg struct {
		XMLName xml.Name `xml:"svg"`
		ViewBox string   `xml:"viewBox,attr"`
	}
	if err := xml.Unmarshal(brand.MarkSVG, &svg); err != nil || svg.ViewBox != "0 0 100 100" {
		t.Errorf("mark.svg: %v %+v", err, svg)
	}
	img, err := png.Decode(bytes.NewReader(brand.MarkPNG))
	if err != nil || img.Bounds().Dx() != 96 || img.Bounds().Dy() != 96 {
		t.Errorf("mark.png: %v %v", err, img)
	}
}
