package config

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"strconv"
	"strings"
	"time"

	"gatepass.dev/shared/api"
	"gatepass.dev/shared/humantime"
)

// Defaults and limits.
const (
	DefaultListen     = "127.0.0.1:8080"
	DefaultDataDir    = "./data"
	DefaultPendingTTL = 7 * 24 * time.Hour
	DefaultLogLevel   = "info"
	DefaultGateway    = "netstack"
	// DefaultGatewayLease is how long a remote gateway keeps its JIT peers
	// without a word from the server.
	DefaultGatewayLease = 60 * time.Second
	// DefaultSMTPPort is the SMTP port used when a host is set without a
	// port (submission with STARTTLS or no TLS).
	DefaultSMTPPort = 587
	// DefaultSMTPSPort is the SMTP port used when a host is set without a
	// port and --smtp-tls is "tls" (implicit TLS, "smtps").
	DefaultSMTPSPort = 465

	MinPendingTTL = time.Minute
	MaxPendingTTL = 365 * 24 * time.Hour

	MinGatewayLease = 4 * time.Second
	MaxGatewayLease = time.Hour
)

// EnvAdminEmail and EnvAdminPassword name the environment variables that
// create the first admin. They have no flag and no config-file key.
const (
	EnvAdminEmail    = "GATEPASS_ADMIN_EMAIL"
	EnvAdminPassword = "GATEPASS_ADMIN_PASSWORD"
	EnvConfig        = "GATEPASS_CONFIG"
)

const redacted = "[redacted]"

// Config holds the settings of gatepass-server.
type Config struct {
	Listen  string // host:port to serve HTTP on
	DataDir string // directory holding the database (SQLite)
	// Database is a postgres:// URL for PostgreSQL; anything else (or "")
	// means SQLite in DataDir (see UsesPostgres).
	Database   string
	PublicURL  string        // base URL used in links (emails); no trailing slash
	SMTP       SMTP          // outgoing mail; an empty Host means no SMTP
	Demo       bool          // load the demo data into an empty database
	PendingTTL time.Duration // how long a pending request waits before it expires
	LogLevel   string        // debug, info, warn or error
	Gateway    string        // netstack, tun or off
	// GatewayLease: a remote gateway that has not heard from the server
	// for this long drops every JIT peer (fail closed).
	GatewayLease time.Duration

	// MetricsListen, when set, is the host:port that serves /metrics
	// (and nothing else); the API port then does not serve it.
	MetricsListen string
	// MetricsToken, when set, is the bearer token /metrics requires. With
	// neither MetricsListen nor MetricsToken, /metrics is not served.
	MetricsToken string

	// AdminEmail and AdminPassword create the first admin on an empty
	// database. They come from GATEPASS_ADMIN_EMAIL and
	// GATEPASS_ADMIN_PASSWORD only.
	AdminEmail    string
	AdminPassword string

	// ConfigFile is the JSON config file that was read, or "".
	ConfigFile string
}

// SMTP configures outgoing mail.
type SMTP struct {
	Host     string
	Port     int // default 587 (465 with TLS "tls") when Host is set, else 0
	Username string
	Password string
	From     string      // sender address, e.g. "Gatepass <gatepass@example.com>"
	TLS      api.SMTPTLS // default "starttls" when Host is set, else "none"
	// AllowInsecureAuth lets the username and password cross a connection
	// without TLS (TLS "none"); off, such mail is refused.
	AllowInsecureAuth bool
}

// Enabled reports whether an SMTP host is configured.
func (s SMTP) Enabled() bool { return s.Host != "" }

// kind says how a setting's text is parsed, how the config file gives it
// (a JSON string, number or boolean) and whether it is shown.
type kind int

const (
	kindString kind = iota
	kindSecret      // a string never shown: "[redacted]" when set
	kindInt
	kindBool
	kindDuration
)

// setting is one setting of gatepass-server, stated once: its flag, its
// environment variable, its config-file key, its usage text and default,
// how its text is stored into a Config and how the Config shows it. The
// table drives the flags, the environment, the file, --help, String,
// LogValue and the redaction of secrets.
type setting struct {
	flag    string // without dashes
	env     string
	key     string // config-file key, dotted for nested ones; "" for none
	kind    kind
	arg     string // placeholder in the usage text
	usage   string
	deflt   string // default shown in the usage text
	noEmpty bool   // an explicit empty value means the default
	// set stores a given (trimmed, non-empty unless allowed) value; its
	// error is the problem's text, without the setting's name.
	set func(c *Config, v string) error
	// get returns the value as it is shown (before any redaction).
	get func(c Config) string
}

