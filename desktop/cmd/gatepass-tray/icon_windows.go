//go:build windows

package main

import "gatepass.dev/desktop/internal/icons"

// The notification area takes ICO files.
var (
	iconOn  = icons.TrayOnICO
	iconOff = icons.TrayOffICO
)
