// Package icons holds the Gatepass icons, drawn by ./gen from the brand's
// mark (shared/brand: an arched gate with a keyhole on a rounded tile):
// the app icon and the tray's two states (the accent: a tunnel is up; the
// idle grey: none), as PNG (Linux, macOS) and ICO (Windows).
package icons

import _ "embed"

var (
	// App is the window's icon (256×256 PNG).
	App []byte = app
	// TrayOn and TrayOff are the tray icons as PNG.
	TrayOn  []byte = trayOn
	TrayOff []byte = trayOff
	// TrayOnICO and TrayOffICO are the tray icons as ICO (Windows).
	TrayOnICO  []byte = trayOnICO
	TrayOffICO []byte = trayOffICO
)

//go:embed app.png
var app []byte

//go:embed tray-on.png
var trayOn []byte

//go:embed tray-off.png
var trayOff []byte

//go:embed tray-on.ico
var trayOnICO []byte

//go:embed tray-off.ico
var trayOffICO []byte
