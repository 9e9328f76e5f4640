package config

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gatepass.dev/shared/api"
	"gatepass.dev/shared/humantime"
)

// env returns a getenv backed by a map.
func env(kv map[string]string) func(string) string {
	return func(k string) string { return kv[k] }
}

var noEnv = env(nil)

func writeFile(t *testing.T, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "gatepass.json")
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func mustLoad(t *testing.T, args []string, getenv func(string) string) *Config {
	t.Helper()
	c, err := Load(args, getenv)
	if err != nil {
		t.Fatalf("Load(%q): %v", args, err)
	}
	return c
}

func loadErr(t *testing.T, args []string, getenv func(string) string) error {
	t.Helper()
	c, err := Load(args, getenv)
	if err == nil {
		t.Fatalf("Load(%q) = %v, want an error", args, c)
	}
	if c != nil {
		t.Errorf("Load(%q) returned a config with the error", args)
	}
	return err
}

func TestDefaults(t *testing.T) {
	c := mustLoad(t, nil, noEnv)
	want := Config{
		Listen:     "127.0.0.1:8080",
		DataDir:    "./data",
		PublicURL:  "http://127.0.0.1:8080",
		SMTP:       SMTP{TLS: api.SMTPTLSNone},
		PendingTTL: 7 * 24 * time.Hour,
		LogLevel:   "info",
		Gateway:    "netstack",

		GatewayLease: time.Minute,
	}
	if *c != want {
		t.Errorf("defaults:\n got %#v\nwant %#v", *c, want)
	}
	if c.SMTP.Enabled() {
		t.Error("SMTP enabled without a host")
	}
	if c.SlogLevel() != slog.LevelInfo {
		t.Errorf("SlogLevel = %v", c.SlogLevel())
	}
}

func TestSMTPDefaultsWithHost(t *testing.T) {
	c := mustLoad(t, []string{"--smtp-host", "smtp.example.com", "--smtp-from", "gp@example.com"}, noEnv)
	if c.SMTP.Port != 587 || c.SMTP.TLS != api.SMTPTLSStartTLS {
		t.Errorf("port %d tls %q, want 587 starttls", c.SMTP.Port, c.SMTP.TLS)
	}
	c = mustLoad(t, []string{"--smtp-host", "smtp.example.com", "--smtp-from", "gp@example.com", "--smtp-tls", "tls"}, noEnv)
	if c.SMTP.Port != 465 || c.SMTP.TLS != api.SMTPTLSTLS {
		t.Errorf("port %d tls %q, want 465 tls", c.SMTP.Port, c.SMTP.TLS)
	}
	c = mustLoad(t, []string{"--smtp-host", "smtp.example.com", "--smtp-from", "gp@example.com", "--smtp-tls", "none", "--smtp-port", "25"}, noEnv)
	if c.SMTP.Port != 25 || c.SMTP.TLS != api.SMTPTLSNone {
		t.Errorf("port %d tls %q, want 25 none", c.SMTP.Port, c.SMTP.TLS)
	}
}

func TestEnv(t *testing.T) {
	c := mustLoad(t, nil, env(map[string]string{
		"GATEPASS_LISTEN":         "0.0.0.0:9000",
		"GATEPASS_DATA_DIR":       "/var/lib/gatepass",
		"GATEPASS_PUBLIC_URL":     "https://gp.example.com/",
		"GATEPASS_SMTP_HOST":      "smtp.example.com",
		"GATEPASS_SMTP_PORT":      "2525",
		"GATEPASS_SMTP_USERNAME":  "mailer",
		"GATEPASS_SMTP_PASSWORD":  "s3cret",
		"GATEPASS_SMTP_FROM":      "Gatepass <gp@example.com>",
		"GATEPASS_SMTP_TLS":       "TLS",
		"GATEPASS_DEMO":           "1",
		"GATEPASS_PENDING_TTL":    "36h",
		"GATEPASS_GATEWAY_LEASE":  "90s",
		"GATEPASS_LOG_LEVEL":      "DEBUG",
		"GATEPASS_ADMIN_EMAIL":    "admin@example.com",
		"GATEPASS_ADMIN_PASSWORD": "hunter2",
	}))
	want := Config{
		Listen:    "0.0.0.0:9000",
		DataDir:   "/var/lib/gatepass",
		PublicURL: "https://gp.example.com",
		SMTP: SMTP{Host: "smtp.example.com", Port: 2525, Username: "mailer", Password: "s3cret",
			From: "Gatepass <gp@example.com>", TLS: api.SMTPTLSTLS},
		Demo:          true,
		PendingTTL:    36 * time.Hour,
		LogLevel:      "debug",
		Gateway:       "netstack",
		GatewayLease:  90 * time.Second,
		AdminEmail:    "admin@example.com",
		AdminPassword: "hunter2",
	}
	if *c != want {
		t.Errorf("env:\n got %+v\nwant %+v", *c, want)
	}
	if c.SlogLevel() != slog.LevelDebug {
		t.Errorf("SlogLevel = %v", c.SlogLevel())
	}
}

