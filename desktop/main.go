// Command gatepass is the Gatepass desktop window: a Wails v2 app that serves
// the embedded UI of gatepass.dev/frontend and is a thin client of the
// agent's LocalAPI (see App).
//
//	gatepass [--socket PATH] [--hidden] [--request [NETWORK]] [--extend [NETWORK]] [--quit] [--no-tray]
//
// At start it makes sure an agent answers on the socket, starting a
// user-mode `gatepassd run` from beside its own executable if none does
// (package agentproc says why a separate process), and starts
// gatepass-tray (also from beside it) unless a tray already runs. Only one
// window runs per user: starting gatepass again raises it (the tray's
// "Open Gatepass" does that), `--request NAME` opens the Request dialog,
// `--extend NAME` the Extend dialog of an active grant (the tray's "Extend
// access…"), `--quit` quits it. Closing the window hides it to the tray.
//
// Environment: GATEPASS_SOCKET (the socket), GATEPASS_READY_FILE (a file
// written with the network names when the list is first rendered: the
// window smoke test and the start-up benchmark wait for it),
// GATEPASS_NO_TRAY=1.
//
// Build it with the Wails CLI from this directory (`wails build`; wails.json is
// a symlink to the one at the repo root) or without the CLI:
//
//	go build -tags desktop,production,webkit2_41 -o ../build/bin/gatepass .
//
// Without the desktop/production tags Wails compiles as a stub that needs no
// GTK/WebKit, so `go build ./...`, `go vet ./...` and `go test ./...` work on any
// machine; such a binary only reports that it was built without the tags.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"

	"github.com/wailsapp/wails/v2"
	"github.com/wailsapp/wails/v2/pkg/options"
	"github.com/wailsapp/wails/v2/pkg/options/assetserver"
	"github.com/wailsapp/wails/v2/pkg/options/linux"
	"github.com/wailsapp/wails/v2/pkg/options/mac"
	"github.com/wailsapp/wails/v2/pkg/options/windows"

	"gatepass.dev/desktop/internal/agentproc"
	"gatepass.dev/desktop/internal/icons"
	"gatepass.dev/desktop/internal/instance"
	"gatepass.dev/desktop/internal/localapi"
	"gatepass.dev/frontend"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

// startTime is close to the process start: the start-up benchmark's zero.
var startTime = time.Now()

// flags are the command line of the window.
type flags struct {
	socket  string
	hidden  bool
	request bool
	extend  bool
	network string
	quit    bool
	noTray  bool
}

func parseFlags(args []string) flags {
	var f flags
	fs := flag.NewFlagSet("gatepass", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&f.socket, "socket", os.Getenv("GATEPASS_SOCKET"), "the agent's LocalAPI socket")
	fs.BoolVar(&f.hidden, "hidden", false, "start in the tray, without showing the window")
	fs.BoolVar(&f.request, "request", false, "open the Request dialog (of the network named next)")
	fs.BoolVar(&f.extend, "extend", false, "open the Extend dialog (of the network named next)")
	fs.BoolVar(&f.quit, "quit", false, "quit the running window")
	fs.BoolVar(&f.noTray, "no-tray", os.Getenv("GATEPASS_NO_TRAY") == "1", "do not start gatepass-tray")
	_ = fs.Parse(args) // unknown flags (e.g. a toolkit's) are ignored
	if (f.request || f.extend) && fs.NArg() > 0 {
		f.network = fs.Arg(0)
	}
	return f
}

