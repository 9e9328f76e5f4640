//go:build !linux && !windows && !darwin

package tunnel

import (
	"errors"
	"runtime"

	"golang.zx2c4.com/wireguard/tun"
)

func tunSupported() error { return errors.New("tunnel: no TUN backend on " + runtime.GOOS) }

func platformInterfaceName(name string) string { return InterfaceName(name) }

// Privileged is false: there is no TUN backend on this OS.
func Privileged() bool { return false }

func configureInterface(tun.Device, string, Config) error { return tunSupported() }