func TestNilGetenvUsesProcessEnv(t *testing.T) {
	t.Setenv("GATEPASS_LOG_LEVEL", "warn")
	c := mustLoad(t, nil, nil)
	if c.LogLevel != "warn" {
		t.Errorf("LogLevel = %q, want warn", c.LogLevel)
	}
}

const fullFile = `{
  "listen": ":7000",
  "data_dir": "/srv/gp",
  "database": "postgres://gp:filedbsecret@db.example.com:5432/gatepass",
  "public_url": "https://file.example.com/gp/",
  "smtp": {
    "host": "mail.example.com",
    "port": 465,
    "username": "u",
    "password": "filesecret",
    "from": "gp@example.com",
    "tls": "tls",
    "allow_insecure_auth": true
  },
  "demo": true,
  "pending_ttl": "2d",
  "log_level": "error",
  "gateway": "netstack",
  "gateway_lease": "45s",
  "metrics_listen": "127.0.0.1:9090",
  "metrics_token": "file-metrics-token-0123"
}`

func TestFile(t *testing.T) {
	path := writeFile(t, fullFile)
	c := mustLoad(t, []string{"--config", path}, noEnv)
	want := Config{
		Listen:    ":7000",
		DataDir:   "/srv/gp",
		Database:  "postgres://gp:filedbsecret@db.example.com:5432/gatepass",
		PublicURL: "https://file.example.com/gp",
		SMTP: SMTP{Host: "mail.example.com", Port: 465, Username: "u", Password: "filesecret",
			From: "gp@example.com", TLS: api.SMTPTLSTLS, AllowInsecureAuth: true},
		Demo:       true,
		PendingTTL: 48 * time.Hour,
		LogLevel:   "error",
		Gateway:    "netstack",
		ConfigFile: path,

		GatewayLease:  45 * time.Second,
		MetricsListen: "127.0.0.1:9090",
		MetricsToken:  "file-metrics-token-0123",
	}
	if *c != want {
		t.Errorf("file:\n got %+v\nwant %+v", *c, want)
	}

	// GATEPASS_CONFIG names the file too.
	c = mustLoad(t, nil, env(map[string]string{"GATEPASS_CONFIG": path}))
	if c.Listen != ":7000" || c.ConfigFile != path {
		t.Errorf("GATEPASS_CONFIG: listen %q file %q", c.Listen, c.ConfigFile)
	}

	// A partial file keeps the other defaults.
	c = mustLoad(t, []string{"--config", writeFile(t, `{"log_level":"warn"}`)}, noEnv)
	if c.LogLevel != "warn" || c.Listen != DefaultListen || c.PendingTTL != DefaultPendingTTL {
		t.Errorf("partial file: %v", c)
	}
}

