package signin

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
	"time"

	"gatepass.dev/backend/internal/store"
)

// DeviceTokenTTL is how long a device token is valid; every sign-in issues
// a fresh one.
const DeviceTokenTTL = 365 * 24 * time.Hour

// deviceKeySetting is the settings row of the device tokens' signing key.
const deviceKeySetting = "signin.device_key"

// maxDeviceToken bounds the length of a token worth checking.
const maxDeviceToken = 256

// devices issues and checks device tokens:
//
//	v1.<user id>.<expiry, unix seconds>.<nonce>.<mac>
//
// nonce is 16 random bytes and mac the HMAC-SHA256 of everything before
// it, both base64url. A token is bound to one account and identifies one
// sign-in of one device (its nonce keys its own failure counter).
type devices struct{ key []byte }

// loadDevices reads the signing key, creating it on the first start.
func loadDevices(ctx context.Context, db *store.DB) (devices, error) {
	var fresh [32]byte
	if _, err := rand.Read(fresh[:]); err != nil {
		return devices{}, err
	}
	v, err := store.AddSetting(ctx, db, deviceKeySetting, base64.RawURLEncoding.EncodeToString(fresh[:]))
	if err != nil {
		return devices{}, fmt.Errorf("device token key: %w", err)
	}
	key, err := base64.RawURLEncoding.DecodeString(v)
	if err != nil || len(key) != 32 {
		return devices{}, fmt.Errorf("device token key: the stored key (settings %q) is damaged", deviceKeySetting)
	}
	return devices{key: key}, nil
}

func (d devices) mac(body string) string {
	m := hmac.New(sha256.New, d.key)
	m.Write([]byte(body))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// issue returns a new token of userID.
func (d devices) issue(userID string, now time.Time) string {
	var nonce [16]byte
	_, _ = rand.Read(nonce[:])
	body := "v1." + userID + "." + strconv.FormatInt(now.Add(DeviceTokenTTL).Unix(), 10) + "." + base64.RawURLEncoding.EncodeToString(nonce[:])
	return body + "." + d.mac(body)
}

// check returns the nonce of tok when it is a token of userID valid at
// now, and "" for anything else: another account's, altered, forged,
// expired or malformed.
func (d devices) check(tok, userID string, now time.Time) string {
	if tok == "" || userID == "" || len(tok) > maxDeviceToken {
		return ""
	}
	parts := strings.Split(tok, ".")
	if len(parts) != 5 || parts[0] != "v1" || parts[1] != userID || parts[3] == "" {
		return ""
	}
	body := strings.Join(parts[:4], ".")
	if !hmac.Equal([]byte(parts[4]), []byte(d.mac(body))) {
		return ""
	}
	exp, err := strconv.ParseInt(parts[2], 10, 64)
	if err != nil || !now.Before(time.Unix(exp, 0)) {
		return ""
	}
	return parts[3]
}
