//go:build !linux

package main

import (
	"context"
	"sync"

	"github.com/wailsapp/wails/v2/pkg/runtime"

	"gatepass.dev/desktop/internal/notify"
)

// newNotifier: on Windows (toast) and macOS (UserNotifications) the Wails
// runtime shows notifications.
func newNotifier(ctx context.Context) notify.Notifier { return &wailsNotifier{ctx: ctx} }

type wailsNotifier struct {
	ctx  context.Context
	once sync.Once
	err  error
}

func (w *wailsNotifier) Notify(_ context.Context, n notify.Notification) error {
	w.once.Do(func() { w.err = runtime.InitializeNotifications(w.ctx) })
	if w.err != nil {
		return w.err
	}
	return runtime.SendNotification(w.ctx, runtime.NotificationOptions{ID: string(n.Kind) + "-" + n.Network, Title: n.Title, Body: n.Body})
}
