// Command gatepassd is the Gatepass agent: it will hold the login token and the
// device's WireGuard key, watch the backend, drive the tunnel and serve the
// LocalAPI to the window and the tray (see DESIGN.md, "Operating contract").
//
// For now it is a placeholder: every command reports that it is not
// implemented yet (exit 1); an unknown or missing command prints the usage
// (exit 2). It is pure Go (no cgo) so it cross-compiles for Linux, Windows and macOS.
package main

import (
	"fmt"
	"io"
	"os"
	"strings"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

// commands are the sub-commands of the operating contract, in usage order.
var commands = []string{"run", "login", "status", "request", "cancel", "connect", "disconnect", "release", "logout"}

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func usage(w io.Writer) {
	fmt.Fprintf(w, "usage: gatepassd %s [flags]\n", strings.Join(commands, "|"))
	fmt.Fprintln(w, "       gatepassd version")
	fmt.Fprintf(w, "gatepassd %s: not implemented yet\n", strings.Join(commands, "|"))
}

// run executes one invocation and returns the process exit code.
func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		usage(stderr)
		return 2
	}
	switch cmd := args[0]; cmd {
	case "-h", "-help", "--help", "help":
		usage(stdout)
		return 0
	case "version", "--version":
		fmt.Fprintln(stdout, "gatepassd", version)
		return 0
	default:
		for _, c := range commands {
			if cmd == c {
				fmt.Fprintf(stderr, "gatepassd %s: not implemented yet\n", cmd)
				return 1
			}
		}
		fmt.Fprintf(stderr, "gatepassd: unknown command %q\n", cmd)
		usage(stderr)
		return 2
	}
}
