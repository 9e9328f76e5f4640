package notify

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"sync"

	"github.com/godbus/dbus/v5"
)

// AppName is the application name notifications carry.
const AppName = "Gatepass"

// Desktop shows notifications through the freedesktop notification service
// on the session D-Bus (org.freedesktop.Notifications: GNOME, KDE, XFCE,
// dunst, mako…) and falls back to the notify-send command when the bus
// cannot be reached. Icon is a themed icon name or an absolute path.
type Desktop struct {
	Icon string

	mu   sync.Mutex
	conn *dbus.Conn
}

// Notify implements Notifier.
func (d *Desktop) Notify(ctx context.Context, n Notification) error {
	err := d.dbus(ctx, n)
	if err == nil {
		return nil
	}
	if path, lerr := exec.LookPath("notify-send"); lerr == nil {
		args := []string{"--app-name=" + AppName}
		if d.Icon != "" {
			args = append(args, "--icon="+d.Icon)
		}
		args = append(args, "--", n.Title, n.Body)
		if out, serr := exec.CommandContext(ctx, path, args...).CombinedOutput(); serr != nil {
			return errors.Join(err, fmt.Errorf("notify-send: %v: %s", serr, out))
		}
		return nil
	}
	return err
}

func (d *Desktop) dbus(ctx context.Context, n Notification) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.conn == nil || !d.conn.Connected() {
		c, err := dbus.SessionBusPrivate()
		if err != nil {
			return fmt.Errorf("session bus: %w", err)
		}
		if err := c.Auth(nil); err != nil {
			c.Close()
			return fmt.Errorf("session bus: %w", err)
		}
		if err := c.Hello(); err != nil {
			c.Close()
			return fmt.Errorf("session bus: %w", err)
		}
		d.conn = c
	}
	obj := d.conn.Object("org.freedesktop.Notifications", "/org/freedesktop/Notifications")
	hints := map[string]dbus.Variant{"desktop-entry": dbus.MakeVariant("gatepass")}
	if n.Kind == Ending || n.Kind == Ended || n.Kind == Denied {
		hints["urgency"] = dbus.MakeVariant(byte(1))
	}
	call := obj.CallWithContext(ctx, "org.freedesktop.Notifications.Notify", 0,
		AppName, uint32(0), d.Icon, n.Title, n.Body, []string{}, hints, int32(-1))
	if call.Err != nil {
		return fmt.Errorf("org.freedesktop.Notifications: %w", call.Err)
	}
	return nil
}

// Close releases the bus connection.
func (d *Desktop) Close() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.conn != nil {
		err := d.conn.Close()
		d.conn = nil
		return err
	}
	return nil
}