func str(field func(c *Config) *string) (func(*Config, string) error, func(Config) string) {
	return func(c *Config, v string) error { *field(c) = v; return nil },
		func(c Config) string { return *field(&c) }
}

func lower(field func(c *Config) *string) (func(*Config, string) error, func(Config) string) {
	return func(c *Config, v string) error { *field(c) = strings.ToLower(v); return nil },
		func(c Config) string { return *field(&c) }
}

func boolean(field func(c *Config) *bool) (func(*Config, string) error, func(Config) string) {
	return func(c *Config, v string) error {
			b, err := parseBool(v)
			if err != nil {
				return fmt.Errorf("%q is not a boolean (want true, false, 1 or 0)", v)
			}
			*field(c) = b
			return nil
		},
		func(c Config) string { return strconv.FormatBool(*field(&c)) }
}

var settings = func() []setting {
	s := []setting{
		{flag: "listen", env: "GATEPASS_LISTEN", key: "listen", arg: "HOST:PORT", noEmpty: true,
			usage: "address to serve HTTP on", deflt: DefaultListen},
		{flag: "data-dir", env: "GATEPASS_DATA_DIR", key: "data_dir", arg: "DIR", noEmpty: true,
			usage: "directory holding the database (SQLite) and the server's files", deflt: DefaultDataDir},
		{flag: "database", env: "GATEPASS_DATABASE", key: "database", arg: "URL",
			usage: "a postgres:// URL selects PostgreSQL (several replicas may share it); anything else, or empty, means SQLite in the data directory", deflt: "SQLite in the data directory"},
		{flag: "public-url", env: "GATEPASS_PUBLIC_URL", key: "public_url", arg: "URL", noEmpty: true,
			usage: "URL users reach the server at, used in links", deflt: "http:// + the listen address, localhost for a wildcard host"},
		{flag: "smtp-host", env: "GATEPASS_SMTP_HOST", key: "smtp.host", arg: "HOST",
			usage: "SMTP server for outgoing mail; empty means no mail is sent"},
		{flag: "smtp-port", env: "GATEPASS_SMTP_PORT", key: "smtp.port", kind: kindInt, arg: "PORT", noEmpty: true,
			usage: "SMTP port", deflt: "587, or 465 with --smtp-tls tls"},
		{flag: "smtp-username", env: "GATEPASS_SMTP_USERNAME", key: "smtp.username", arg: "NAME",
			usage: "SMTP user name; empty means no authentication"},
		{flag: "smtp-password", env: "GATEPASS_SMTP_PASSWORD", key: "smtp.password", kind: kindSecret, arg: "PASSWORD",
			usage: "SMTP password (prefer the environment or the file: flags show in ps)"},
		{flag: "smtp-from", env: "GATEPASS_SMTP_FROM", key: "smtp.from", arg: "ADDRESS",
			usage: "sender address, required with --smtp-host"},
		{flag: "smtp-tls", env: "GATEPASS_SMTP_TLS", key: "smtp.tls", arg: "MODE", noEmpty: true,
			usage: "SMTP security: none, starttls or tls", deflt: "starttls with --smtp-host, else none"},
		{flag: "smtp-allow-insecure-auth", env: "GATEPASS_SMTP_ALLOW_INSECURE_AUTH", key: "smtp.allow_insecure_auth", kind: kindBool, noEmpty: true,
			usage: "send the SMTP username and password even without TLS (--smtp-tls none); off, such mail is refused", deflt: "false"},
		{flag: "demo", env: "GATEPASS_DEMO", key: "demo", kind: kindBool, noEmpty: true,
			usage: "load the demo data into an empty database", deflt: "false"},
		{flag: "pending-ttl", env: "GATEPASS_PENDING_TTL", key: "pending_ttl", kind: kindDuration, arg: "DURATION", noEmpty: true,
			usage: "how long a pending request waits before it expires (1m to 365d; e.g. 12h, 7d)", deflt: "7d"},
		{flag: "gateway", env: "GATEPASS_GATEWAY", key: "gateway", arg: "MODE", noEmpty: true,
			usage: "the WireGuard gateway: netstack (userspace, no root), tun (Linux, root) or off", deflt: DefaultGateway},
		{flag: "gateway-lease", env: "GATEPASS_GATEWAY_LEASE", key: "gateway_lease", kind: kindDuration, arg: "DURATION", noEmpty: true,
			usage: "a remote gateway that has not heard from the server for this long drops every JIT peer (4s to 1h)", deflt: "60s"},
		{flag: "log-level", env: "GATEPASS_LOG_LEVEL", key: "log_level", arg: "LEVEL", noEmpty: true,
			usage: "debug, info, warn or error", deflt: DefaultLogLevel},
		{flag: "metrics-listen", env: "GATEPASS_METRICS_LISTEN", key: "metrics_listen", arg: "HOST:PORT",
			usage: "serve /metrics on this address only (no token needed unless --metrics-token is set too)", deflt: "none"},
		{flag: "metrics-token", env: "GATEPASS_METRICS_TOKEN", key: "metrics_token", kind: kindSecret, arg: "TOKEN",
			usage: "serve /metrics only with \"Authorization: Bearer TOKEN\" (at least 16 characters); with neither metrics setting /metrics is not served", deflt: "none"},
		{flag: "config", env: EnvConfig, arg: "FILE",
			usage: "JSON config file (keys: the flag names in snake_case, SMTP ones under \"smtp\")"},
	}
	bind := map[string]func(*setting){
		"listen":     func(x *setting) { x.set, x.get = str(func(c *Config) *string { return &c.Listen }) },
		"data-dir":   func(x *setting) { x.set, x.get = str(func(c *Config) *string { return &c.DataDir }) },
		"database":   func(x *setting) { x.set, x.get = str(func(c *Config) *string { return &c.Database }) },
		"public-url": func(x *setting) { x.set, x.get = str(func(c *Config) *string { return &c.PublicURL }) },
		"smtp-host":  func(x *setting) { x.set, x.get = str(func(c *Config) *string { return &c.SMTP.Host }) },
		"smtp-port": func(x *setting) {
			x.set = func(c *Config, v string) error {
				p, err := strconv.Atoi(v)
				if err != nil {
					return fmt.Errorf("%q is not a port number", v)
				}
				c.SMTP.Port = p
				return nil
			}
			x.get = func(c Config) string { return strconv.Itoa(c.SMTP.Port) }
		},
		"smtp-username": func(x *setting) { x.set, x.get = str(func(c *Config) *string { return &c.SMTP.Username }) },
		"smtp-password": func(x *setting) { x.set, x.get = str(func(c *Config) *string { return &c.SMTP.Password }) },
		"smtp-from":     func(x *setting) { x.set, x.get = str(func(c *Config) *string { return &c.SMTP.From }) },
		"smtp-tls": func(x *setting) {
			x.set = func(c *Config, v string) error { c.SMTP.TLS = api.SMTPTLS(strings.ToLower(v)); return nil }
			x.get = func(c Config) string { return string(c.SMTP.TLS) }
		},
		"smtp-allow-insecure-auth": func(x *setting) {
			x.set, x.get = boolean(func(c *Config) *bool { return &c.SMTP.AllowInsecureAuth })
		},
		"demo": func(x *setting) { x.set, x.get = boolean(func(c *Config) *bool { return &c.Demo }) },
		"pending-ttl": func(x *setting) {
			x.set = func(c *Config, v string) error {
				d, err := humantime.Parse(v)
				if err != nil {
					return fmt.Errorf("%q is not a duration (e.g. 90m, 12h, 7d)", v)
				}
				c.PendingTTL = d
				return nil
			}
			x.get = func(c Config) string { return humantime.Span(c.PendingTTL) }
		},
		"gateway": func(x *setting) { x.set, x.get = lower(func(c *Config) *string { return &c.Gateway }) },
		"gateway-lease": func(x *setting) {
			x.set = func(c *Config, v string) error {
				d, err := humantime.Parse(v)
				if err != nil {
					return fmt.Errorf("%q is not a duration (e.g. 30s, 2m)", v)
				}
				c.GatewayLease = d
				return nil
			}
			x.get = func(c Config) string { return humantime.Span(c.GatewayLease) }
		},
		"log-level":      func(x *setting) { x.set, x.get = lower(func(c *Config) *string { return &c.LogLevel }) },
		"metrics-listen": func(x *setting) { x.set, x.get = str(func(c *Config) *string { return &c.MetricsListen }) },
		"metrics-token":  func(x *setting) { x.set, x.get = str(func(c *Config) *string { return &c.MetricsToken }) },
		"config":         func(x *setting) { x.get = func(c Config) string { return c.ConfigFile } },
	}
	for i := range s {
		b, ok := bind[s[i].flag]
		if !ok {
			panic("config: setting --" + s[i].flag + " has no field")
		}
		b(&s[i])
	}
	return s
}()

