package main

import (
	"bytes"
	"strings"
	"testing"
)

func TestRun(t *testing.T) {
	tests := []struct {
		name   string
		args   []string
		code   int
		stdout string // substring expected on stdout ("" = must be empty)
		stderr string // substring expected on stderr ("" = must be empty)
	}{
		{"no command", nil, 2, "", "usage: gatepassd run|login|status"},
		{"unknown command", []string{"frobnicate"}, 2, "", `unknown command "frobnicate"`},
		{"help", []string{"--help"}, 0, "usage: gatepassd", ""},
		{"version", []string{"version"}, 0, "gatepassd dev", ""},
		{"known command", []string{"status", "--json"}, 1, "", "gatepassd status: not implemented yet"},
		{"run", []string{"run"}, 1, "", "gatepassd run: not implemented yet"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			if code := run(tt.args, &out, &errOut); code != tt.code {
				t.Errorf("exit code = %d, want %d", code, tt.code)
			}
			check(t, "stdout", out.String(), tt.stdout)
			check(t, "stderr", errOut.String(), tt.stderr)
		})
	}
}

func check(t *testing.T, name, got, want string) {
	t.Helper()
	if want == "" {
		if got != "" {
			t.Errorf("%s = %q, want empty", name, got)
		}
		return
	}
	if !strings.Contains(got, want) {
		t.Errorf("%s = %q, want it to contain %q", name, got, want)
	}
}
