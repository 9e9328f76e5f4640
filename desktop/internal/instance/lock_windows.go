//go:build windows

package instance

import (
	"errors"

	"golang.org/x/sys/windows"
)

func lock(name string) (func(), bool, error) {
	p, err := windows.UTF16PtrFromString(`Local\gatepass-` + name)
	if err != nil {
		return nil, false, err
	}
	h, err := windows.CreateMutex(nil, true, p)
	if errors.Is(err, windows.ERROR_ALREADY_EXISTS) {
		windows.CloseHandle(h)
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	return func() { windows.ReleaseMutex(h); windows.CloseHandle(h) }, true, nil
}
