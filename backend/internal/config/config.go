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
)

// Defaults and limits.
const (
	DefaultListen     = "127.0.0.1:8080"
	DefaultDataDir    = "./data"
	DefaultPendingTTL = 7 * 24 * time.Hour
	DefaultLogLevel   = "info"
	DefaultGateway    = "netstack"
	// DefaultSMTPPort is the SMTP port used when a host is set without a
	// port (submission with STARTTLS or no TLS).
	DefaultSMTPPort = 587
	// DefaultSMTPSPort is the SMTP port used when a host is set without a
	// port and --smtp-tls is "tls" (implicit TLS, "smtps").
	DefaultSMTPSPort = 465

	MinPendingTTL = time.Minute
	MaxPendingTTL = 365 * 24 * time.Hour
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
	Listen     string        // host:port to serve HTTP on
	DataDir    string        // directory holding the database
	PublicURL  string        // base URL used in links (emails); no trailing slash
	SMTP       SMTP          // outgoing mail; an empty Host means no SMTP
	Demo       bool          // load the demo data into an empty database
	PendingTTL time.Duration // how long a pending request waits before it expires
	LogLevel   string        // debug, info, warn or error
	Gateway    string        // netstack, tun or off

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

// kind says how a setting's text is parsed.
type kind int

const (
	kindString kind = iota
	kindSecret
	kindInt
	kindBool
	kindDuration
)

// setting describes one flag with its environment variable and file key.
type setting struct {
	flag    string // without dashes
	env     string
	key     string // config-file key, dotted for nested ones; "" for none
	kind    kind
	arg     string // placeholder in the usage text
	usage   string
	deflt   string // default shown in the usage text
	noEmpty bool   // an explicit empty value means the default
}

var settings = []setting{
	{flag: "listen", env: "GATEPASS_LISTEN", key: "listen", arg: "HOST:PORT", noEmpty: true,
		usage: "address to serve HTTP on", deflt: DefaultListen},
	{flag: "data-dir", env: "GATEPASS_DATA_DIR", key: "data_dir", arg: "DIR", noEmpty: true,
		usage: "directory holding the database", deflt: DefaultDataDir},
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
	{flag: "log-level", env: "GATEPASS_LOG_LEVEL", key: "log_level", arg: "LEVEL", noEmpty: true,
		usage: "debug, info, warn or error", deflt: DefaultLogLevel},
	{flag: "metrics-listen", env: "GATEPASS_METRICS_LISTEN", key: "metrics_listen", arg: "HOST:PORT",
		usage: "serve /metrics on this address only (no token needed unless --metrics-token is set too)", deflt: "none"},
	{flag: "metrics-token", env: "GATEPASS_METRICS_TOKEN", key: "metrics_token", kind: kindSecret, arg: "TOKEN",
		usage: "serve /metrics only with \"Authorization: Bearer TOKEN\" (at least 16 characters); with neither metrics setting /metrics is not served", deflt: "none"},
	{flag: "config", env: EnvConfig, arg: "FILE",
		usage: "JSON config file (keys: the flag names in snake_case, SMTP ones under \"smtp\")"},
}

func lookup(name string) setting {
	for _, s := range settings {
		if s.flag == name {
			return s
		}
	}
	panic("config: unknown setting " + name)
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

// fileConfig is the JSON config file. Pointers tell absent keys apart.
type fileConfig struct {
	Listen     *string   `json:"listen"`
	DataDir    *string   `json:"data_dir"`
	PublicURL  *string   `json:"public_url"`
	SMTP       *fileSMTP `json:"smtp"`
	Demo       *bool     `json:"demo"`
	PendingTTL *string   `json:"pending_ttl"`
	LogLevel   *string   `json:"log_level"`
	Gateway    *string   `json:"gateway"`

	MetricsListen *string `json:"metrics_listen"`
	MetricsToken  *string `json:"metrics_token"`
}

type fileSMTP struct {
	Host     *string `json:"host"`
	Port     *int    `json:"port"`
	Username *string `json:"username"`
	Password *string `json:"password"`
	From     *string `json:"from"`
	TLS      *string `json:"tls"`

	AllowInsecureAuth *bool `json:"allow_insecure_auth"`
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
		fc, err := readFile(path)
		if err != nil {
			return nil, err
		}
		fc.apply(raw)
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

func readFile(path string) (*fileConfig, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		// The *PathError already names the file.
		return nil, fmt.Errorf("--config (%s): %w", EnvConfig, err)
	}
	var fc fileConfig
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&fc); err != nil {
		return nil, fmt.Errorf("config file %s: %w", path, fileError(data, err))
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("config file %s: unexpected data after the JSON object", path)
	}
	return &fc, nil
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
		line := 1 + bytes.Count(data[:min(int(te.Offset), len(data))], []byte("\n"))
		return fmt.Errorf("line %d: %q has the wrong type: want %s, got %s", line, te.Field, te.Type, te.Value)
	}
	return err
}