func lookup(name string) setting {
	for _, s := range settings {
		if s.flag == name {
			return s
		}
	}
	panic("config: unknown setting " + name)
}

func byKey(key string) (setting, bool) {
	for _, s := range settings {
		if s.key == key && key != "" {
			return s, true
		}
	}
	return setting{}, false
}

// label names a setting in error messages: --flag (ENV).
func label(name string) string {
	s := lookup(name)
	return "--" + s.flag + " (" + s.env + ")"
}

type source int

const (
	fromDefault source = iota
	fromFile
	fromEnv
	fromFlag
)

type rawValue struct {
	val string
	src source
}

// boolValue is a flag.Value for --demo that keeps the text, so a bad value
// is reported with the other problems instead of stopping the parse.
type boolValue struct{ s string }

func (b *boolValue) String() string {
	if b == nil {
		return ""
	}
	return b.s
}
func (b *boolValue) Set(s string) error { b.s = s; return nil }
func (b *boolValue) IsBoolFlag() bool   { return true }

// Load reads the configuration from args (without the program name), the
// environment (getenv; nil means os.Getenv) and the config file named by
// --config or GATEPASS_CONFIG, then validates it. -h or --help returns
// flag.ErrHelp. All problems found are returned together (errors.Join).
func Load(args []string, getenv func(string) string) (*Config, error) {
	if getenv == nil {
		getenv = os.Getenv
	}

	fs := flag.NewFlagSet("gatepass-server", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	for _, s := range settings {
		if s.kind == kindBool {
			fs.Var(&boolValue{}, s.flag, s.usage)
		} else {
			fs.String(s.flag, "", s.usage)
		}
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil, flag.ErrHelp
		}
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q: gatepass-server takes flags only (see --help)", fs.Arg(0))
	}
	flags := map[string]string{}
	fs.Visit(func(f *flag.Flag) { flags[f.Name] = f.Value.String() })

	raw := map[string]rawValue{}

	// The config file: --config beats GATEPASS_CONFIG.
	path, ok := flags["config"]
	if !ok {
		path = getenv(EnvConfig)
	}
	path = strings.TrimSpace(path)
	if path != "" {
		fromFile, err := readFile(path)
		if err != nil {
			return nil, err
		}
		raw = fromFile
	}

	// The environment, then the flags.
	for _, s := range settings {
		if s.flag == "config" {
			continue
		}
		if v := getenv(s.env); v != "" {
			raw[s.flag] = rawValue{v, fromEnv}
		}
		if v, ok := flags[s.flag]; ok {
			raw[s.flag] = rawValue{v, fromFlag}
		}
	}

	hints := map[string]string{}
	for name, rv := range raw {
		if rv.src == fromFile {
			hints[name] = fmt.Sprintf(" (set by %q in %s)", lookup(name).key, path)
		}
	}
	c, problems, skip := build(raw, hints)
	c.ConfigFile = path
	c.AdminEmail = strings.TrimSpace(getenv(EnvAdminEmail))
	c.AdminPassword = getenv(EnvAdminPassword)

	if err := c.validate(hints, skip); err != nil {
		problems = append(problems, err)
	}
	if len(problems) > 0 {
		return nil, errors.Join(problems...)
	}
	return c, nil
}