func TestPrecedence(t *testing.T) {
	path := writeFile(t, `{"listen": "127.0.0.1:1111", "data_dir": "/file", "log_level": "error",
		"pending_ttl": "1h", "smtp": {"host": "file.example.com", "from": "f@example.com", "port": 2501}}`)
	otherPath := writeFile(t, `{"listen": "127.0.0.1:4444"}`)
	getenv := env(map[string]string{
		"GATEPASS_CONFIG":    otherPath, // --config beats it
		"GATEPASS_LISTEN":    "127.0.0.1:2222",
		"GATEPASS_DATA_DIR":  "/env",
		"GATEPASS_SMTP_PORT": "2502",
	})
	c := mustLoad(t, []string{"-config", path, "--listen=127.0.0.1:3333"}, getenv)

	checks := []struct{ name, got, want string }{
		{"listen (flag > env > file)", c.Listen, "127.0.0.1:3333"},
		{"data dir (env > file)", c.DataDir, "/env"},
		{"log level (file > default)", c.LogLevel, "error"},
		{"pending ttl (file)", c.PendingTTL.String(), "1h0m0s"},
		{"smtp host (file)", c.SMTP.Host, "file.example.com"},
		{"smtp port (env > file)", fmt.Sprint(c.SMTP.Port), "2502"},
		{"public url (derived from the winning listen)", c.PublicURL, "http://127.0.0.1:3333"},
		{"config file (flag > env)", c.ConfigFile, path},
	}
	for _, ch := range checks {
		if ch.got != ch.want {
			t.Errorf("%s: got %q, want %q", ch.name, ch.got, ch.want)
		}
	}

	// A flag that is not given does not override, even a bool one.
	c = mustLoad(t, nil, env(map[string]string{"GATEPASS_DEMO": "true"}))
	if !c.Demo {
		t.Error("GATEPASS_DEMO=true lost")
	}
	c = mustLoad(t, []string{"--demo=false"}, env(map[string]string{"GATEPASS_DEMO": "true"}))
	if c.Demo {
		t.Error("--demo=false did not beat GATEPASS_DEMO=true")
	}
	c = mustLoad(t, []string{"--demo"}, noEnv)
	if !c.Demo {
		t.Error("--demo did not turn demo on")
	}

	// An explicit empty --smtp-host turns off the host from the file.
	c = mustLoad(t, []string{"--config", path, "--smtp-host="}, noEnv)
	if c.SMTP.Host != "" {
		t.Errorf("--smtp-host= kept %q", c.SMTP.Host)
	}
}

func TestPublicURLDefault(t *testing.T) {
	for listen, want := range map[string]string{
		"127.0.0.1:8080":       "http://127.0.0.1:8080",
		"0.0.0.0:80":           "http://localhost:80",
		"[::]:8443":            "http://localhost:8443",
		":9000":                "http://localhost:9000",
		"[::1]:8080":           "http://[::1]:8080",
		"gatepass.internal:81": "http://gatepass.internal:81",
	} {
		c := mustLoad(t, []string{"--listen", listen}, noEnv)
		if c.PublicURL != want {
			t.Errorf("listen %q: public URL %q, want %q", listen, c.PublicURL, want)
		}
		if got := DefaultPublicURL(listen); got != want {
			t.Errorf("DefaultPublicURL(%q) = %q, want %q", listen, got, want)
		}
	}
	c := mustLoad(t, []string{"--listen", "0.0.0.0:80", "--public-url", "https://gp.example.com//"}, noEnv)
	if c.PublicURL != "https://gp.example.com" {
		t.Errorf("explicit public URL = %q", c.PublicURL)
	}
}

