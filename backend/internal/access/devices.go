package access

// Devices: a user's machines, each a WireGuard public key registered by the
// agent (the private key never leaves the machine).
//
// Limits and rules:
//   - a user has at most Options.MaxDevices() active devices (a server
//     setting, default 5): one more is a Conflict that says how to make
//     room, so one account cannot fill a network's address range;
//   - a network whose range is full does not stop a registration: the
//     device gets addresses where there is room (the tunnel config of the
//     full network then says it is full);
//   - a key is refused (Invalid, naming why) when it is not a valid
//     Curve25519 point (all-zero or of low order: X25519 with it fails), a
//     gateway's own public key, another device's key, or the key of a
//     removed device (removed keys never come back: generate a new pair);
//   - registering the same key again returns the same device (the agent
//     re-registers after a restart);
//   - the API token that registered a device is bound to it; removing the
//     device (by its owner or an admin) signs that token out, frees the
//     device's addresses and takes its peers off the gateways at once.

import (
	"context"
	"database/sql"
	"errors"
	"strconv"

	"gatepass.dev/backend/internal/actor"
	"gatepass.dev/backend/internal/events"
	"gatepass.dev/backend/internal/fault"
	"gatepass.dev/backend/internal/store"
	"gatepass.dev/shared/api"
	"gatepass.dev/shared/wgkey"
)

// ParseDeviceKey checks a WireGuard public key given by a client: the
// canonical base64 of 32 bytes, a usable Curve25519 point (not all zero,
// not of low order). It returns the canonical encoding.
func ParseDeviceKey(s string) (string, error) {
	k, err := wgkey.ParsePublic(s)
	switch {
	case errors.Is(err, wgkey.ErrWeak):
		return "", fault.Field("public_key", "is not a usable Curve25519 key (all zero or a low-order point): generate a new key pair")
	case err != nil:
		return "", fault.Field("public_key", "must be a WireGuard public key (base64 of 32 bytes)")
	}
	return k.String(), nil
}

// DeviceRegistration is a device as registered, and whether it is new.
type DeviceRegistration struct {
	Device  store.Device
	Created bool
}

// RegisterDevice registers the actor's device public key (or returns the
// actor's active device with that key), gives it an address in each of the
// actor's networks that has room, and binds the actor's API token (by its
// hash; "" for none) to it. See the package's device rules.
func (s *Service) RegisterDevice(ctx context.Context, by actor.Actor, tokenHash, name, publicKey string) (DeviceRegistration, error) {
	key, err := ParseDeviceKey(publicKey)
	if err != nil {
		return DeviceRegistration{}, err
	}
	name, err = CleanText("name", name, 64, false)
	if err != nil {
		return DeviceRegistration{}, err
	}
	if name == "" {
		name = "device"
	}
	if s.opt.IsGatewayKey != nil {
		gw, err := s.opt.IsGatewayKey(ctx, key)
		if err != nil {
			return DeviceRegistration{}, err
		}
		if gw {
			return DeviceRegistration{}, fault.Field("public_key", "is a gateway's public key, not a device's: generate a new key pair")
		}
	}
	now := s.opt.Clock.Now().UTC()
	var reg DeviceRegistration
	var full []string
	err = s.opt.DB.Tx(ctx, func(tx *sql.Tx) error {
		reg = DeviceRegistration{} // a transaction run again starts afresh
		existing, err := store.DeviceByPublicKey(ctx, tx, key)
		switch {
		case err == nil && existing.UserID != by.ID:
			return fault.Field("public_key", "is the key of another device: generate a new key pair")
		case err == nil && !existing.Active():
			return fault.Field("public_key", "is the key of a device that was removed: generate a new key pair")
		case err == nil:
			reg.Device = existing
		case errors.Is(err, store.ErrNotFound):
			n, err := store.CountActiveDevices(ctx, tx, by.ID)
			if err != nil {
				return err
			}
			if limit := s.maxDevices(); n >= limit {
				return fault.Conflictf("you have %d devices registered, the most allowed: remove one you no longer use (Settings in the app, or gatepassd devices remove) or ask an admin", limit)
			}
			reg.Device = store.Device{ID: store.NewID("dev"), UserID: by.ID, Name: name, PublicKey: key, CreatedAt: now}
			reg.Created = true
			if err := store.CreateDevice(ctx, tx, reg.Device); err != nil {
				return err
			}
			if err := store.InsertAudit(ctx, tx, store.AuditEntry{At: now, ActorID: by.ID, ActorEmail: by.Email,
				Action: "device.register", TargetType: "device", TargetID: reg.Device.ID, Source: by.Source,
				Details: map[string]string{"name": name, "public_key": key}}); err != nil {
				return err
			}
		default:
			return err
		}
		if tokenHash != "" {
			if err := store.BindTokenDevice(ctx, tx, tokenHash, reg.Device.ID); err != nil {
				return err
			}
		}
		nets, err := store.NetworksOfUser(ctx, tx, by.ID)
		if err != nil {
			return err
		}
		full = full[:0]
		for _, n := range nets {
			if _, err := store.AssignAddress(ctx, tx, reg.Device.ID, n); errors.Is(err, store.ErrRangeFull) {
				full = append(full, n.Name) // room elsewhere still counts
			} else if err != nil {
				return err
			}
		}
		reg.Device, err = store.DeviceByID(ctx, tx, reg.Device.ID)
		return err
	})
	if err != nil {
		return DeviceRegistration{}, err
	}
	if len(full) > 0 {
		s.opt.Logger.Warn("device registered without an address in full networks", "device", reg.Device.ID, "networks", full)
	}
	if reg.Created {
		// The gateways learn of the new device before its owner can ask for a tunnel.
		s.opt.Bus.Publish(events.Change{UserIDs: []string{by.ID}, Gateway: true})
	}
	return reg, nil
}

