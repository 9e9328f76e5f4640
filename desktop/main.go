// Command gatepass is the Gatepass desktop window: a Wails v2 app that serves
// the embedded UI of gatepass.dev/frontend.
//
// Build it with the Wails CLI from this directory (`wails build`; wails.json is
// a symlink to the one at the repo root) or without the CLI:
//
//	go build -tags desktop,production,webkit2_41 -o ../build/bin/gatepass .
//
// Without the desktop/production tags Wails compiles a stub that needs no
// GTK/WebKit, so `go build ./...`, `go vet ./...` and `go test ./...` work on any
// machine; such a binary only reports that it was built without the tags.
package main

import (
	"fmt"
	"os"

	"github.com/wailsapp/wails/v2"
	"github.com/wailsapp/wails/v2/pkg/options"
	"github.com/wailsapp/wails/v2/pkg/options/assetserver"
	"github.com/wailsapp/wails/v2/pkg/options/linux"

	"gatepass.dev/frontend"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

func main() {
	if err := wails.Run(appOptions(NewApp())); err != nil {
		fmt.Fprintln(os.Stderr, "gatepass:", err)
		os.Exit(1)
	}
}

// appOptions is the window's configuration; kept apart from main so it is testable.
func appOptions(app *App) *options.App {
	return &options.App{
		Title:     "Gatepass",
		Width:     440,
		Height:    680,
		MinWidth:  360,
		MinHeight: 480,
		AssetServer: &assetserver.Options{
			Assets: frontend.Dist(),
		},
		BackgroundColour: &options.RGBA{R: 245, G: 246, B: 248, A: 255},
		OnStartup:        app.startup,
		Bind:             []any{app},
		Linux: &linux.Options{
			ProgramName: "gatepass",
		},
	}
}
