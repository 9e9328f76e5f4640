package main

import (
	"context"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/wailsapp/wails/v2/pkg/runtime"
)

// Default and bounds of the window's size (logical pixels).
const (
	defaultWidth  = 460
	defaultHeight = 680
	minWidth      = 360
	minHeight     = 480
	maxSide       = 4096
)

// windowSize is the remembered size.
type windowSize struct {
	Width  int `json:"width"`
	Height int `json:"height"`
}

// windowStore keeps the window's size in the user's config dir
// (…/gatepass/window.json), so the window opens as the user left it.
type windowStore struct{ path string }

func defaultWindowStore() *windowStore {
	d, err := os.UserConfigDir()
	if err != nil {
		return &windowStore{}
	}
	return &windowStore{path: filepath.Join(d, "gatepass", "window.json")}
}

// Load returns the saved size, or the default; a saved size is clamped to
// sane bounds.
func (s *windowStore) Load() windowSize {
	def := windowSize{Width: defaultWidth, Height: defaultHeight}
	if s == nil || s.path == "" {
		return def
	}
	b, err := os.ReadFile(s.path)
	if err != nil {
		return def
	}
	var ws windowSize
	if json.Unmarshal(b, &ws) != nil || ws.Width <= 0 || ws.Height <= 0 {
		return def
	}
	ws.Width = min(max(ws.Width, minWidth), maxSide)
	ws.Height = min(max(ws.Height, minHeight), maxSide)
	return ws
}

// Save writes the size (ignoring nonsense such as a minimised 0×0).
func (s *windowStore) Save(ws windowSize) error {
	if s == nil || s.path == "" {
		return errors.New("no config dir")
	}
	if ws.Width < minWidth/2 || ws.Height < minHeight/2 || ws.Width > maxSide || ws.Height > maxSide {
		return nil
	}
	if old := s.Load(); old == ws {
		if _, err := os.Stat(s.path); !errors.Is(err, fs.ErrNotExist) {
			return nil
		}
	}
	if err := os.MkdirAll(filepath.Dir(s.path), 0o700); err != nil {
		return err
	}
	b, _ := json.Marshal(ws)
	tmp := s.path + ".tmp"
	if err := os.WriteFile(tmp, append(b, '\n'), 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, s.path)
}

// wailsRuntime is uiRuntime over the Wails runtime of the running window.
type wailsRuntime struct{ ctx context.Context }

func (w wailsRuntime) Emit(event string, data any) { runtime.EventsEmit(w.ctx, event, data) }

func (w wailsRuntime) Show() {
	runtime.WindowUnminimise(w.ctx)
	runtime.WindowShow(w.ctx)
}

func (w wailsRuntime) Quit() { runtime.Quit(w.ctx) }

func (w wailsRuntime) WindowSize() (int, int) { return runtime.WindowGetSize(w.ctx) }