func main() {
	f := parseFlags(os.Args[1:])
	if !f.quit {
		f.socket = agentproc.Resolve(context.Background(), f.socket)
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	app := newApp(appConfig{
		Socket: f.socket,
		Ensure: func(ctx context.Context) error {
			started, err := agentproc.Ensure(ctx, agentproc.Options{Socket: f.socket})
			if started && err == nil {
				log.Info("started a user-mode agent", "socket", localapi.NewClient(f.socket).Path())
			}
			return err
		},
		Logger: log,
		Window: defaultWindowStore(),
	})
	if p := os.Getenv("GATEPASS_READY_FILE"); p != "" {
		app.onReady = readyFileWriter(p)
	}
	if err := wails.Run(appOptions(app, f)); err != nil {
		fmt.Fprintln(os.Stderr, "gatepass:", err)
		os.Exit(1)
	}
}

// appOptions is the window's configuration; kept apart from main so it is testable.
func appOptions(app *App, f flags) *options.App {
	size := app.win.Load()
	return &options.App{
		Title:             "Gatepass",
		Width:             size.Width,
		Height:            size.Height,
		MinWidth:          minWidth,
		MinHeight:         minHeight,
		StartHidden:       f.hidden || f.quit,
		HideWindowOnClose: true,
		AssetServer: &assetserver.Options{
			Assets: frontend.Dist(),
		},
		BackgroundColour: &options.RGBA{R: 246, G: 247, B: 249, A: 255},
		OnStartup: func(ctx context.Context) {
			app.rt = wailsRuntime{ctx: ctx}
			if f.quit {
				app.rt.Quit()
				return
			}
			app.notifier = newNotifier(ctx)
			// Held for the process's life: the tray's Quit asks a running window to quit.
			if release, ok, err := instance.Lock("window"); err == nil && ok {
				app.windowLock = release
			}
			if !f.noTray {
				startTray(app, f.socket)
			}
			app.start(ctx)
			switch {
			case f.request:
				app.openDialog(DialogRequest, f.network)
			case f.extend:
				app.openDialog(DialogExtend, f.network)
			}
		},
		OnShutdown: func(ctx context.Context) { app.stop() },
		SingleInstanceLock: &options.SingleInstanceLock{
			UniqueId:               "dev.gatepass.window",
			OnSecondInstanceLaunch: func(d options.SecondInstanceData) { app.secondInstance(d.Args) },
		},
		Bind: []any{app},
		Linux: &linux.Options{
			ProgramName:      "gatepass",
			Icon:             icons.App,
			WebviewGpuPolicy: linux.WebviewGpuPolicyNever,
		},
		Windows: &windows.Options{Theme: windows.SystemDefault},
		Mac: &mac.Options{
			About: &mac.AboutInfo{Title: "Gatepass", Message: "Just-in-time network access over WireGuard. Version " + version, Icon: icons.App},
		},
	}
}

// secondInstance handles a later `gatepass …` start: raise the window, or
// open the Request dialog, or quit.
func (a *App) secondInstance(args []string) {
	f := parseFlags(args)
	switch {
	case f.quit:
		a.Quit()
	case f.request:
		a.openDialog(DialogRequest, f.network)
	case f.extend:
		a.openDialog(DialogExtend, f.network)
	default:
		if a.rt != nil {
			a.rt.Show()
		}
	}
}

// The dialogs the tray (or the command line) may ask the window to open.
const (
	DialogRequest = "request"
	DialogExtend  = "extend"
)

// openDialog shows the window and asks the UI for a dialog (DialogRequest
// or DialogExtend) of network ("": the UI picks the one network it can
// be, or shows the list).
func (a *App) openDialog(kind, network string) {
	a.mu.Lock()
	a.pendingOpen = &OpenRequest{Open: true, Kind: kind, Network: network}
	a.mu.Unlock()
	if a.rt == nil {
		return
	}
	a.rt.Show()
	event := EventOpenRequest
	if kind == DialogExtend {
		event = EventOpenExtend
	}
	a.rt.Emit(event, network)
}

// OpenRequest is a request of the tray (or the command line) to open a
// dialog.
type OpenRequest struct {
	Open bool `json:"open"`
	// Kind is the dialog: "request" or "extend".
	Kind    string `json:"kind"`
	Network string `json:"network"`
}

// TakeOpenRequest returns (and forgets) a dialog asked for before the UI
// was listening.
func (a *App) TakeOpenRequest() OpenRequest {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.pendingOpen == nil {
		return OpenRequest{}
	}
	o := *a.pendingOpen
	a.pendingOpen = nil
	return o
}

// startTray starts gatepass-tray from beside this executable unless one
// runs already.
func startTray(app *App, socket string) {
	if instance.Running("tray") {
		return
	}
	bin := agentproc.Sibling("gatepass-tray")
	if bin == "" {
		app.log.Info("gatepass-tray not found beside gatepass: no tray icon")
		return
	}
	args := []string{}
	if socket != "" {
		args = append(args, "--socket", socket)
	}
	if err := agentproc.Spawn(bin, args...); err != nil {
		app.log.Warn("could not start the tray", "err", err)
	}
}

func agentLogFile() string { return agentproc.DefaultLogFile() }
