package tunnel

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"strconv"
	"strings"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
	"golang.zx2c4.com/wireguard/tun"
)

func tunSupported() error { return nil }

func platformInterfaceName(name string) string { return InterfaceName(name) }

// Privileged reports whether this process can create TUN interfaces and
// change routes: effective uid 0 or CAP_NET_ADMIN.
func Privileged() bool {
	if os.Geteuid() == 0 {
		return true
	}
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return false
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "CapEff:"); ok {
			caps, err := strconv.ParseUint(strings.TrimSpace(v), 16, 64)
			return err == nil && caps&(1<<unix.CAP_NET_ADMIN) != 0
		}
	}
	return false
}

func prefixIPNet(p netip.Prefix) *net.IPNet {
	return &net.IPNet{IP: p.Addr().AsSlice(), Mask: net.CIDRMask(p.Bits(), p.Addr().BitLen())}
}

// configureInterface gives the interface its address, brings it up and
// routes the allowed IPs to it.
func configureInterface(_ tun.Device, ifname string, cfg Config) error {
	link, err := netlink.LinkByName(ifname)
	if err != nil {
		return err
	}
	if err := netlink.AddrAdd(link, &netlink.Addr{IPNet: prefixIPNet(cfg.Address)}); err != nil {
		return fmt.Errorf("address %s: %w", cfg.Address, err)
	}
	if err := netlink.LinkSetUp(link); err != nil {
		return fmt.Errorf("link up: %w", err)
	}
	index := link.Attrs().Index
	for _, p := range cfg.AllowedIPs {
		p = p.Masked()
		r := &netlink.Route{LinkIndex: index, Dst: prefixIPNet(p), Scope: netlink.SCOPE_LINK}
		if p.Addr().Is4() == cfg.Address.Addr().Is4() {
			r.Src = cfg.Address.Addr().AsSlice()
		}
		err := netlink.RouteAdd(r)
		if errors.Is(err, unix.EEXIST) {
			// Fine if it is ours (the address's own subnet route).
			rs, gerr := netlink.RouteGet(p.Addr().AsSlice())
			if gerr == nil && len(rs) > 0 && rs[0].LinkIndex == index {
				continue
			}
			return fmt.Errorf("route %s: already routed through another interface", p)
		}
		if err != nil {
			return fmt.Errorf("route %s: %w", p, err)
		}
	}
	return nil
}
