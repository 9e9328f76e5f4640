package tunnel

import (
	"fmt"
	"os"
	"os/exec"
	"strings"

	"golang.zx2c4.com/wireguard/tun"
)

func tunSupported() error { return nil }

// macOS names utun interfaces itself.
func platformInterfaceName(string) string { return "utun" }

// Privileged reports whether this process runs as root.
func Privileged() bool { return os.Geteuid() == 0 }

func run(args ...string) error {
	out, err := exec.Command(args[0], args[1:]...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	return nil
}

// configureInterface sets the utun's address and routes, as wg-quick does
// on macOS.
func configureInterface(_ tun.Device, ifname string, cfg Config) error {
	a := cfg.Address
	if a.Addr().Is4() {
		if err := run("/sbin/ifconfig", ifname, "inet", a.String(), a.Addr().String(), "alias"); err != nil {
			return err
		}
	} else if err := run("/sbin/ifconfig", ifname, "inet6", a.String(), "alias"); err != nil {
		return err
	}
	if err := run("/sbin/ifconfig", ifname, "up"); err != nil {
		return err
	}
	for _, p := range cfg.AllowedIPs {
		family := "-inet"
		if p.Addr().Is6() {
			family = "-inet6"
		}
		if err := run("/sbin/route", "-q", "-n", "add", family, p.Masked().String(), "-interface", ifname); err != nil {
			return err
		}
	}
	return nil
}
