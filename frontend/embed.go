// Package frontend holds the UI of the Gatepass desktop window and embeds
// its build output (dist/) so the Wails app in gatepass.dev/desktop can serve it.
//
// The UI is Vite + TypeScript + Preact (index.html, src/; `make frontend`
// runs npm ci and vite build). dist/ is build output and not committed: it must
// hold at least one file before any go build, vet or test, so without Node.js
// `make frontend-dist` puts the placeholder page from placeholder/ there.
package frontend

import (
	"embed"
	"io/fs"
)

// Assets is the embedded build output, rooted at the module (files live under "dist/").
//
//go:embed all:dist
var Assets embed.FS

// Dist returns the build output rooted at dist/, so "index.html" is at its top.
func Dist() fs.FS {
	sub, err := fs.Sub(Assets, "dist")
	if err != nil {
		// fs.Sub fails only for an invalid path; "dist" is a constant valid one.
		panic(err)
	}
	return sub
}