func TestDuration(t *testing.T) {
	for in, want := range map[string]time.Duration{
		"7d":     7 * 24 * time.Hour,
		"1d12h":  36 * time.Hour,
		"0d30m":  30 * time.Minute,
		"90m":    90 * time.Minute,
		"365d":   365 * 24 * time.Hour,
		" 2d ":   48 * time.Hour,
		"-1d":    -24 * time.Hour,
		"1h30m":  90 * time.Minute,
		"1d1s":   24*time.Hour + time.Second,
		"10d0s":  240 * time.Hour,
		"3d2h1m": 74*time.Hour + time.Minute,
		"1.5d":   36 * time.Hour,
		"1d 2h":  26 * time.Hour,
		"2w":     14 * 24 * time.Hour,
	} {
		got, err := humantime.Parse(in)
		if err != nil || got != want {
			t.Errorf("humantime.Parse(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "d", "7", "7days", "d1h", "1d-1h", "x", "99999999999d"} {
		if got, err := humantime.Parse(in); err == nil {
			t.Errorf("humantime.Parse(%q) = %v, want an error", in, got)
		}
	}
	for d, want := range map[time.Duration]string{
		7 * 24 * time.Hour: "7d",
		36 * time.Hour:     "1d 12h",
		90 * time.Minute:   "1h 30m",
	} {
		if got := humantime.Span(d); got != want {
			t.Errorf("humantime.Span(%v) = %q, want %q", d, got, want)
		}
	}

	c := mustLoad(t, []string{"--pending-ttl", "7d"}, noEnv)
	if c.PendingTTL != 7*24*time.Hour {
		t.Errorf("--pending-ttl 7d = %v", c.PendingTTL)
	}
	c = mustLoad(t, nil, env(map[string]string{"GATEPASS_PENDING_TTL": "3d"}))
	if c.PendingTTL != 3*24*time.Hour {
		t.Errorf("GATEPASS_PENDING_TTL=3d = %v", c.PendingTTL)
	}
}

// smtpOK is a valid SMTP setup for tests that break one thing.
var smtpOK = []string{"--smtp-host", "smtp.example.com", "--smtp-from", "gp@example.com"}

func TestValidationErrors(t *testing.T) {
	tests := []struct {
		name string
		args []string
		env  map[string]string
		want string // the whole message
	}{
		{"listen not host:port", []string{"--listen", "localhost"}, nil,
			`--listen (GATEPASS_LISTEN): "localhost" is not host:port (e.g. 127.0.0.1:8080 or :8080)`},
		{"listen bad port", []string{"--listen", "127.0.0.1:99999"}, nil,
			`--listen (GATEPASS_LISTEN): "127.0.0.1:99999" has an invalid port (want 1-65535)`},
		{"listen port 0", nil, map[string]string{"GATEPASS_LISTEN": ":0"}, `--listen (GATEPASS_LISTEN): ":0" has an invalid port (want 1-65535)`},
		{"listen port name", []string{"--listen", ":http"}, nil, `--listen (GATEPASS_LISTEN): ":http" has an invalid port (want 1-65535)`},
		{"public url scheme", []string{"--public-url", "ftp://x.example.com"}, nil,
			`--public-url (GATEPASS_PUBLIC_URL): "ftp://x.example.com" must start with http:// or https://`},
		{"public url no scheme", []string{"--public-url", "gp.example.com"}, nil,
			`--public-url (GATEPASS_PUBLIC_URL): "gp.example.com" must start with http:// or https://`},
		{"public url no host", []string{"--public-url", "https:///path"}, nil,
			`--public-url (GATEPASS_PUBLIC_URL): "https:///path" has no host`},
		{"public url query", []string{"--public-url", "https://gp.example.com/?a=b"}, nil,
			`--public-url (GATEPASS_PUBLIC_URL): "https://gp.example.com/?a=b" must not have a query (?…)`},
		{"public url fragment", []string{"--public-url", "https://gp.example.com/#top"}, nil,
			`--public-url (GATEPASS_PUBLIC_URL): "https://gp.example.com/#top" must not have a fragment (#…)`},
		{"public url unparsable", []string{"--public-url", "http://gp example.com"}, nil,
			`--public-url (GATEPASS_PUBLIC_URL): "http://gp example.com" is not a valid URL`},
		{"public url bad port", []string{"--public-url", "http://gp.example.com:70000"}, nil,
			`--public-url (GATEPASS_PUBLIC_URL): "http://gp.example.com:70000" has an invalid port (want 1-65535)`},
		{"public url user", []string{"--public-url", "https://bob@gp.example.com"}, nil,
			`--public-url (GATEPASS_PUBLIC_URL): "https://bob@gp.example.com" must not contain a user name or password`},
		{"smtp port not a number", smtpOK, map[string]string{"GATEPASS_SMTP_PORT": "abc"},
			`--smtp-port (GATEPASS_SMTP_PORT): "abc" is not a port number`},
		{"smtp port range", append([]string{"--smtp-port", "70000"}, smtpOK...), nil,
			`--smtp-port (GATEPASS_SMTP_PORT): 70000 is not a port number (want 1-65535)`},
		{"smtp port zero", append([]string{"--smtp-port", "0"}, smtpOK...), nil,
			`--smtp-port (GATEPASS_SMTP_PORT): 0 is not a port number (want 1-65535)`},
		{"smtp from missing", []string{"--smtp-host", "smtp.example.com"}, nil,
			`--smtp-from (GATEPASS_SMTP_FROM): is required when --smtp-host is set`},
		{"smtp from invalid", []string{"--smtp-host", "smtp.example.com", "--smtp-from", "not-an-address"}, nil,
			`--smtp-from (GATEPASS_SMTP_FROM): "not-an-address" is not an email address`},
		{"smtp host with port", []string{"--smtp-host", "smtp.example.com:25", "--smtp-from", "gp@example.com"}, nil,
			`--smtp-host (GATEPASS_SMTP_HOST): "smtp.example.com:25" includes a port; give it with --smtp-port`},
		{"smtp tls", append([]string{"--smtp-tls", "ssl"}, smtpOK...), nil,
			`--smtp-tls (GATEPASS_SMTP_TLS): "ssl" is not one of none, starttls, tls`},
		{"smtp tls without host", nil, map[string]string{"GATEPASS_SMTP_TLS": "yes"},
			`--smtp-tls (GATEPASS_SMTP_TLS): "yes" is not one of none, starttls, tls`},
		{"demo", nil, map[string]string{"GATEPASS_DEMO": "yes"},
			`--demo (GATEPASS_DEMO): "yes" is not a boolean (want true, false, 1 or 0)`},
		{"demo flag", []string{"--demo=maybe"}, nil,
			`--demo (GATEPASS_DEMO): "maybe" is not a boolean (want true, false, 1 or 0)`},
		{"pending ttl syntax", []string{"--pending-ttl", "a week"}, nil,
			`--pending-ttl (GATEPASS_PENDING_TTL): "a week" is not a duration (e.g. 90m, 12h, 7d)`},
		{"pending ttl too short", []string{"--pending-ttl", "30s"}, nil,
			`--pending-ttl (GATEPASS_PENDING_TTL): 30s is out of range (want 1m to 365d)`},
		{"pending ttl too long", []string{"--pending-ttl", "366d"}, nil,
			`--pending-ttl (GATEPASS_PENDING_TTL): 366d is out of range (want 1m to 365d)`},
		{"pending ttl negative", []string{"--pending-ttl", "-1h"}, nil,
			`--pending-ttl (GATEPASS_PENDING_TTL): must be positive (want 1m to 365d)`},
		{"log level", nil, map[string]string{"GATEPASS_LOG_LEVEL": "verbose"},
			`--log-level (GATEPASS_LOG_LEVEL): "verbose" is not one of debug, info, warn, error`},
		{"admin email", nil, map[string]string{"GATEPASS_ADMIN_EMAIL": "admin"},
			`GATEPASS_ADMIN_EMAIL: "admin" is not a plain email address (e.g. admin@example.com)`},
		{"admin password alone", nil, map[string]string{"GATEPASS_ADMIN_PASSWORD": "pw"},
			`GATEPASS_ADMIN_PASSWORD is set but GATEPASS_ADMIN_EMAIL is not`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := loadErr(t, tt.args, env(tt.env))
			if err.Error() != tt.want {
				t.Errorf("error:\n got %s\nwant %s", err, tt.want)
			}
		})
	}
}

func TestValidateDirect(t *testing.T) {
	c := mustLoad(t, nil, noEnv)
	c.DataDir = ""
	c.PublicURL = "https://gp.example.com///"
	err := c.Validate()
	if err == nil || err.Error() != "--data-dir (GATEPASS_DATA_DIR): must not be empty" {
		t.Errorf("empty data dir: %v", err)
	}
	if c.PublicURL != "https://gp.example.com" {
		t.Errorf("Validate did not trim the public URL: %q", c.PublicURL)
	}

	c = mustLoad(t, nil, noEnv)
	c.PublicURL = ""
	if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "--public-url (GATEPASS_PUBLIC_URL): must not be empty") {
		t.Errorf("empty public URL: %v", err)
	}

	var zero Config
	err = zero.Validate()
	for _, want := range []string{"--listen", "--data-dir", "--smtp-tls", "--pending-ttl", "--log-level"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("zero Config: %v, want a %s problem", err, want)
		}
	}
	// An invalid listen address is reported once, not again as an empty public URL.
	if strings.Contains(err.Error(), "--public-url") {
		t.Errorf("zero Config reports the derived public URL: %v", err)
	}
}

