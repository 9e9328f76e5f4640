package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/jonboulle/clockwork"

	"gatepass.dev/desktop/internal/agentproc"
	"gatepass.dev/desktop/internal/autostart"
	"gatepass.dev/desktop/internal/localapi"
	"gatepass.dev/desktop/internal/notify"
	"gatepass.dev/shared/backoff"
)

// Events the App emits to the frontend (runtime.EventsEmit).
const (
	// EventState carries a UIState after every change.
	EventState = "state"
	// EventOpenRequest carries a network name (or "") when the tray asks
	// for the Request dialog.
	EventOpenRequest = "open-request"
	// EventOpenExtend carries a network name (or "") when the tray asks
	// for the Extend dialog.
	EventOpenExtend = "open-extend"
)

// App is the object bound to the UI: its exported methods are what the
// frontend calls (window.go.main.App.*; typed in frontend/src/bridge.ts).
// It is a thin client of the agent's LocalAPI: the state it shows comes
// from the agent's watch stream only (follow), never from polling; the
// methods forward the user's actions and return the agent's new status so
// the UI can show it at once.
type App struct {
	client   *localapi.Client
	ensure   func(ctx context.Context) error // makes sure an agent answers (starts one)
	rt       uiRuntime
	notifier notify.Notifier
	log      *slog.Logger
	clock    clockwork.Clock
	win      *windowStore
	// onReady is called once with the network names the UI rendered first.
	onReady func(names []string)

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu        sync.Mutex
	state     UIState
	offset    time.Duration    // server clock − local clock, from the latest status
	prev      *localapi.Status // last status seen on the watch, for notifications
	prevNow   time.Time        // its server-clock instant
	warnTimer clockwork.Timer  // the next "ends in 10 minutes" check
	readyOnce sync.Once
	// pendingOpen is a dialog asked for (TakeOpenRequest).
	pendingOpen *OpenRequest
	// windowLock is held while the window runs (instance "window").
	windowLock func()
}

// UIState is everything the window shows, sent with every change.
type UIState struct {
	Agent AgentInfo `json:"agent"`
	// Status is the agent's latest status; null until the agent answered.
	Status *localapi.Status `json:"status"`
}

// AgentInfo says whether the window follows a running agent.
type AgentInfo struct {
	// Connected: the window follows the agent's watch stream.
	Connected bool `json:"connected"`
	// Starting: the window is starting (or waiting for) a user-mode agent.
	Starting bool `json:"starting"`
	// Error says why there is no agent (empty while connected).
	Error  string `json:"error"`
	Socket string `json:"socket"`
}

// Settings are the window's own settings (the agent keeps its prefs).
type Settings struct {
	StartAtLogin          bool   `json:"start_at_login"`
	StartAtLoginSupported bool   `json:"start_at_login_supported"`
	StartAtLoginPath      string `json:"start_at_login_path"`
	Version               string `json:"version"`
	AgentLog              string `json:"agent_log"`
}

// uiRuntime is what the App needs of the window (Wails' runtime in the
// app; a recorder or an HTTP event stream in tests).
type uiRuntime interface {
	Emit(event string, data any)
	Show()
	Quit()
	WindowSize() (w, h int)
}

// appConfig builds an App.
type appConfig struct {
	Socket   string
	Ensure   func(ctx context.Context) error
	Runtime  uiRuntime
	Notifier notify.Notifier
	Logger   *slog.Logger
	// Clock times the reconnections and the "ends in 10 minutes" warning
	// (default: the real clock).
	Clock   clockwork.Clock
	Window  *windowStore
	OnReady func(names []string)
}

func newApp(c appConfig) *App {
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Clock == nil {
		c.Clock = clockwork.NewRealClock()
	}
	if c.Ensure == nil {
		c.Ensure = func(context.Context) error { return nil }
	}
	a := &App{
		client: localapi.NewClient(c.Socket), ensure: c.Ensure, rt: c.Runtime, notifier: c.Notifier,
		log: c.Logger, clock: c.Clock, win: c.Window, onReady: c.OnReady,
	}
	a.state.Agent = AgentInfo{Starting: true, Socket: a.client.Path()}
	return a
}

// start begins following the agent; stop ends it.
func (a *App) start(ctx context.Context) {
	a.ctx, a.cancel = context.WithCancel(ctx)
	a.wg.Add(1)
	go func() {
		defer a.wg.Done()
		a.follow(a.ctx)
	}()
}

func (a *App) stop() {
	if a.cancel != nil {
		a.cancel()
	}
	a.wg.Wait()
	a.mu.Lock()
	if a.warnTimer != nil {
		a.warnTimer.Stop()
	}
	a.mu.Unlock()
}

