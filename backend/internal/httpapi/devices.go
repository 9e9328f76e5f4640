package httpapi

import (
	"database/sql"
	"encoding/base64"
	"errors"
	"net/http"

	"gatepass.dev/backend/internal/access"
	"gatepass.dev/backend/internal/fault"
	"gatepass.dev/backend/internal/store"
	"gatepass.dev/shared/api"
)

// ParsePublicKey checks a WireGuard public key: standard base64 of 32 bytes,
// not all zero. It returns the canonical encoding.
func ParsePublicKey(s string) (string, error) {
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil || len(b) != 32 {
		return "", fault.Field("public_key", "must be a WireGuard public key (base64 of 32 bytes)")
	}
	zero := true
	for _, c := range b {
		zero = zero && c == 0
	}
	if zero {
		return "", fault.Field("public_key", "must not be all zero")
	}
	return base64.StdEncoding.EncodeToString(b), nil
}

func deviceAPI(d store.Device) api.Device {
	addrs := d.Addresses
	if addrs == nil {
		addrs = map[string]string{}
	}
	return api.Device{ID: d.ID, Name: d.Name, PublicKey: d.PublicKey, Addresses: addrs, CreatedAt: d.CreatedAt}
}

// registerDevice registers the caller's device public key and gives it an
// address in each of the caller's networks. Registering a key the caller
// already registered returns that device (200); another user's key is 409.
func (s *Server) registerDevice(w http.ResponseWriter, r *http.Request, p principal) {
	var in api.DeviceInput
	if err := decode(w, r, &in, false); err != nil {
		s.writeError(w, r, err)
		return
	}
	key, err := ParsePublicKey(in.PublicKey)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	name, err := access.CleanText("name", in.Name, 64, false)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if name == "" {
		name = "device"
	}
	now := s.now()
	status := http.StatusCreated
	var dev store.Device
	err = s.DB.Tx(r.Context(), func(tx *sql.Tx) error {
		existing, err := store.DeviceByPublicKey(r.Context(), tx, key)
		switch {
		case err == nil && existing.UserID != p.User.ID:
			return fault.New(fault.Conflict, "this public key is registered to another user: generate a new key pair")
		case err == nil:
			dev, status = existing, http.StatusOK
		case errors.Is(err, store.ErrNotFound):
			dev = store.Device{ID: store.NewID("dev"), UserID: p.User.ID, Name: name, PublicKey: key, CreatedAt: now}
			if err := store.CreateDevice(r.Context(), tx, dev); err != nil {
				return err
			}
			if err := store.InsertAudit(r.Context(), tx, store.AuditEntry{At: now, ActorID: p.User.ID, ActorEmail: p.User.Email,
				Action: "device.register", TargetType: "device", TargetID: dev.ID, SourceAddr: p.Source,
				Details: map[string]string{"name": name, "public_key": key}}); err != nil {
				return err
			}
		default:
			return err
		}
		if err := assignAll(r, tx, dev.ID, p.User.ID); err != nil {
			return err
		}
		dev, err = store.DeviceByID(r.Context(), tx, dev.ID)
		return err
	})
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if status == http.StatusCreated {
		// The gateways learn of the new device before its owner can ask for a tunnel.
		s.Access.Notify(access.Change{UserIDs: []string{p.User.ID}, Effects: []access.Effect{access.EffectGatewaySync}})
	}
	writeJSON(w, status, api.DeviceResponse{Device: deviceAPI(dev), ServerTime: now})
}

// assignAll gives a device an address in every network of its user.
func assignAll(r *http.Request, tx *sql.Tx, deviceID, userID string) error {
	nets, err := store.NetworksOfUser(r.Context(), tx, userID)
	if err != nil {
		return err
	}
	for _, n := range nets {
		if _, err := store.AssignAddress(r.Context(), tx, deviceID, n); err != nil {
			return err
		}
	}
	return nil
}

// listDevices lists the caller's devices.
func (s *Server) listDevices(w http.ResponseWriter, r *http.Request, p principal) {
	devs, err := store.DevicesOfUser(r.Context(), s.DB, p.User.ID)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out := api.DeviceList{Devices: []api.Device{}, ServerTime: s.now()}
	for _, d := range devs {
		out.Devices = append(out.Devices, deviceAPI(d))
	}
	writeJSON(w, http.StatusOK, out)
}
