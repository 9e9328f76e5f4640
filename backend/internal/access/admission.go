package access

// Who may pass a gateway — one rule, one place.
//
// A device passes a network's gateway exactly when
//
//   - its user is enabled,
//   - the device is active (not removed),
//   - the user is a member of the network (directly, or through a group
//     the network lists as a member group), and
//   - the user has standing access (JIT off for the network, or the user is
//     an admin) or a grant of theirs on the network is valid now: approved,
//     started (starts_at ≤ now, for a scheduled grant) and not expired
//     (now < expires_at). An approved extension is never a grant: its time
//     went to the grant it extends.
//
// MayPass is that rule, a pure function of the stored facts
// (store.PassFacts). Everything that decides who gets through asks it:
// the gateway's desired peers (DesiredPeers), tunnel-config issuance
// (DeviceAdmission) and approval ("would the requester pass once granted?",
// Service.apply). Every change that can make it false for someone (a member
// removed, a user leaving a member group, a group deleted or removed from
// a network, a network deleted or switched to a member list, a user
// disabled or their role changed, a device removed) ends what it must in its own
// transaction (Service.Settle: grants revoked and pending requests denied
// with the reason the user sees, audited and mailed) and the peer leaves
// the gateway when the change is committed. The model-based test in
// httpapi (TestGatewayInvariantModel) holds the gateway's actual peers equal
// to this rule, computed independently, after every step of random
// operation sequences.

import (
	"context"
	"fmt"
	"time"

	"gatepass.dev/backend/internal/store"
	"gatepass.dev/shared/api"
)

// Refusal says why a device may not pass; Admitted ("") when it may.
type Refusal string

const (
	Admitted         Refusal = ""
	RefusedDisabled  Refusal = "account_disabled"
	RefusedDevice    Refusal = "device_removed"
	RefusedNotMember Refusal = "not_member"
	RefusedNoGrant   Refusal = "no_grant"
)

// Standing reports whether a user needs no grant on a network: JIT is off
// for it, or the user is an admin.
func Standing(jitEnabled bool, role api.Role) bool {
	return !jitEnabled || role == api.RoleAdmin
}

// MayPass is the rule: Admitted, or the first reason the device may not
// pass.
func MayPass(f store.PassFacts) Refusal {
	switch {
	case f.UserDisabled:
		return RefusedDisabled
	case f.DeviceRemoved:
		return RefusedDevice
	case !f.Member:
		return RefusedNotMember
	case Standing(f.JITEnabled, f.Role) || f.GrantID != "":
		return Admitted
	}
	return RefusedNoGrant
}

// Message is the refusal in words for the user, about network.
func (r Refusal) Message(network string) string {
	switch r {
	case RefusedDisabled:
		return "your account is disabled"
	case RefusedDevice:
		return "this device was removed from your account: sign in again to register it anew"
	case RefusedNotMember:
		return fmt.Sprintf("you are not a member of network %s", network)
	case RefusedNoGrant:
		return fmt.Sprintf("no valid grant for network %s: request access first", network)
	}
	return ""
}

// EndNote is the note of a grant or request ended because of r: the reason
// the user sees in the email and the app.
func (r Refusal) EndNote(network string) string {
	switch r {
	case RefusedDisabled:
		return "account disabled"
	case RefusedNotMember:
		return "removed from " + network
	}
	return string(r)
}

// DesiredPeers returns the peers the network's gateway must have at now:
// the devices holding an address in it that MayPass admits. A standing
// peer has no expiry; a granted one expires with its grant.
func DesiredPeers(ctx context.Context, q store.Querier, networkID string, now time.Time) ([]store.GatewayPeer, error) {
	cands, err := store.GatewayCandidates(ctx, q, networkID, now)
	if err != nil {
		return nil, err
	}
	var out []store.GatewayPeer
	for _, f := range cands {
		if MayPass(f) != Admitted {
			continue
		}
		p := store.GatewayPeer{PublicKey: f.PublicKey, Address: f.Address, DeviceID: f.DeviceID, DeviceName: f.DeviceName,
			UserID: f.UserID, UserEmail: f.UserEmail}
		if !Standing(f.JITEnabled, f.Role) {
			p.RequestID, p.ExpiresAt = f.GrantID, f.GrantExpires
		}
		out = append(out, p)
	}
	return out, nil
}

// DeviceAdmission answers the rule for one device on one network at now,
// with the facts it read.
func DeviceAdmission(ctx context.Context, q store.Querier, deviceID, networkID string, now time.Time) (store.PassFacts, Refusal, error) {
	f, err := store.DevicePassFacts(ctx, q, deviceID, networkID, now)
	if err != nil {
		return f, "", err
	}
	return f, MayPass(f), nil
}

// NextStart returns when the next scheduled grant on a network starts
// (the zero time for none): its gateway wakes then to add the grant's
// peers, to the second, as it wakes at the next expires_at to remove them.
func NextStart(ctx context.Context, q store.Querier, networkID string, now time.Time) (time.Time, error) {
	return store.NextNetworkStart(ctx, q, networkID, now)
}