func (fc *fileConfig) apply(raw map[string]rawValue) {
	str := func(name string, p *string) {
		if p != nil {
			raw[name] = rawValue{*p, fromFile}
		}
	}
	str("listen", fc.Listen)
	str("data-dir", fc.DataDir)
	str("public-url", fc.PublicURL)
	if fc.Demo != nil {
		raw["demo"] = rawValue{strconv.FormatBool(*fc.Demo), fromFile}
	}
	str("pending-ttl", fc.PendingTTL)
	str("log-level", fc.LogLevel)
	str("gateway", fc.Gateway)
	str("metrics-listen", fc.MetricsListen)
	str("metrics-token", fc.MetricsToken)
	if s := fc.SMTP; s != nil {
		str("smtp-host", s.Host)
		if s.Port != nil {
			raw["smtp-port"] = rawValue{strconv.Itoa(*s.Port), fromFile}
		}
		str("smtp-username", s.Username)
		str("smtp-password", s.Password)
		str("smtp-from", s.From)
		str("smtp-tls", s.TLS)
		if s.AllowInsecureAuth != nil {
			raw["smtp-allow-insecure-auth"] = rawValue{strconv.FormatBool(*s.AllowInsecureAuth), fromFile}
		}
	}
}

// build turns the raw values into a Config with the defaults filled in. It
// returns the values that did not parse as problems, and their names in
// skip so that validate does not report them twice. hints are appended to
// the messages (where a value came from).
func build(raw map[string]rawValue, hints map[string]string) (*Config, []error, map[string]bool) {
	var problems []error
	skip := map[string]bool{}
	get := func(name string) (string, bool) {
		rv, ok := raw[name]
		if !ok {
			return "", false
		}
		v := rv.val
		if lookup(name).kind != kindSecret {
			v = strings.TrimSpace(v)
		}
		if v == "" && lookup(name).noEmpty {
			return "", false
		}
		return v, true
	}
	bad := func(name, format string, args ...any) {
		problems = append(problems, errors.New(label(name)+": "+fmt.Sprintf(format, args...)+hints[name]))
		skip[name] = true
	}

	c := &Config{
		Listen:     DefaultListen,
		DataDir:    DefaultDataDir,
		PendingTTL: DefaultPendingTTL,
		LogLevel:   DefaultLogLevel,
		Gateway:    DefaultGateway,
	}
	if v, ok := get("listen"); ok {
		c.Listen = v
	}
	if v, ok := get("data-dir"); ok {
		c.DataDir = v
	}
	if v, ok := get("public-url"); ok {
		c.PublicURL = v
	} else {
		c.PublicURL = DefaultPublicURL(c.Listen)
	}
	c.SMTP.Host, _ = get("smtp-host")
	c.SMTP.Username, _ = get("smtp-username")
	c.SMTP.Password, _ = get("smtp-password")
	c.SMTP.From, _ = get("smtp-from")
	if v, ok := get("smtp-tls"); ok {
		c.SMTP.TLS = api.SMTPTLS(strings.ToLower(v))
	} else if c.SMTP.Host != "" {
		c.SMTP.TLS = api.SMTPTLSStartTLS
	} else {
		c.SMTP.TLS = api.SMTPTLSNone
	}
	if v, ok := get("smtp-port"); ok {
		if p, err := strconv.Atoi(v); err != nil {
			bad("smtp-port", "%q is not a port number", v)
		} else {
			c.SMTP.Port = p
		}
	} else if c.SMTP.Host != "" {
		c.SMTP.Port = DefaultSMTPPort
		if c.SMTP.TLS == api.SMTPTLSTLS {
			c.SMTP.Port = DefaultSMTPSPort
		}
	}
	if v, ok := get("smtp-allow-insecure-auth"); ok {
		if b, err := parseBool(v); err != nil {
			bad("smtp-allow-insecure-auth", "%q is not a boolean (want true, false, 1 or 0)", v)
		} else {
			c.SMTP.AllowInsecureAuth = b
		}
	}
	if v, ok := get("demo"); ok {
		if b, err := parseBool(v); err != nil {
			bad("demo", "%q is not a boolean (want true, false, 1 or 0)", v)
		} else {
			c.Demo = b
		}
	}
	if v, ok := get("pending-ttl"); ok {
		if d, err := ParseDuration(v); err != nil {
			bad("pending-ttl", "%q is not a duration (e.g. 90m, 12h, 7d)", v)
		} else {
			c.PendingTTL = d
		}
	}
	if v, ok := get("log-level"); ok {
		c.LogLevel = strings.ToLower(v)
	}
	if v, ok := get("gateway"); ok {
		c.Gateway = strings.ToLower(v)
	}
	c.MetricsListen, _ = get("metrics-listen")
	c.MetricsToken, _ = get("metrics-token")
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

// SlogLevel returns LogLevel as a slog.Level (info when unknown).
func (c Config) SlogLevel() slog.Level {
	return levels[c.LogLevel] // the zero Level is LevelInfo
}
