package config

import (
	"log/slog"
	"net/url"
	"strconv"
	"strings"
)

func secret(s string) string {
	if s == "" {
		return ""
	}
	return redacted
}

// shownURL hides a password in a URL (Validate rejects those anyway).
func shownURL(s string) string {
	if !strings.Contains(s, "@") {
		return s
	}
	if u, err := url.Parse(s); err == nil {
		return u.Redacted()
	}
	return redacted
}

// String shows every setting, with the passwords as "[redacted]" when set.
func (c Config) String() string {
	var b strings.Builder
	kv := func(k, v string) {
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(k)
		b.WriteByte('=')
		b.WriteString(quote(v))
	}
	kv("listen", c.Listen)
	kv("data_dir", c.DataDir)
	kv("public_url", shownURL(c.PublicURL))
	c.SMTP.fields(func(k, v string) { kv("smtp."+k, v) })
	kv("demo", strconv.FormatBool(c.Demo))
	kv("pending_ttl", FormatDuration(c.PendingTTL))
	kv("log_level", c.LogLevel)
	kv("gateway", c.Gateway)
	kv("metrics_listen", c.MetricsListen)
	kv("metrics_token", secret(c.MetricsToken))
	kv("admin_email", c.AdminEmail)
	kv("admin_password", secret(c.AdminPassword))
	kv("config_file", c.ConfigFile)
	return b.String()
}

// GoString is String, so that %#v does not print the passwords either.
func (c Config) GoString() string { return "config.Config{" + c.String() + "}" }

// LogValue implements slog.LogValuer, with the passwords as "[redacted]".
func (c Config) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("listen", c.Listen),
		slog.String("data_dir", c.DataDir),
		slog.String("public_url", shownURL(c.PublicURL)),
		slog.Any("smtp", c.SMTP),
		slog.Bool("demo", c.Demo),
		slog.String("pending_ttl", FormatDuration(c.PendingTTL)),
		slog.String("log_level", c.LogLevel),
		slog.String("gateway", c.Gateway),
		slog.String("metrics_listen", c.MetricsListen),
		slog.String("metrics_token", secret(c.MetricsToken)),
		slog.String("admin_email", c.AdminEmail),
		slog.String("admin_password", secret(c.AdminPassword)),
		slog.String("config_file", c.ConfigFile),
	)
}

func (s SMTP) fields(kv func(k, v string)) {
	kv("host", s.Host)
	kv("port", strconv.Itoa(s.Port))
	kv("username", s.Username)
	kv("password", secret(s.Password))
	kv("from", s.From)
	kv("tls", string(s.TLS))
	kv("allow_insecure_auth", strconv.FormatBool(s.AllowInsecureAuth))
}

// String shows the SMTP settings, with the password as "[redacted]" when set.
func (s SMTP) String() string {
	var parts []string
	s.fields(func(k, v string) { parts = append(parts, k+"="+quote(v)) })
	return strings.Join(parts, " ")
}

// GoString is String, so that %#v does not print the password either.
func (s SMTP) GoString() string { return "config.SMTP{" + s.String() + "}" }

// LogValue implements slog.LogValuer, with the password as "[redacted]".
func (s SMTP) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("host", s.Host),
		slog.Int("port", s.Port),
		slog.String("username", s.Username),
		slog.String("password", secret(s.Password)),
		slog.String("from", s.From),
		slog.String("tls", string(s.TLS)),
		slog.Bool("allow_insecure_auth", s.AllowInsecureAuth),
	)
}

// quote quotes v when it is empty or has spaces, quotes or controls.
func quote(v string) string {
	if v == "" || strings.ContainsAny(v, " \t\r\n\"=\\") || strconv.Quote(v) != `"`+v+`"` {
		return strconv.Quote(v)
	}
	return v
}
