package signin

import (
	"net/netip"
	"time"

	"gatepass.dev/backend/internal/auth"
)

// The limits of failed sign-ins (see the package doc for what they
// guarantee). A blocked attempt is not a guess and does not count.
var (
	// AccountAddressLimit: failures of one account from one source
	// address, for clients without a trusted device token.
	AccountAddressLimit = auth.Window{Max: 5, Per: 15 * time.Minute}
	// AddressLimit: failures from one source address over all accounts,
	// for clients without a trusted device token.
	AddressLimit = auth.Window{Max: 20, Per: 15 * time.Minute}
	// AccountLimit: failures of one account from every client without a
	// trusted device token, wherever they come from: 5 at once, then 1, 2,
	// 4, 8 and 15 minutes after each failure; a run ends after an hour
	// without failures.
	AccountLimit = auth.Backoff{Free: 5, Base: time.Minute, Cap: 15 * time.Minute, Quiet: time.Hour}
	// DeviceLimit: failures with one device token. Past it the token is
	// distrusted (its client is limited like any other) until the window
	// has passed.
	DeviceLimit = auth.Window{Max: 5, Per: 15 * time.Minute}
)

// MaxGuessesPerHour is the most passwords that clients without a trusted
// device token can try against one account in any hour: AccountLimit's
// five at once and one after each delay (1, 3, 7, 15, 30 and 45 minutes
// later). An attack kept up past the first hour gets 4 an hour.
const MaxGuessesPerHour = 11

// Names of the limits, in audit rows (details "limits" of login.blocked).
const (
	limitAccountAddress = "account_address"
	limitAddress        = "address"
	limitAccount        = "account"
	limitDevice         = "device"
)

// untrustedKeys are the counters of an attempt without a trusted device
// token.
func untrustedKeys(email, src string) []auth.Key {
	a := addrKey(src)
	return []auth.Key{
		{Name: limitAccountAddress + ":" + email + "|" + a, Rule: AccountAddressLimit},
		{Name: limitAddress + ":" + a, Rule: AddressLimit},
		{Name: limitAccount + ":" + email, Rule: AccountLimit},
	}
}

// deviceKey is the counter of a device token (by its nonce).
func deviceKey(nonce string) auth.Key {
	return auth.Key{Name: limitDevice + ":" + nonce, Rule: DeviceLimit}
}

// addrKey is the source address as the limits count it: IPv6 addresses
// by their /64 (one host commonly holds a whole /64), others as they are.
func addrKey(src string) string {
	ip, err := netip.ParseAddr(src)
	if err != nil || !ip.Is6() || ip.Is4In6() {
		return src
	}
	p, err := ip.Prefix(64)
	if err != nil {
		return src
	}
	return p.String()
}
