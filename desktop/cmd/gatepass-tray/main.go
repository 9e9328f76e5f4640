// Command gatepass-tray is the Gatepass tray icon: its own process (Wails v2
// has no tray, and on macOS the two cannot share a process), a client of
// the agent's LocalAPI like the window.
//
//	gatepass-tray [--socket PATH]
//
// The icon is green while any tunnel is up, grey otherwise. The menu lists
// the networks with their state and time left; clicking an active (or
// standing) network connects or disconnects it, clicking one to request
// opens the window's Request dialog; "Request access…", "Extend access…"
// (the window's Extend dialog, as Request does), "Open Gatepass"
// (runs the gatepass window from beside this executable: a running window
// is raised) and "Quit Gatepass" (quits the window and the tray; the agent
// keeps running). What the menu shows is traymenu.Build, a pure function.
//
// It follows the agent's watch stream (no polling) and starts a user-mode
// agent when none answers, as the window does. One tray runs per user.
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"

	"github.com/getlantern/systray"

	"gatepass.dev/desktop/internal/agentproc"
	"gatepass.dev/desktop/internal/instance"
	"gatepass.dev/desktop/internal/localapi"
	"gatepass.dev/desktop/internal/traymenu"
	"gatepass.dev/shared/backoff"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

// slots is how many networks the menu can list (systray items cannot be
// removed, so they are made once and hidden when unused).
const slots = 24

type tray struct {
	socket string
	client *localapi.Client
	log    *slog.Logger

	header, request, extend, open, quit *systray.MenuItem
	items                               [slots]*systray.MenuItem

	mu       sync.Mutex
	status   *localapi.Status
	offset   time.Duration
	agentErr string
	menu     traymenu.Menu
	iconUp   *bool
	timer    *time.Timer
}

func main() {
	fs := flag.NewFlagSet("gatepass-tray", flag.ExitOnError)
	socket := fs.String("socket", os.Getenv("GATEPASS_SOCKET"), "the agent's LocalAPI socket")
	showVersion := fs.Bool("version", false, "print the version")
	fs.Parse(os.Args[1:])
	if *showVersion {
		fmt.Println("gatepass-tray", version)
		return
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	release, ok, err := instance.Lock("tray")
	if err != nil {
		log.Warn("single-instance lock", "err", err)
	} else if !ok {
		log.Info("a Gatepass tray is already running")
		return
	} else {
		defer release()
	}
	sock := agentproc.Resolve(context.Background(), *socket)
	t := &tray{socket: sock, client: localapi.NewClient(sock), log: log}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		systray.Quit()
	}()
	systray.Run(func() { t.ready(ctx) }, func() {})
}

func (t *tray) ready(ctx context.Context) {
	systray.SetIcon(iconOff)
	systray.SetTitle("")
	systray.SetTooltip("Gatepass")
	t.header = systray.AddMenuItem("Gatepass", "")
	t.header.Disable()
	systray.AddSeparator()
	for i := range t.items {
		t.items[i] = systray.AddMenuItem("", "")
		t.items[i].Hide()
		go t.onClick(ctx, i)
	}
	systray.AddSeparator()
	t.request = systray.AddMenuItem("Request access…", "Request access to a network")
	t.extend = systray.AddMenuItem("Extend access…", "Ask for more time on an active grant")
	t.open = systray.AddMenuItem("Open Gatepass", "Show the Gatepass window")
	systray.AddSeparator()
	t.quit = systray.AddMenuItem("Quit Gatepass", "Quit the window and the tray (the agent keeps running)")
	t.apply()
	go t.follow(ctx)
	go func() {
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.request.ClickedCh:
				t.window("--request")
			case <-t.extend.ClickedCh:
				t.mu.Lock()
				name := t.menu.ExtendNetwork
				t.mu.Unlock()
				if name != "" {
					t.window("--extend", name)
				} else {
					t.window("--extend")
				}
			case <-t.open.ClickedCh:
				t.window()
			case <-t.quit.ClickedCh:
				if instance.Running("window") {
					t.window("--quit")
				}
				systray.Quit()
				return
			}
		}
	}()
}

