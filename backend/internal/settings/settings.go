// Package settings holds the server settings that admins change at run time:
// the public URL (for links in emails), the SMTP server and the number of
// devices one user may register. The values from
// flags, environment and config file are the defaults; a value saved through
// the admin API is stored in the database and wins from then on.
//
// The SMTP password belongs to one server: a change of the SMTP host, port
// or TLS mode (compared as mail.Config.Endpoint: host case-insensitive,
// effective port and mode) clears the stored password unless the same
// change gives a new one, so a changed host never receives the old
// password. Sending credentials without TLS needs AllowInsecureAuth (off by
// default); the mail sender enforces it.
package settings

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	netmail "net/mail"
	"net/url"
	"strconv"
	"strings"
	"sync"

	"gatepass.dev/backend/internal/fault"
	"gatepass.dev/backend/internal/mail"
	"gatepass.dev/backend/internal/store"
	"gatepass.dev/shared/api"
)

const (
	keyPublicURL  = "public_url"
	keySMTP       = "smtp"
	keyMaxDevices = "max_devices_per_user"
)

// Device limit per user: the default and the range an admin may set.
const (
	DefaultMaxDevices = 5
	MaxMaxDevices     = 100
)

// Store is the current settings, cached in memory.
type Store struct {
	db *store.DB
	mu sync.RWMutex
	s  api.Settings // with the SMTP password
}

// Load reads the stored settings over the defaults.
func Load(ctx context.Context, db *store.DB, defaults api.Settings) (*Store, error) {
	s := defaults
	if s.MaxDevicesPerUser == 0 {
		s.MaxDevicesPerUser = DefaultMaxDevices
	}
	if v, ok, err := store.Setting(ctx, db, keyMaxDevices); err != nil {
		return nil, err
	} else if ok {
		n, err := strconv.Atoi(v)
		if err != nil {
			return nil, fmt.Errorf("stored %s: %w", keyMaxDevices, err)
		}
		s.MaxDevicesPerUser = n
	}
	if v, ok, err := store.Setting(ctx, db, keyPublicURL); err != nil {
		return nil, err
	} else if ok {
		s.PublicURL = v
	}
	if v, ok, err := store.Setting(ctx, db, keySMTP); err != nil {
		return nil, err
	} else if ok {
		if err := json.Unmarshal([]byte(v), &s.SMTP); err != nil {
			return nil, fmt.Errorf("stored smtp settings: %w", err)
		}
	}
	return &Store{db: db, s: s}, nil
}

// Get returns the settings, including the SMTP password.
func (st *Store) Get() api.Settings {
	st.mu.RLock()
	defer st.mu.RUnlock()
	return st.s
}

// Public returns the settings as the API shows them: the password removed,
// PasswordSet telling whether there is one.
func (st *Store) Public() api.Settings {
	s := st.Get()
	s.SMTP.PasswordSet = s.SMTP.Password != ""
	s.SMTP.Password = ""
	return s
}

// MaxDevices returns how many active devices a user may register.
func (st *Store) MaxDevices() int { return st.Get().MaxDevicesPerUser }

// PublicURL returns the base URL for links, without a trailing slash.
func (st *Store) PublicURL() string { return st.Get().PublicURL }

// SMTP returns the mail configuration.
func (st *Store) SMTP(context.Context) (mail.Config, error) {
	return MailConfig(st.Get().SMTP), nil
}

// MailConfig converts API SMTP settings to the mail package's form.
func MailConfig(s api.SMTPSettings) mail.Config {
	return mail.Config{Host: s.Host, Port: s.Port, Username: s.Username, Password: s.Password, From: s.From, TLS: s.TLS,
		AllowInsecureAuth: s.AllowInsecureAuth}
}

// Change is the result of Apply.
type Change struct {
	Settings api.Settings // the settings after the change, with the password
	// Changed names the fields that changed (never a value of the password).
	Changed []string
	// PasswordCleared is true when the SMTP host, port or TLS mode changed
	// and the stored password was removed because none was given.
	PasswordCleared bool
}

