package tunnel

import (
	"errors"
	"fmt"
	"net/netip"

	"golang.org/x/sys/windows"
	"golang.zx2c4.com/wireguard/tun"
	"golang.zx2c4.com/wireguard/windows/tunnel/winipcfg"
)

func tunSupported() error { return nil }

func platformInterfaceName(name string) string { return InterfaceName(name) }

// Privileged reports whether this process runs elevated (wintun and
// winipcfg need an administrator token).
func Privileged() bool {
	return windows.GetCurrentProcessToken().IsElevated()
}

// configureInterface sets the adapter's address, routes and DNS servers.
func configureInterface(tdev tun.Device, _ string, cfg Config) error {
	nt, ok := tdev.(*tun.NativeTun)
	if !ok {
		return errors.New("not a wintun adapter")
	}
	luid := winipcfg.LUID(nt.LUID())
	if err := luid.SetIPAddresses([]netip.Prefix{cfg.Address}); err != nil {
		return fmt.Errorf("address %s: %w", cfg.Address, err)
	}
	var routes []*winipcfg.RouteData
	for _, p := range cfg.AllowedIPs {
		next := netip.IPv6Unspecified()
		if p.Addr().Is4() {
			next = netip.IPv4Unspecified()
		}
		routes = append(routes, &winipcfg.RouteData{Destination: p.Masked(), NextHop: next})
	}
	if err := luid.SetRoutes(routes); err != nil {
		return fmt.Errorf("routes: %w", err)
	}
	var has4, has6 bool
	for _, a := range cfg.DNS {
		has4 = has4 || a.Is4()
		has6 = has6 || a.Is6()
	}
	if has4 {
		if err := luid.SetDNS(windows.AF_INET, cfg.DNS, nil); err != nil {
			return fmt.Errorf("dns: %w", err)
		}
	}
	if has6 {
		if err := luid.SetDNS(windows.AF_INET6, cfg.DNS, nil); err != nil {
			return fmt.Errorf("dns: %w", err)
		}
	}
	return nil
}
