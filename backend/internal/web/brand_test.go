package web_test

import (
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/emulation"

	"gatepass.dev/backend/backendtest"
	"gatepass.dev/shared/brand"
)

// TestBrandAssets: the page's favicon and header mark are the brand's
// mark, its colours the brand's palette (served as it is, before the
// page's own stylesheet, which defines none of them again).
func TestBrandAssets(t *testing.T) {
	srv := backendtest.NewServer(t)
	c := newWebClient(t, srv)
	p := c.get("/admin/login")
	icon := regexp.MustCompile(`<link rel="icon" href="(/admin/static/mark\.svg\?v=[0-9a-f]+)" type="image/svg\+xml">`).FindStringSubmatch(p.Body)
	logo := regexp.MustCompile(`<img class="logo" src="(/admin/static/mark\.svg\?v=[0-9a-f]+)"`).FindStringSubmatch(p.Body)
	palette := regexp.MustCompile(`<link rel="stylesheet" href="(/admin/static/palette\.css\?v=[0-9a-f]+)">\s*<link rel="stylesheet" href="(/admin/static/app\.css\?v=[0-9a-f]+)">`).FindStringSubmatch(p.Body)
	if icon == nil || logo == nil || palette == nil {
		t.Fatalf("favicon %v, logo %v, palette then app.css %v", icon, logo, palette)
	}
	mark := c.get(icon[1])
	if mark.Body != string(brand.MarkSVG) || mark.Header.Get("Content-Type") != "image/svg+xml" {
		t.Errorf("favicon: %q %q", mark.Header.Get("Content-Type"), mark.Body)
	}
	if css := c.get(palette[1]); css.Body != string(brand.PaletteCSS) || !strings.HasPrefix(css.Header.Get("Content-Type"), "text/css") {
		t.Errorf("palette: %q", css.Header.Get("Content-Type"))
	}
	app := c.get(palette[2]).Body
	for _, n := range brand.Names {
		if strings.Contains(app, "--"+n+":") {
			t.Errorf("app.css defines the brand colour --%s again", n)
		}
	}
	if regexp.MustCompile(`#[0-9a-fA-F]{6}\b`).MatchString(app) {
		t.Errorf("app.css has colours of its own: %v", regexp.MustCompile(`#[0-9a-fA-F]{6}\b`).FindAllString(app, -1))
	}
}

// TestBrowserBrandColours: the page's colours are the palette's, light and
// dark, and its mark is drawn.
func TestBrowserBrandColours(t *testing.T) {
	srv := backendtest.NewServer(t)
	b := newBrowser(t, srv)
	for _, scheme := range []string{"light", "dark"} {
		b.run(emulation.SetEmulatedMedia().WithFeatures([]*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: scheme}}))
		b.open("/admin/login")
		b.waitFor("the mark", `(() => { const i = document.querySelector('img.logo'); return !!i && i.complete && i.naturalWidth > 0; })()`)
		var got struct {
			Accent string `json:"accent"`
			Button string `json:"button"`
		}
		b.eval(`({accent: getComputedStyle(document.documentElement).getPropertyValue('--accent').trim(),
			button: getComputedStyle(document.querySelector('.btn-primary')).backgroundColor})`, &got)
		want := brand.Light("accent")
		if scheme == "dark" {
			want = brand.Dark("accent")
		}
		if got.Accent != want || got.Button != rgb(want) {
			t.Errorf("%s: accent %q, primary button %q; want %s", scheme, got.Accent, got.Button, want)
		}
	}
	b.clean()
}

// rgb writes #rrggbb as CSS computes it: "rgb(r, g, b)".
func rgb(hex string) string {
	var r, g, b int
	_, _ = fmt.Sscanf(hex, "#%02x%02x%02x", &r, &g, &b)
	return "rgb(" + itoa(r) + ", " + itoa(g) + ", " + itoa(b) + ")"
}