// readFile reads the JSON config file into raw values by setting: its keys
// are the settings' keys, nested ones ("smtp.host") as objects.
func readFile(path string) (map[string]rawValue, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		// The *PathError already names the file.
		return nil, fmt.Errorf("--config (%s): %w", EnvConfig, err)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var top map[string]any
	if err := dec.Decode(&top); err != nil {
		return nil, fmt.Errorf("config file %s: %w", path, fileError(data, err))
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("config file %s: unexpected data after the JSON object", path)
	}
	raw := map[string]rawValue{}
	var walk func(prefix string, obj map[string]any) error
	walk = func(prefix string, obj map[string]any) error {
		for k, v := range obj {
			key := prefix + k
			if sub, ok := v.(map[string]any); ok && prefix == "" && k == "smtp" {
				if err := walk(key+".", sub); err != nil {
					return err
				}
				continue
			}
			s, ok := byKey(key)
			if !ok {
				// Values are never quoted: the key may hold a secret.
				return fmt.Errorf("json: unknown field %q", k)
			}
			text, ok := fileValue(s.kind, v)
			if !ok {
				return fmt.Errorf("%q has the wrong type: want %s", key, kindName(s.kind))
			}
			raw[s.flag] = rawValue{text, fromFile}
		}
		return nil
	}
	if err := walk("", top); err != nil {
		return nil, fmt.Errorf("config file %s: %w", path, err)
	}
	return raw, nil
}