func TestMultipleErrors(t *testing.T) {
	err := loadErr(t,
		[]string{"--listen", "nope", "--smtp-host", "smtp.example.com", "--pending-ttl", "soon", "--log-level", "loud"},
		env(map[string]string{"GATEPASS_SMTP_PORT": "abc", "GATEPASS_SMTP_TLS": "ssl", "GATEPASS_PUBLIC_URL": "ftp://x"}))
	lines := strings.Split(err.Error(), "\n")
	wantPrefixes := []string{
		"--smtp-port (GATEPASS_SMTP_PORT): \"abc\" is not a port number",
		"--pending-ttl (GATEPASS_PENDING_TTL):",
		"--listen (GATEPASS_LISTEN):",
		"--public-url (GATEPASS_PUBLIC_URL):",
		"--smtp-from (GATEPASS_SMTP_FROM):",
		"--smtp-tls (GATEPASS_SMTP_TLS):",
		"--log-level (GATEPASS_LOG_LEVEL):",
	}
	if len(lines) != len(wantPrefixes) {
		t.Fatalf("got %d problems, want %d:\n%s", len(lines), len(wantPrefixes), err)
	}
	for i, p := range wantPrefixes {
		if !strings.HasPrefix(lines[i], p) {
			t.Errorf("problem %d = %q, want prefix %q", i, lines[i], p)
		}
	}
	// errors.Join: each problem is a separate error.
	if u, ok := err.(interface{ Unwrap() []error }); !ok || len(u.Unwrap()) < 2 {
		t.Errorf("error %T does not unwrap to several errors", err)
	}
}

