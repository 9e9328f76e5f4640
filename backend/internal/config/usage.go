package config

import (
	"fmt"
	"io"
	"strings"
)

// Usage prints the flags of gatepass-server with their environment
// variables, config-file keys and defaults (for gatepass-server --help).
func Usage(w io.Writer) {
	var b strings.Builder
	b.WriteString(`Usage: gatepass-server [flags]

Gatepass server: just-in-time network access over WireGuard.

Each flag can also be set by the environment variable shown, or by the key
shown in the JSON config file (--config). A flag beats the environment, which
beats the file, which beats the default. Durations are Go durations (90m, 12h)
or start with days (7d, 1d12h).

Flags:
`)
	for _, s := range settings {
		head := "  --" + s.flag
		if s.arg != "" {
			head += " " + s.arg
		}
		fmt.Fprintf(&b, "%s\n", head)
		fmt.Fprintf(&b, "        %s", s.usage)
		if s.deflt != "" {
			fmt.Fprintf(&b, " (default %s)", s.deflt)
		}
		b.WriteString("\n")
		where := "env " + s.env
		if s.key != "" {
			where += ", file key " + s.key
		}
		fmt.Fprintf(&b, "        [%s]\n", where)
	}
	fmt.Fprintf(&b, `  -h, --help
        show this help

Environment only (read when the database is empty, to create the first admin;
without them an admin is generated and its password printed once):
  %s     the first admin's email address
  %s  the first admin's password
`, EnvAdminEmail, EnvAdminPassword)
	io.WriteString(w, b.String())
}
