package main

import (
	"context"

	"gatepass.dev/desktop/internal/notify"
)

// newNotifier: on Linux notifications go straight to the freedesktop
// service on the session D-Bus (notify-send as the fallback).
func newNotifier(context.Context) notify.Notifier { return &notify.Desktop{Icon: "gatepass"} }
