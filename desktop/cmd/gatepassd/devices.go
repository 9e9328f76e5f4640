package main

// gatepassd devices [--json]
// gatepassd devices remove ID|NAME [--yes]
//
// The list shows every device of the signed-in user (name, created, last
// seen, id), this machine's marked "* this device". Removal takes an id,
// or a name no other device has; on a terminal it asks first (unless
// --yes), and says when the device is this one: removing it signs this
// machine out (the next sign-in registers it again with a new key pair).
// Off a terminal (scripts) it removes without asking. Device names are
// the backend's cleaned text; anything unprintable is still shown quoted,
// so a name cannot drive the terminal.

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
	"unicode"

	"github.com/mattn/go-isatty"

	"gatepass.dev/desktop/internal/localapi"
	"gatepass.dev/shared/api"
	"gatepass.dev/shared/humantime"
)

func cmdDevices(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) > 0 && args[0] == "remove" {
		return cmdRemoveDevice(ctx, args[1:], stdin, stdout, stderr)
	}
	fs, socket := clientFlags("devices")
	asJSON := fs.Bool("json", false, "print the devices as JSON")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usageErr("unexpected argument %q (to remove a device: gatepassd devices remove ID|NAME)", pos[0])
	}
	ctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	list, err := localapi.NewClient(*socket).Devices(ctx)
	if err != nil {
		return err
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(list)
	}
	printDevices(stdout, list)
	return nil
}

// printDevices prints the devices as a table for people.
func printDevices(w io.Writer, list localapi.Devices) {
	if len(list.Devices) == 0 {
		fmt.Fprintln(w, "No devices.")
		return
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tCREATED\tLAST SEEN\tID\t")
	for _, d := range list.Devices {
		mark := ""
		if d.Current {
			mark = "* this device"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", printable(d.Name), created(d), lastSeen(d, list.ServerTime), printable(d.ID), mark)
	}
	tw.Flush()
}

func created(d api.Device) string { return d.CreatedAt.Local().Format("2006-01-02 15:04") }

// lastSeen is "never", "just now", "5m ago", … on the server's clock.
func lastSeen(d api.Device, now time.Time) string {
	if d.LastSeenAt == nil {
		return "never"
	}
	return humantime.Ago(now.Sub(*d.LastSeenAt))
}

// printable returns s as is, or quoted when it holds anything a terminal
// would not print as text.
func printable(s string) string {
	if strings.IndexFunc(s, func(r rune) bool { return !unicode.IsPrint(r) && r != ' ' }) >= 0 {
		return strconv.Quote(s)
	}
	return s
}

func cmdRemoveDevice(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs, socket := clientFlags("devices remove")
	yes := fs.Bool("yes", false, "remove without asking")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usageErr("name one device: its id or its name (see gatepassd devices)")
	}
	ctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	c := localapi.NewClient(*socket)
	list, err := c.Devices(ctx)
	if err != nil {
		return err
	}
	dev, err := list.Find(pos[0])
	if err != nil {
		return err
	}
	name := printable(dev.Name)
	if !*yes && terminal(stdin) {
		q := fmt.Sprintf("Remove the device %s (%s, created %s, last seen %s)?", name, printable(dev.ID), created(dev), lastSeen(dev, list.ServerTime))
		if dev.Current {
			q += "\nThis is THIS device: removing it signs this machine out of Gatepass and its tunnels go down."
		}
		fmt.Fprint(stderr, q+" [y/N] ")
		ok, err := confirm(stdin)
		if err != nil {
			return err
		}
		if !ok {
			return errors.New("not removed")
		}
	}
	if _, err := c.RemoveDevice(ctx, dev.ID); err != nil {
		return err
	}
	if dev.Current {
		fmt.Fprintf(stdout, "Removed this device (%s): this machine is signed out. Signing in again registers it with a new key.\n", name)
		return nil
	}
	fmt.Fprintf(stdout, "Removed the device %s (%s).\n", name, printable(dev.ID))
	return nil
}

// terminal reports whether r is an interactive terminal.
func terminal(r io.Reader) bool {
	f, ok := r.(*os.File)
	return ok && (isatty.IsTerminal(f.Fd()) || isatty.IsCygwinTerminal(f.Fd()))
}

// confirm reads one answer line: yes only for "y" or "yes".
func confirm(r io.Reader) (bool, error) {
	line, err := bufio.NewReader(r).ReadString('\n')
	if err != nil && line == "" {
		if errors.Is(err, io.EOF) {
			return false, nil
		}
		return false, fmt.Errorf("read the answer: %w", err)
	}
	switch strings.ToLower(strings.TrimSpace(line)) {
	case "y", "yes":
		return true, nil
	}
	return false, nil
}
