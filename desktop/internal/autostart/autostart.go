// Package autostart turns "start Gatepass at login" on and off for the
// current user, the way each OS expects it:
//
//   - Linux and other XDG desktops: a .desktop file in
//     $XDG_CONFIG_HOME/autostart (~/.config/autostart/gatepass.desktop),
//     per the XDG Autostart specification;
//   - macOS: a LaunchAgent, ~/Library/LaunchAgents/dev.gatepass.desktop.plist
//     (RunAtLoad);
//   - Windows: the value "Gatepass" under
//     HKCU\Software\Microsoft\Windows\CurrentVersion\Run.
//
// The entry runs the window's executable with --hidden: at login the app
// starts in the tray (with the agent), without showing the window.
package autostart

import (
	"os"
	"path/filepath"
	"strings"
)

// Entry is what starts at login.
type Entry struct {
	// Exec is the absolute path of the executable.
	Exec string
	// Args are its arguments (e.g. "--hidden").
	Args []string
}

// Default is the running executable with --hidden.
func Default() (Entry, error) {
	exe, err := os.Executable()
	if err != nil {
		return Entry{}, err
	}
	if real, err := filepath.EvalSymlinks(exe); err == nil {
		exe = real
	}
	return Entry{Exec: exe, Args: []string{"--hidden"}}, nil
}

// quoteExec quotes an argument for a .desktop Exec key (XDG Desktop Entry
// spec: double quotes around arguments with reserved characters, with
// ", `, $ and \ escaped by a backslash).
func quoteExec(s string) string {
	if s != "" && !strings.ContainsAny(s, " \t\n\"'\\><~|&;$*?#()`=%") {
		return s
	}
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "`", "\\`", `$`, `\$`)
	q := `"` + r.Replace(s) + `"`
	// A literal % is written %% in Exec.
	return strings.ReplaceAll(q, "%", "%%")
}