func TestFileErrors(t *testing.T) {
	path := writeFile(t, `{"listen": ":8080", "smtp": {"host": "h", "passwd": "x"}}`)
	err := loadErr(t, []string{"--config", path}, noEnv)
	if !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), `unknown field "passwd"`) {
		t.Errorf("unknown nested key: %v", err)
	}

	path = writeFile(t, `{"listen": ":8080", "admin_password": "hunter2"}`)
	err = loadErr(t, nil, env(map[string]string{"GATEPASS_CONFIG": path}))
	if !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), `unknown field "admin_password"`) {
		t.Errorf("unknown key: %v", err)
	}
	if strings.Contains(err.Error(), "hunter2") {
		t.Errorf("error shows a secret: %v", err)
	}

	missing := filepath.Join(t.TempDir(), "missing.json")
	err = loadErr(t, []string{"--config", missing}, noEnv)
	if !strings.Contains(err.Error(), missing) || !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}

	path = writeFile(t, "{\n  \"smtp\": {\"password\": \"hunter2\",}\n}")
	err = loadErr(t, []string{"--config", path}, noEnv)
	if !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "line 2") || strings.Contains(err.Error(), "hunter2") {
		t.Errorf("syntax error: %v", err)
	}

	path = writeFile(t, `{"smtp": {"port": "587"}}`)
	err = loadErr(t, []string{"--config", path}, noEnv)
	if !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "smtp.port") {
		t.Errorf("type error: %v", err)
	}

	path = writeFile(t, `{"listen": ":8080"} {"listen": ":9090"}`)
	err = loadErr(t, []string{"--config", path}, noEnv)
	if !strings.Contains(err.Error(), "after the JSON object") {
		t.Errorf("trailing data: %v", err)
	}

	// A bad value from the file says where it came from.
	path = writeFile(t, `{"pending_ttl": "forever", "log_level": "loud"}`)
	err = loadErr(t, []string{"--config", path}, noEnv)
	for _, want := range []string{
		`--pending-ttl (GATEPASS_PENDING_TTL): "forever" is not a duration (e.g. 90m, 12h, 7d) (set by "pending_ttl" in ` + path + `)`,
		`--log-level (GATEPASS_LOG_LEVEL): "loud" is not one of debug, info, warn, error (set by "log_level" in ` + path + `)`,
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("file value error:\n%v\nwant %s", err, want)
		}
	}
}

func TestFlagErrors(t *testing.T) {
	for _, args := range [][]string{{"-h"}, {"--help"}, {"-help"}} {
		if _, err := Load(args, noEnv); err != flag.ErrHelp {
			t.Errorf("Load(%q) error = %v, want flag.ErrHelp", args, err)
		}
	}
	if _, err := Load([]string{"--nope"}, noEnv); err == nil || !strings.Contains(err.Error(), "nope") {
		t.Errorf("unknown flag: %v", err)
	}
	if _, err := Load([]string{"--listen"}, noEnv); err == nil || !strings.Contains(err.Error(), "listen") {
		t.Errorf("missing value: %v", err)
	}
	if _, err := Load([]string{"serve"}, noEnv); err == nil || !strings.Contains(err.Error(), `"serve"`) {
		t.Errorf("positional argument: %v", err)
	}
}

