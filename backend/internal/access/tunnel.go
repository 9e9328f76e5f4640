package access

import (
	"context"
	"database/sql"
	"errors"
	"net/netip"

	"gatepass.dev/backend/internal/actor"
	"gatepass.dev/backend/internal/fault"
	"gatepass.dev/backend/internal/store"
	"gatepass.dev/shared/api"
)

// PersistentKeepalive is the keep-alive (seconds) tunnel configs ask for.
const PersistentKeepalive = 25

// GatewayAddress is the gateway's address in a range: its first host.
func GatewayAddress(p netip.Prefix) netip.Addr { return p.Masked().Addr().Next() }

// GatewayInfo is what a tunnel config needs of a network's gateway: its
// WireGuard public key (base64) and the UDP host:port clients dial.
type GatewayInfo struct {
	PublicKey string
	Endpoint  string
}

// Tunnel issues the WireGuard configuration of the actor's device on a
// network — only while MayPass admits the device (a Forbidden fault with
// the refusal in words otherwise). In one transaction it gives the device
// an address in the network if it has none yet and writes the
// tunnel.config audit row. The private key is not part of it: it never
// leaves the device.
func (s *Service) Tunnel(ctx context.Context, by actor.Actor, deviceID, networkID string) (api.TunnelConfig, error) {
	if s.opt.Gateway == nil {
		return api.TunnelConfig{}, fault.New(fault.Unavailable, "the gateway is not running")
	}
	if _, err := store.NetworkByID(ctx, s.opt.DB, networkID); errors.Is(err, store.ErrNotFound) {
		return api.TunnelConfig{}, fault.Detail(ErrNotFound, "no network %q", networkID)
	} else if err != nil {
		return api.TunnelConfig{}, err
	}
	// The gateway before the transaction: an embedded gateway's key may be
	// created on first use, in a write of its own.
	gwInfo, err := s.opt.Gateway(ctx, networkID)
	if err != nil {
		return api.TunnelConfig{}, err
	}
	now := s.opt.Clock.Now().UTC()
	var cfg api.TunnelConfig
	err = s.opt.DB.Tx(ctx, func(tx *sql.Tx) error {
		dev, err := store.DeviceByID(ctx, tx, deviceID)
		if errors.Is(err, store.ErrNotFound) {
			return fault.NotFoundf("no device %q", deviceID)
		}
		if err != nil {
			return err
		}
		if dev.UserID != by.ID {
			return fault.Forbiddenf("this device is registered to another user")
		}
		n, err := store.NetworkByID(ctx, tx, networkID)
		if errors.Is(err, store.ErrNotFound) {
			return fault.Detail(ErrNotFound, "no network %q", networkID)
		}
		if err != nil {
			return err
		}
		f, why, err := DeviceAdmission(ctx, tx, dev.ID, n.ID, now)
		if err != nil {
			return err
		}
		if why != Admitted {
			return fault.Forbiddenf("%s", why.Message(n.Name))
		}
		addr := f.Address
		if addr == "" {
			if addr, err = store.AssignAddress(ctx, tx, dev.ID, n); err != nil {
				return err
			}
		}
		prefix, err := netip.ParsePrefix(n.CIDR)
		if err != nil {
			return err
		}
		gw := GatewayAddress(prefix)
		cfg = api.TunnelConfig{
			NetworkID: n.ID, NetworkName: n.Name, DeviceID: dev.ID, Address: addr, GatewayPublicKey: gwInfo.PublicKey,
			GatewayAddress: gw.String(), Endpoint: gwInfo.Endpoint, AllowedIPs: append([]string{prefix.Masked().String()}, n.Routes...),
			DNS: []string{gw.String()}, PersistentKeepalive: PersistentKeepalive, State: api.StateStanding, ServerTime: now,
		}
		if !Standing(f.JITEnabled, f.Role) {
			exp := f.GrantExpires
			cfg.State, cfg.ExpiresAt = api.StateActive, &exp
		}
		if err := store.TouchDevice(ctx, tx, dev.ID, now); err != nil {
			return err
		}
		return store.InsertAudit(ctx, tx, store.AuditEntry{At: now, ActorID: by.ID, ActorEmail: by.Email, Action: "tunnel.config",
			TargetType: "device", TargetID: dev.ID, NetworkID: n.ID, Source: by.Source,
			Details: map[string]string{"network": n.Name, "address": addr, "state": string(cfg.State)}})
	})
	return cfg, err
}