// Apply validates in over the current settings and returns the result.
func (st *Store) Apply(in api.SettingsInput) (Change, error) {
	cur := st.Get()
	next := cur
	var ch Change
	if in.PublicURL != nil {
		u, err := ValidatePublicURL(*in.PublicURL)
		if err != nil {
			return ch, err
		}
		next.PublicURL = u
	}
	if in.MaxDevicesPerUser != nil {
		n := *in.MaxDevicesPerUser
		if n < 1 || n > MaxMaxDevices {
			return ch, fault.Field("max_devices_per_user", "must be from 1 to %d", MaxMaxDevices)
		}
		next.MaxDevicesPerUser = n
	}
	if in.SMTP != nil {
		p := in.SMTP
		if p.Host != nil {
			next.SMTP.Host = strings.TrimSpace(*p.Host)
		}
		if p.Port != nil {
			next.SMTP.Port = *p.Port
		}
		if p.Username != nil {
			next.SMTP.Username = *p.Username
		}
		if p.Password != nil {
			next.SMTP.Password = *p.Password
		}
		if p.From != nil {
			next.SMTP.From = strings.TrimSpace(*p.From)
		}
		if p.TLS != nil {
			next.SMTP.TLS = *p.TLS
		}
		if p.AllowInsecureAuth != nil {
			next.SMTP.AllowInsecureAuth = *p.AllowInsecureAuth
		}
		if err := ValidateSMTP(next.SMTP); err != nil {
			return ch, err
		}
		if p.Password == nil && next.SMTP.Password != "" && MailConfig(next.SMTP).Endpoint() != MailConfig(cur.SMTP).Endpoint() {
			next.SMTP.Password = ""
			ch.PasswordCleared = true
		}
	}
	if next.PublicURL != cur.PublicURL {
		ch.Changed = append(ch.Changed, "public_url")
	}
	if next.MaxDevicesPerUser != cur.MaxDevicesPerUser {
		ch.Changed = append(ch.Changed, "max_devices_per_user")
	}
	for _, f := range []struct {
		name string
		a, b any
	}{
		{"smtp.host", cur.SMTP.Host, next.SMTP.Host}, {"smtp.port", cur.SMTP.Port, next.SMTP.Port},
		{"smtp.username", cur.SMTP.Username, next.SMTP.Username}, {"smtp.password", cur.SMTP.Password, next.SMTP.Password},
		{"smtp.from", cur.SMTP.From, next.SMTP.From}, {"smtp.tls", cur.SMTP.TLS, next.SMTP.TLS},
		{"smtp.allow_insecure_auth", cur.SMTP.AllowInsecureAuth, next.SMTP.AllowInsecureAuth},
	} {
		if f.a != f.b {
			ch.Changed = append(ch.Changed, f.name)
		}
	}
	ch.Settings = next
	return ch, nil
}

// Save writes s inside tx; call Set after the commit.
func Save(ctx context.Context, tx *sql.Tx, s api.Settings) error {
	if err := store.PutSetting(ctx, tx, keyPublicURL, s.PublicURL); err != nil {
		return err
	}
	if err := store.PutSetting(ctx, tx, keyMaxDevices, strconv.Itoa(s.MaxDevicesPerUser)); err != nil {
		return err
	}
	s.SMTP.PasswordSet = false
	b, err := json.Marshal(s.SMTP)
	if err != nil {
		return err
	}
	return store.PutSetting(ctx, tx, keySMTP, string(b))
}

// Set replaces the cached settings after a committed Save.
func (st *Store) Set(s api.Settings) {
	st.mu.Lock()
	defer st.mu.Unlock()
	st.s = s
}

// ValidatePublicURL checks and normalizes the public URL.
func ValidatePublicURL(s string) (string, error) {
	s = strings.TrimRight(strings.TrimSpace(s), "/")
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return "", fault.Field("public_url", "%q is not an http(s) URL without credentials, query or fragment", s)
	}
	return s, nil
}

// ValidateSMTP checks SMTP settings; an empty host turns mail off.
func ValidateSMTP(s api.SMTPSettings) error {
	if s.TLS == "" {
		s.TLS = api.SMTPTLSStartTLS
	}
	if !s.TLS.Valid() {
		return fault.Field("smtp.tls", "%q is not one of none, starttls, tls", s.TLS)
	}
	if s.Host == "" {
		return nil
	}
	if strings.ContainsAny(s.Host, " \t\r\n/:") {
		return fault.Field("smtp.host", "%q is not a host name (give the port separately)", s.Host)
	}
	if s.Port < 0 || s.Port > 65535 {
		return fault.Field("smtp.port", "%d is not a port number", s.Port)
	}
	if strings.ContainsAny(s.Username, "\r\n") || strings.ContainsAny(s.Password, "\r\n") {
		return fault.Field("smtp.password", "the username and password must not contain line breaks")
	}
	if s.From == "" {
		return fault.Field("smtp.from", "is required when a host is set")
	}
	if strings.ContainsAny(s.From, "\r\n") {
		return fault.Field("smtp.from", "must not contain line breaks")
	}
	if _, err := netmail.ParseAddress(s.From); err != nil {
		return fault.Field("smtp.from", "%q is not an email address", s.From)
	}
	return nil
}
