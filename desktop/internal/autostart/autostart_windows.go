//go:build windows

package autostart

import (
	"errors"
	"strings"

	"golang.org/x/sys/windows/registry"
)

// Supported says whether this OS has an implementation.
const Supported = true

const (
	runKey    = `Software\Microsoft\Windows\CurrentVersion\Run`
	valueName = "Gatepass"
)

// Path names the registry value.
func Path() (string, error) { return `HKCU\` + runKey + `\` + valueName, nil }

// Enabled reports whether the Run value exists.
func Enabled() (bool, error) {
	k, err := registry.OpenKey(registry.CURRENT_USER, runKey, registry.QUERY_VALUE)
	if err != nil {
		return false, nil
	}
	defer k.Close()
	_, _, err = k.GetStringValue(valueName)
	if errors.Is(err, registry.ErrNotExist) {
		return false, nil
	}
	return err == nil, err
}

// Set writes (on) or deletes (off) the Run value.
func Set(on bool, e Entry) error {
	k, _, err := registry.CreateKey(registry.CURRENT_USER, runKey, registry.SET_VALUE)
	if err != nil {
		return err
	}
	defer k.Close()
	if !on {
		if err := k.DeleteValue(valueName); err != nil && !errors.Is(err, registry.ErrNotExist) {
			return err
		}
		return nil
	}
	parts := []string{`"` + e.Exec + `"`}
	for _, a := range e.Args {
		if strings.ContainsAny(a, " \t") {
			a = `"` + a + `"`
		}
		parts = append(parts, a)
	}
	return k.SetStringValue(valueName, strings.Join(parts, " "))
}