func (s *Service) maxDevices() int {
	if s.opt.MaxDevices == nil {
		return 5
	}
	return s.opt.MaxDevices()
}

// Devices lists a user's active devices; the one bound to currentDeviceID
// is marked current.
func (s *Service) Devices(ctx context.Context, userID, currentDeviceID string) ([]api.Device, error) {
	devs, err := store.DevicesOfUser(ctx, s.opt.DB, userID)
	if err != nil {
		return nil, err
	}
	out := make([]api.Device, 0, len(devs))
	for _, d := range devs {
		ad := DeviceAPI(d)
		ad.Current = d.ID == currentDeviceID && currentDeviceID != ""
		out = append(out, ad)
	}
	return out, nil
}

// DeviceAPI is the wire form of a device.
func DeviceAPI(d store.Device) api.Device {
	addrs := d.Addresses
	if addrs == nil {
		addrs = map[string]string{}
	}
	out := api.Device{ID: d.ID, Name: d.Name, PublicKey: d.PublicKey, Addresses: addrs, CreatedAt: d.CreatedAt}
	if !d.LastSeenAt.IsZero() {
		t := d.LastSeenAt
		out.LastSeenAt = &t
	}
	return out
}

// RemoveDevice removes a device: its owner may remove their own, an admin
// anyone's (NotFound for anyone else, so device ids do not leak). The
// device's addresses are freed, the tokens registered with it signed out,
// the removal audited; its peers leave the gateways when it is committed.
func (s *Service) RemoveDevice(ctx context.Context, by actor.Actor, deviceID string) (store.Device, error) {
	now := s.opt.Clock.Now().UTC()
	var d store.Device
	err := s.opt.DB.Tx(ctx, func(tx *sql.Tx) error {
		var err error
		d, err = store.DeviceByID(ctx, tx, deviceID)
		if errors.Is(err, store.ErrNotFound) || (err == nil && d.UserID != by.ID && !by.IsAdmin()) || (err == nil && !d.Active()) {
			return fault.NotFoundf("no device %q", deviceID)
		}
		if err != nil {
			return err
		}
		if err := store.RemoveDevice(ctx, tx, d.ID, by.ID, now); err != nil {
			return err
		}
		owner, err := store.UserByID(ctx, tx, d.UserID)
		if err != nil {
			return err
		}
		return store.InsertAudit(ctx, tx, store.AuditEntry{At: now, ActorID: by.ID, ActorEmail: by.Email,
			Action: "device.remove", TargetType: "device", TargetID: d.ID, Source: by.Source,
			Details: map[string]string{"name": d.Name, "public_key": d.PublicKey, "user": owner.Email,
				"by_owner": strconv.FormatBool(by.ID == d.UserID)}})
	})
	if err != nil {
		return store.Device{}, err
	}
	s.opt.Bus.Publish(events.Change{UserIDs: []string{d.UserID}, Gateway: true})
	return d, nil
}

// SeenDevice records that a device was seen now (its watch stream opened).
func (s *Service) SeenDevice(ctx context.Context, deviceID string) error {
	if deviceID == "" {
		return nil
	}
	now := s.opt.Clock.Now().UTC()
	return s.opt.DB.Tx(ctx, func(tx *sql.Tx) error { return store.TouchDevice(ctx, tx, deviceID, now) })
}