func TestSecretsNeverShown(t *testing.T) {
	const smtpPW, adminPW = "smtp-Pa55word", "admin-Pa55word"
	getenv := env(map[string]string{
		"GATEPASS_SMTP_PASSWORD":  smtpPW,
		"GATEPASS_ADMIN_PASSWORD": adminPW,
		"GATEPASS_ADMIN_EMAIL":    "admin@example.com",
	})
	c := mustLoad(t, append([]string{"--smtp-username", "mailer"}, smtpOK...), getenv)
	if c.SMTP.Password != smtpPW || c.AdminPassword != adminPW {
		t.Fatal("passwords not loaded")
	}

	var logBuf, jsonBuf bytes.Buffer
	slog.New(slog.NewTextHandler(&logBuf, nil)).Info("config", "config", c)
	slog.New(slog.NewJSONHandler(&jsonBuf, nil)).Info("config", "config", *c, "smtp", c.SMTP)
	outputs := map[string]string{
		"String":     c.String(),
		"%v":         fmt.Sprintf("%v", c),
		"%+v":        fmt.Sprintf("%+v", *c),
		"%#v":        fmt.Sprintf("%#v", *c),
		"%s":         fmt.Sprintf("%s", c),
		"SMTP %+v":   fmt.Sprintf("%+v", c.SMTP),
		"SMTP %#v":   fmt.Sprintf("%#v", c.SMTP),
		"slog text":  logBuf.String(),
		"slog json":  jsonBuf.String(),
		"LogValue":   c.LogValue().Resolve().String(),
		"Usage":      usageText(),
		"Validate()": fmt.Sprint(c.Validate()),
	}
	for name, out := range outputs {
		if strings.Contains(out, smtpPW) || strings.Contains(out, adminPW) {
			t.Errorf("%s shows a password: %s", name, out)
		}
	}
	for _, name := range []string{"String", "%+v", "%#v", "slog text"} {
		if strings.Count(outputs[name], "[redacted]") != 2 {
			t.Errorf("%s does not show both passwords as [redacted]: %s", name, outputs[name])
		}
	}
	for _, want := range []string{"listen=127.0.0.1:8080", "smtp.host=smtp.example.com", "smtp.port=587",
		"smtp.username=mailer", "smtp.password=[redacted]", "smtp.tls=starttls", "pending_ttl=7d",
		"admin_email=admin@example.com", "admin_password=[redacted]", "log_level=info", "demo=false"} {
		if !strings.Contains(outputs["String"], want) {
			t.Errorf("String() = %s, missing %s", outputs["String"], want)
		}
	}
	if !strings.Contains(jsonBuf.String(), `"password":"[redacted]"`) || !strings.Contains(jsonBuf.String(), `"admin_password":"[redacted]"`) {
		t.Errorf("slog json: %s", jsonBuf.String())
	}

	// Unset passwords show as empty.
	c = mustLoad(t, nil, noEnv)
	if s := c.String(); strings.Contains(s, "[redacted]") || !strings.Contains(s, `smtp.password=""`) || !strings.Contains(s, `admin_password=""`) {
		t.Errorf("String() with no passwords = %s", s)
	}

	// Errors: a problem next to a secret does not show it, in any format.
	getenv = env(map[string]string{
		"GATEPASS_SMTP_HOST":      "smtp.example.com",
		"GATEPASS_SMTP_PASSWORD":  smtpPW,
		"GATEPASS_SMTP_PORT":      "abc",
		"GATEPASS_ADMIN_PASSWORD": adminPW,
		"GATEPASS_ADMIN_EMAIL":    "not an address",
		"GATEPASS_PUBLIC_URL":     "ftp://user:" + smtpPW + "@gp.example.com",
	})
	_, err := Load(nil, getenv)
	if err == nil {
		t.Fatal("no error")
	}
	for _, f := range []string{"%v", "%+v", "%#v", "%s", "%q"} {
		if out := fmt.Sprintf(f, err); strings.Contains(out, smtpPW) || strings.Contains(out, adminPW) {
			t.Errorf("error formatted with %s shows a password: %s", f, out)
		}
	}
	path := writeFile(t, `{"smtp": {"host": "smtp.example.com", "password": "`+smtpPW+`", "port": 0}, "bogus": 1}`)
	_, err = Load([]string{"--config", path}, noEnv)
	if err == nil || strings.Contains(fmt.Sprintf("%+v", err), smtpPW) {
		t.Errorf("file error shows a password: %+v", err)
	}
	// An unparsable URL with a password in it is not echoed.
	_, err = Load([]string{"--public-url", "http://u:" + smtpPW + "@gp example.com"}, noEnv)
	if err == nil || strings.Contains(err.Error(), smtpPW) {
		t.Errorf("bad URL error shows a password: %v", err)
	}
}

func usageText() string {
	var b strings.Builder
	Usage(&b)
	return b.String()
}

