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

// shown is what String and LogValue show of a setting: secrets as
// "[redacted]" when set, URLs without any password.
func (s setting) shown(c Config) string {
	v := s.get(c)
	switch {
	case s.kind == kindSecret:
		return secret(v)
	case s.flag == "public-url", s.flag == "database":
		return shownURL(v)
	}
	return v
}

// each calls kv for every setting with a file key (by that key; keys
// under prefix only, without it, when prefix is given), then — for the
// whole Config — the admin and config-file values.
func (c Config) each(prefix string, kv func(k, v string)) {
	for _, s := range settings {
		if s.key == "" || !strings.HasPrefix(s.key, prefix) {
			continue
		}
		kv(strings.TrimPrefix(s.key, prefix), s.shown(c))
	}
	if prefix == "" {
		kv("admin_email", c.AdminEmail)
		kv("admin_password", secret(c.AdminPassword))
		kv("config_file", c.ConfigFile)
	}
}

// String shows every setting, with the secrets as "[redacted]" when set.
func (c Config) String() string { return line(c, "") }

// GoString is String, so that %#v does not print the secrets either.
func (c Config) GoString() string { return "config.Config{" + c.String() + "}" }

// LogValue implements slog.LogValuer, with the secrets as "[redacted]".
func (c Config) LogValue() slog.Value {
	var attrs []slog.Attr
	c.each("", func(k, v string) { attrs = append(attrs, slog.String(k, v)) })
	return slog.GroupValue(attrs...)
}

func line(c Config, prefix string) string {
	var parts []string
	c.each(prefix, func(k, v string) { parts = append(parts, k+"="+quote(v)) })
	return strings.Join(parts, " ")
}

// String shows the SMTP settings, with the password as "[redacted]" when set.
func (s SMTP) String() string { return line(Config{SMTP: s}, "smtp.") }

// GoString is String, so that %#v does not print the password either.
func (s SMTP) GoString() string { return "config.SMTP{" + s.String() + "}" }

// LogValue implements slog.LogValuer, with the password as "[redacted]".
func (s SMTP) LogValue() slog.Value {
	var attrs []slog.Attr
	Config{SMTP: s}.each("smtp.", func(k, v string) { attrs = append(attrs, slog.String(k, v)) })
	return slog.GroupValue(attrs...)
}

// quote quotes v when it is empty or has spaces, quotes or controls.
func quote(v string) string {
	if v == "" || strings.ContainsAny(v, " \t\r\n\"=\\") || strconv.Quote(v) != `"`+v+`"` {
		return strconv.Quote(v)
	}
	return v
}