// follow keeps the window on the agent's watch stream: it makes sure an
// agent runs (starting a user-mode one if none answers), follows the stream
// (the full status first, then every change), and after a break tries again
// with back-off (agentproc.Reconnect, reset by a working stream).
func (a *App) follow(ctx context.Context) {
	var msg string
	loop := backoff.Loop{Policy: agentproc.Reconnect, Clock: a.clock, OnBreak: func(err error, wait time.Duration) {
		a.log.Warn("agent watch ended", "err", err, "retry_in", wait)
		a.setAgent(AgentInfo{Error: msg})
	}}
	loop.Run(ctx, func(ctx context.Context, healthy func()) error { //nolint:errcheck // ends with ctx
		a.setAgent(AgentInfo{Starting: true})
		if err := a.ensure(ctx); err != nil {
			msg = "Could not start the Gatepass agent: " + errText(err)
			return err
		}
		err := a.client.Watch(ctx, func(st localapi.Status) error {
			healthy()
			a.observe(st)
			return nil
		})
		msg = "Lost the connection to the Gatepass agent (" + errText(err) + "). Reconnecting…"
		return err
	})
}

func (a *App) setAgent(info AgentInfo) {
	a.mu.Lock()
	info.Socket = a.client.Path()
	if a.state.Agent == info {
		a.mu.Unlock()
		return
	}
	a.state.Agent = info
	st := a.state
	a.mu.Unlock()
	a.emit(st)
}

// observe takes one status of the watch stream: it becomes the state, and
// the change since the previous one may notify.
func (a *App) observe(st localapi.Status) {
	a.mu.Lock()
	now := st.ServerTime
	if now.IsZero() {
		now = a.clock.Now().Add(a.offset)
	}
	a.offset = now.Sub(a.clock.Now())
	notes := notify.Transitions(a.prev, a.prevNow, st, now)
	prev := st
	a.prev, a.prevNow = &prev, now
	a.state.Status = &prev
	a.state.Agent = AgentInfo{Connected: true, Socket: a.client.Path()}
	a.armWarningLocked(st, now)
	out := a.state
	a.mu.Unlock()
	a.emit(out)
	a.send(notes)
}

// armWarningLocked sets one timer for the next "ends in 10 minutes".
func (a *App) armWarningLocked(st localapi.Status, now time.Time) {
	if a.warnTimer != nil {
		a.warnTimer.Stop()
		a.warnTimer = nil
	}
	at := notify.NextCheck(st, now)
	if at.IsZero() {
		return
	}
	a.warnTimer = a.clock.AfterFunc(at.Sub(now)+10*time.Millisecond, a.checkWarnings)
}

// checkWarnings runs when an "ending" notification may be due.
func (a *App) checkWarnings() {
	a.mu.Lock()
	if a.prev == nil {
		a.mu.Unlock()
		return
	}
	st := *a.prev
	now := a.clock.Now().Add(a.offset)
	notes := notify.Transitions(a.prev, a.prevNow, st, now)
	a.prevNow = now
	a.armWarningLocked(st, now)
	a.mu.Unlock()
	a.send(notes)
}

