//go:build !windows

package main

import "gatepass.dev/desktop/internal/icons"

// PNG icons for the StatusNotifier/AppIndicator (Linux) and the menu bar (macOS).
var (
	iconOn  = icons.TrayOn
	iconOff = icons.TrayOff
)