// fileValue is a config-file value as the text a flag would give.
func fileValue(k kind, v any) (string, bool) {
	switch k {
	case kindInt:
		n, ok := v.(json.Number)
		if !ok {
			return "", false
		}
		if _, err := n.Int64(); err != nil {
			return "", false
		}
		return n.String(), true
	case kindBool:
		b, ok := v.(bool)
		return strconv.FormatBool(b), ok
	}
	s, ok := v.(string)
	return s, ok
}

func kindName(k kind) string {
	switch k {
	case kindInt:
		return "a number"
	case kindBool:
		return "true or false"
	}
	return "a string"
}

// fileError adds a line number to JSON syntax errors. Values are never
// quoted, so a secret in a malformed file does not leak.
func fileError(data []byte, err error) error {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		line := 1 + bytes.Count(data[:min(int(se.Offset), len(data))], []byte("\n"))
		return fmt.Errorf("line %d: %w", line, err)
	}
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return fmt.Errorf("the file must hold one JSON object")
	}
	return err
}

// build turns the raw values into a Config through the table, then fills
// in the defaults that depend on other settings. It returns the values
// that did not parse as problems, and their names in skip so that
// validate does not report them twice. hints are appended to the messages
// (where a value came from).
func build(raw map[string]rawValue, hints map[string]string) (*Config, []error, map[string]bool) {
	var problems []error
	skip := map[string]bool{}
	c := &Config{
		Listen:     DefaultListen,
		DataDir:    DefaultDataDir,
		PendingTTL: DefaultPendingTTL,
		LogLevel:   DefaultLogLevel,
		Gateway:    DefaultGateway,

		GatewayLease: DefaultGatewayLease,
	}
	given := map[string]bool{}
	for _, s := range settings {
		rv, ok := raw[s.flag]
		if !ok || s.set == nil {
			continue
		}
		v := rv.val
		if s.kind != kindSecret {
			v = strings.TrimSpace(v)
		}
		if v == "" && s.noEmpty {
			continue
		}
		if err := s.set(c, v); err != nil {
			problems = append(problems, errors.New(label(s.flag)+": "+err.Error()+hints[s.flag]))
			skip[s.flag] = true
			continue
		}
		given[s.flag] = true
	}
	// Defaults that depend on other settings.
	if !given["public-url"] {
		c.PublicURL = DefaultPublicURL(c.Listen)
	}
	if !given["smtp-tls"] {
		c.SMTP.TLS = api.SMTPTLSNone
		if c.SMTP.Host != "" {
			c.SMTP.TLS = api.SMTPTLSStartTLS
		}
	}
	if !given["smtp-port"] && !skip["smtp-port"] && c.SMTP.Host != "" {
		c.SMTP.Port = DefaultSMTPPort
		if c.SMTP.TLS == api.SMTPTLSTLS {
			c.SMTP.Port = DefaultSMTPSPort
		}
	}
	return c, problems, skip
}

func parseBool(s string) (bool, error) {
	switch strings.ToLower(s) {
	case "true", "1":
		return true, nil
	case "false", "0":
		return false, nil
	}
	return false, errors.New("not a boolean")
}

// DefaultPublicURL derives the public URL from a listen address:
// "http://" + listen, with a wildcard or empty host replaced by localhost.
// It returns "" when listen is not host:port.
func DefaultPublicURL(listen string) string {
	host, port, err := net.SplitHostPort(listen)
	if err != nil {
		return ""
	}
	switch host {
	case "", "0.0.0.0", "::":
		host = "localhost"
	}
	return "http://" + net.JoinHostPort(host, port)
}

var levels = map[string]slog.Level{
	"debug": slog.LevelDebug,
	"info":  slog.LevelInfo,
	"warn":  slog.LevelWarn,
	"error": slog.LevelError,
}

// IsPostgresURL reports whether a --database value selects PostgreSQL: a
// postgres:// or postgresql:// URL.
func IsPostgresURL(s string) bool {
	s = strings.ToLower(strings.TrimSpace(s))
	return strings.HasPrefix(s, "postgres://") || strings.HasPrefix(s, "postgresql://")
}

// UsesPostgres reports whether the server keeps its data in PostgreSQL
// (Database), else in SQLite under DataDir.
func (c Config) UsesPostgres() bool { return IsPostgresURL(c.Database) }

// SlogLevel returns LogLevel as a slog.Level (info when unknown).
func (c Config) SlogLevel() slog.Level {
	return levels[c.LogLevel] // the zero Level is LevelInfo
}