func (a *App) send(notes []notify.Notification) {
	for _, n := range notes {
		a.log.Info("notification", "kind", n.Kind, "network", n.Network, "title", n.Title)
		if a.notifier == nil {
			continue
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		if err := a.notifier.Notify(ctx, n); err != nil {
			a.log.Warn("notification not shown", "err", err)
		}
		cancel()
	}
}

func (a *App) emit(st UIState) {
	if a.rt != nil {
		a.rt.Emit(EventState, st)
	}
}

// ---- bound methods ----

// State returns the current state (the frontend asks once at start, then
// follows the "state" events).
func (a *App) State() UIState {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.state
}

// Refresh asks the agent for its status now (the refresh button).
func (a *App) Refresh() (UIState, error) {
	ctx, cancel := a.callCtx(10 * time.Second)
	defer cancel()
	st, err := a.client.Status(ctx)
	return a.answer(st, err, "refresh", "")
}

// Login signs the agent in.
func (a *App) Login(server, email, password string) (UIState, error) {
	ctx, cancel := a.callCtx(40 * time.Second)
	defer cancel()
	server = strings.TrimSpace(server)
	if server != "" && !strings.Contains(server, "://") {
		server = "https://" + server
	}
	st, err := a.client.Login(ctx, server, strings.TrimSpace(email), password)
	return a.answer(st, err, "login", server)
}

// Logout signs the agent out (every tunnel goes down).
func (a *App) Logout() (UIState, error) {
	ctx, cancel := a.callCtx(15 * time.Second)
	defer cancel()
	st, err := a.client.Logout(ctx)
	return a.answer(st, err, "logout", "")
}

// Request asks for access to a network with a reason, a wished duration
// in seconds (0: let the admin decide) and a start (RFC 3339, from the
// dialog's date and time in the user's zone; "": at approval).
func (a *App) Request(network, reason string, durationSeconds int64, startsAt string) (UIState, error) {
	reason, err := checkReason(reason)
	if err != nil {
		return a.State(), err
	}
	if durationSeconds < 0 {
		return a.State(), errors.New("The duration must be positive.")
	}
	in := localapi.AccessRequest{Reason: reason, DurationSeconds: durationSeconds}
	if startsAt != "" {
		t, err := time.Parse(time.RFC3339, startsAt)
		if err != nil {
			return a.State(), errors.New("The start is not a date and time.")
		}
		t = t.UTC()
		in.StartsAt = &t
	}
	ctx, cancel := a.callCtx(40 * time.Second)
	defer cancel()
	st, err := a.client.RequestWith(ctx, network, in)
	return a.answer(st, err, "request", "")
}

// Cancel withdraws a pending request.
func (a *App) Cancel(network string) (UIState, error) {
	ctx, cancel := a.callCtx(40 * time.Second)
	defer cancel()
	st, err := a.client.Cancel(ctx, network)
	return a.answer(st, err, "cancel", "")
}

// Connect turns a network's tunnel on; it returns once it is up.
func (a *App) Connect(network string) (UIState, error) {
	ctx, cancel := a.callCtx(45 * time.Second)
	defer cancel()
	st, err := a.client.Connect(ctx, network)
	return a.answer(st, err, "connect", "")
}

// Disconnect turns a network's tunnel off.
func (a *App) Disconnect(network string) (UIState, error) {
	ctx, cancel := a.callCtx(15 * time.Second)
	defer cancel()
	st, err := a.client.Disconnect(ctx, network)
	return a.answer(st, err, "disconnect", "")
}

// Release gives up a network's grant before it expires.
func (a *App) Release(network string) (UIState, error) {
	ctx, cancel := a.callCtx(40 * time.Second)
	defer cancel()
	st, err := a.client.Release(ctx, network)
	return a.answer(st, err, "release", "")
}

// History lists the user's latest requests on a network, newest first
// (the short history in a network's details).
func (a *App) History(network string) (localapi.History, error) {
	ctx, cancel := a.callCtx(40 * time.Second)
	defer cancel()
	h, err := a.client.History(ctx, network)
	if err != nil {
		a.log.Info("call failed", "op", "history", "err", err)
		return localapi.History{}, friendlyError("history", "", err)
	}
	return h, nil
}

// SetConnectOnApproval changes the agent's "connect automatically on
// approval" preference.
func (a *App) SetConnectOnApproval(on bool) (UIState, error) {
	ctx, cancel := a.callCtx(15 * time.Second)
	defer cancel()
	st, err := a.client.SetPrefs(ctx, localapi.PrefsInput{ConnectOnApproval: &on})
	return a.answer(st, err, "prefs", "")
}

// Settings returns the window's settings.
func (a *App) Settings() Settings {
	s := Settings{StartAtLoginSupported: autostart.Supported, Version: version, AgentLog: agentLogFile()}
	s.StartAtLogin, _ = autostart.Enabled()
	s.StartAtLoginPath, _ = autostart.Path()
	return s
}

// SetStartAtLogin turns starting Gatepass (hidden, in the tray) at login
// on or off.
func (a *App) SetStartAtLogin(on bool) (Settings, error) {
	e, err := autostart.Default()
	if err == nil {
		err = autostart.Set(on, e)
	}
	if err != nil {
		return a.Settings(), fmt.Errorf("Could not change start at login: %v", err)
	}
	return a.Settings(), nil
}

// Rendered is called by the frontend when the network list has been
// rendered for the first time, with the names shown in the DOM; the first
// call is logged (and written to $GATEPASS_READY_FILE): the window
// smoke test and the start-up benchmark wait for it.
func (a *App) Rendered(names []string) {
	a.readyOnce.Do(func() {
		a.log.Info("ready: network list shown", "networks", strings.Join(names, ","), "ms_since_start", time.Since(startTime).Milliseconds())
		if a.onReady != nil {
			a.onReady(names)
		}
	})
}

// WindowResized is called by the frontend (debounced) after the window
// was resized: the size is kept for the next start.
func (a *App) WindowResized() {
	if a.rt == nil || a.win == nil {
		return
	}
	w, h := a.rt.WindowSize()
	if err := a.win.Save(windowSize{Width: w, Height: h}); err != nil {
		a.log.Warn("could not save the window size", "err", err)
	}
}

// Quit quits the window (and its tray); the agent keeps running.
func (a *App) Quit() {
	if a.rt != nil {
		a.rt.Quit()
	}
}

// callCtx bounds one LocalAPI call.
func (a *App) callCtx(d time.Duration) (context.Context, context.CancelFunc) {
	parent := a.ctx
	if parent == nil {
		parent = context.Background()
	}
	return context.WithTimeout(parent, d)
}

// answer returns the state with a call's status applied (the watch brings
// the same status too: the App's own state follows the watch only), or
// the error in words for the user.
func (a *App) answer(st localapi.Status, err error, op, server string) (UIState, error) {
	if err != nil {
		a.log.Info("call failed", "op", op, "err", err)
		return a.State(), friendlyError(op, server, err)
	}
	out := a.State()
	out.Status = &st
	out.Agent = AgentInfo{Connected: true, Socket: a.client.Path()}
	return out, nil
}

// readyFileWriter writes the first rendered network names to path (JSON).
func readyFileWriter(path string) func([]string) {
	return func(names []string) {
		b, _ := json.Marshal(map[string]any{"networks": names, "ms_since_start": time.Since(startTime).Milliseconds(), "pid": os.Getpid()})
		if err := os.WriteFile(path, append(b, '\n'), 0o600); err != nil {
			fmt.Fprintln(os.Stderr, "gatepass: ready file:", err)
		}
	}
}