func TestUsage(t *testing.T) {
	out := usageText()
	for _, s := range settings {
		if !strings.Contains(out, "--"+s.flag) || !strings.Contains(out, s.env) {
			t.Errorf("usage misses --%s / %s", s.flag, s.env)
		}
		if s.key != "" && !strings.Contains(out, s.key) {
			t.Errorf("usage misses file key %s", s.key)
		}
	}
	for _, want := range []string{"127.0.0.1:8080", "./data", "7d", "GATEPASS_ADMIN_EMAIL", "GATEPASS_ADMIN_PASSWORD", "--help"} {
		if !strings.Contains(out, want) {
			t.Errorf("usage misses %q", want)
		}
	}
}

// TestFileKeysMatchSettings: every setting with a file key is read from
// the file, and every setting has a field (set and get).
func TestFileKeysMatchSettings(t *testing.T) {
	var keys []string
	for _, s := range settings {
		if s.get == nil || (s.flag != "config" && s.set == nil) {
			t.Errorf("--%s has no field", s.flag)
		}
		if s.key != "" {
			keys = append(keys, s.key)
		}
	}
	raw, err := readFile(writeFile(t, fullFile))
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range settings {
		if s.key == "" {
			continue
		}
		if _, ok := raw[s.flag]; !ok {
			t.Errorf("file key %s does not set --%s", s.key, s.flag)
		}
	}
	if len(raw) != len(keys) {
		t.Errorf("file sets %d settings, table has %d keys", len(raw), len(keys))
	}
}

// --gateway-lease takes a duration from 4s to 1h; anything else is refused
// with the setting named.
func TestGatewayLease(t *testing.T) {
	if c := mustLoad(t, []string{"--gateway-lease", "2m"}, noEnv); c.GatewayLease != 2*time.Minute {
		t.Errorf("--gateway-lease 2m = %v", c.GatewayLease)
	}
	for _, bad := range []string{"1s", "2h", "soon"} {
		_, err := Load([]string{"--gateway-lease", bad}, noEnv)
		if err == nil || !strings.Contains(err.Error(), "--gateway-lease") {
			t.Errorf("--gateway-lease %s: %v", bad, err)
		}
	}
}

// --database / GATEPASS_DATABASE: a postgres:// URL selects PostgreSQL,
// anything else (or nothing) SQLite in the data directory; the URL's
// password is never shown, not even when the URL is refused.
func TestDatabase(t *testing.T) {
	if c := mustLoad(t, nil, noEnv); c.UsesPostgres() || c.Database != "" {
		t.Errorf("default: database %q, postgres %v", c.Database, c.UsesPostgres())
	}
	const pg = "postgres://gp:s3cret-db-pw@db.example.com:5432/gatepass?sslmode=require"
	c := mustLoad(t, nil, env(map[string]string{"GATEPASS_DATABASE": pg}))
	if !c.UsesPostgres() || c.Database != pg {
		t.Errorf("GATEPASS_DATABASE: database %q, postgres %v", c.Database, c.UsesPostgres())
	}
	if c = mustLoad(t, []string{"--database", "postgresql://h/db"}, env(map[string]string{"GATEPASS_DATABASE": pg})); c.Database != "postgresql://h/db" || !c.UsesPostgres() {
		t.Errorf("--database beats the environment: %q", c.Database)
	}
	for _, other := range []string{"sqlite", "./gatepass.db", "mysql://h/db"} {
		if c := mustLoad(t, []string{"--database", other}, noEnv); c.UsesPostgres() {
			t.Errorf("--database %q selects PostgreSQL", other)
		}
	}
	c = mustLoad(t, []string{"--database", pg}, noEnv)
	var logged strings.Builder
	slog.New(slog.NewTextHandler(&logged, nil)).Info("config", "config", c)
	for _, shown := range []string{c.String(), logged.String()} {
		if strings.Contains(shown, "s3cret-db-pw") || !strings.Contains(shown, "db.example.com") {
			t.Errorf("shown config: %s", shown)
		}
	}
	_, err := Load([]string{"--database", "postgres://gp:s3cret-db-pw@db.example.com:5432"}, noEnv)
	if err == nil || !strings.Contains(err.Error(), "--database (GATEPASS_DATABASE)") || strings.Contains(err.Error(), "s3cret-db-pw") {
		t.Errorf("a URL without a database: %v", err)
	}
}