// follow keeps the menu on the agent's watch stream, starting an agent if
// none answers, reconnecting with back-off (agentproc.Reconnect, as the
// window does).
func (t *tray) follow(ctx context.Context) {
	loop := backoff.Loop{Policy: agentproc.Reconnect, OnBreak: func(err error, wait time.Duration) {
		t.log.Warn("agent watch ended", "err", err, "retry_in", wait)
		t.mu.Lock()
		t.status, t.agentErr = nil, err.Error()
		t.mu.Unlock()
		t.apply()
	}}
	loop.Run(ctx, func(ctx context.Context, healthy func()) error { //nolint:errcheck // ends with ctx
		if _, err := agentproc.Ensure(ctx, agentproc.Options{Socket: t.socket}); err != nil {
			return err
		}
		return t.client.Watch(ctx, func(st localapi.Status) error {
			healthy()
			t.mu.Lock()
			t.status, t.agentErr = &st, ""
			if !st.ServerTime.IsZero() {
				t.offset = st.ServerTime.Sub(time.Now())
			}
			t.mu.Unlock()
			t.apply()
			return nil
		})
	})
}

// apply rebuilds the menu from the latest status and shows it; a timer
// rebuilds it when a "time left" label changes next.
func (t *tray) apply() {
	t.mu.Lock()
	defer t.mu.Unlock()
	m := traymenu.Build(t.status, t.agentErr, time.Now().Add(t.offset))
	t.menu = m
	if t.iconUp == nil || *t.iconUp != m.TunnelUp {
		up := m.TunnelUp
		t.iconUp = &up
		if up {
			systray.SetIcon(iconOn)
		} else {
			systray.SetIcon(iconOff)
		}
	}
	systray.SetTooltip(m.Tooltip)
	t.header.SetTitle(m.Header)
	for i, item := range t.items {
		if i >= len(m.Networks) {
			item.Hide()
			continue
		}
		n := m.Networks[i]
		item.SetTitle(n.Title)
		item.SetTooltip(n.Tooltip)
		if n.Enabled {
			item.Enable()
		} else {
			item.Disable()
		}
		item.Show()
	}
	if m.CanRequest {
		t.request.Enable()
	} else {
		t.request.Disable()
	}
	if m.CanExtend {
		t.extend.Enable()
	} else {
		t.extend.Disable()
	}
	if t.timer != nil {
		t.timer.Stop()
		t.timer = nil
	}
	if m.Refresh > 0 {
		t.timer = time.AfterFunc(m.Refresh, t.apply)
	}
}

func (t *tray) onClick(ctx context.Context, i int) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.items[i].ClickedCh:
		}
		t.mu.Lock()
		var it traymenu.Item
		if i < len(t.menu.Networks) {
			it = t.menu.Networks[i]
		}
		t.mu.Unlock()
		switch it.Action {
		case traymenu.Request:
			t.window("--request", it.Network)
		case traymenu.Connect, traymenu.Disconnect:
			go t.toggle(ctx, it)
		}
	}
}

func (t *tray) toggle(ctx context.Context, it traymenu.Item) {
	ctx, cancel := context.WithTimeout(ctx, 45*time.Second)
	defer cancel()
	var err error
	if it.Action == traymenu.Connect {
		_, err = t.client.Connect(ctx, it.Network)
	} else {
		_, err = t.client.Disconnect(ctx, it.Network)
	}
	if err != nil {
		t.log.Warn("tray: "+string(it.Action), "network", it.Network, "err", err)
		// The window shows the error in the network's row.
		t.window()
	}
}

// window runs the gatepass window from beside this executable with args
// (a running window gets them through its single-instance lock).
func (t *tray) window(args ...string) {
	bin := agentproc.Sibling("gatepass")
	if bin == "" {
		t.log.Warn("gatepass (the window) not found beside gatepass-tray")
		return
	}
	if t.socket != "" {
		args = append([]string{"--socket", t.socket}, args...)
	}
	if err := agentproc.Spawn(bin, args...); err != nil {
		t.log.Warn("could not start the window", "err", err)
	}
}
