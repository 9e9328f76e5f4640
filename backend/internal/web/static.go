package web

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"mime"
	"net/http"
	"path"

	"gatepass.dev/shared/brand"
)

//go:embed static
var staticFS embed.FS

type asset struct {
	body  []byte
	ctype string
	hash  string
}

// assets are the embedded files and the brand's mark and palette
// (shared/brand), each with a content hash: URLs carry it, so the files
// can be cached for good.
var assets = loadAssets()

func loadAssets() map[string]asset {
	entries, err := staticFS.ReadDir("static")
	if err != nil {
		panic(err)
	}
	m := map[string]asset{}
	for _, e := range entries {
		b, err := staticFS.ReadFile("static/" + e.Name())
		if err != nil {
			panic(err)
		}
		sum := sha256.Sum256(b)
		ct := mime.TypeByExtension(path.Ext(e.Name()))
		if ct == "" {
			ct = "application/octet-stream"
		}
		m[e.Name()] = asset{body: b, ctype: ct, hash: hex.EncodeToString(sum[:6])}
	}
	// The brand's mark (favicon and header) and palette, as they are.
	for name, b := range map[string][]byte{"mark.svg": brand.MarkSVG, "palette.css": brand.PaletteCSS} {
		sum := sha256.Sum256(b)
		m[name] = asset{body: b, ctype: mime.TypeByExtension(path.Ext(name)), hash: hex.EncodeToString(sum[:6])}
	}
	return m
}

// assetURL is the URL of an embedded file with its content hash.
func assetURL(name string) string {
	a, ok := assets[name]
	if !ok {
		panic("web: no asset " + name)
	}
	return "/admin/static/" + name + "?v=" + a.hash
}

// static serves an embedded file.
func (s *Server) static(w http.ResponseWriter, r *http.Request) {
	setHeaders(w)
	a, ok := assets[r.PathValue("file")]
	if !ok {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", a.ctype)
	if r.URL.Query().Get("v") == a.hash {
		w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		w.Header().Set("Cache-Control", "no-cache")
	}
	w.Header().Set("ETag", `"`+a.hash+`"`)
	if r.Header.Get("If-None-Match") == `"`+a.hash+`"` {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	_, _ = w.Write(a.body)
}
