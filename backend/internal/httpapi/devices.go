package httpapi

import (
	"net/http"

	"gatepass.dev/backend/internal/access"
	"gatepass.dev/backend/internal/actor"
	"gatepass.dev/backend/internal/store"
	"gatepass.dev/shared/api"
)

// registerDevice registers the caller's device public key and gives it an
// address in each of the caller's networks (access.RegisterDevice: 201 for
// a new device, 200 for the caller's device with that key).
func (s *Server) registerDevice(w http.ResponseWriter, r *http.Request, p actor.Actor) {
	var in api.DeviceInput
	if err := decode(w, r, &in, false); err != nil {
		s.writeError(w, r, err)
		return
	}
	reg, err := s.Access.RegisterDevice(r.Context(), p, p.TokenHash, in.Name, in.PublicKey)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	status := http.StatusOK
	if reg.Created {
		status = http.StatusCreated
	}
	d := access.DeviceAPI(reg.Device)
	d.Current = p.DeviceID == "" || p.DeviceID == d.ID
	writeJSON(w, status, api.DeviceResponse{Device: d, ServerTime: s.now()})
}

// listDevices lists the caller's devices, the one of the caller's token
// marked current.
func (s *Server) listDevices(w http.ResponseWriter, r *http.Request, p actor.Actor) {
	devs, err := s.Access.Devices(r.Context(), p.ID, p.DeviceID)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, api.DeviceList{Devices: devs, ServerTime: s.now()})
}

// removeDevice removes one of the caller's devices (or, for an admin, any
// device: DELETE /api/v1/admin/devices/{id}).
func (s *Server) removeDevice(w http.ResponseWriter, r *http.Request, p actor.Actor) {
	if _, err := s.Access.RemoveDevice(r.Context(), p, r.PathValue("id")); err != nil {
		s.writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// adminUserDevices lists a user's devices for an admin.
func (s *Server) adminUserDevices(w http.ResponseWriter, r *http.Request, p actor.Actor) {
	u, err := store.UserByID(r.Context(), s.DB, r.PathValue("id"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	devs, err := s.Access.Devices(r.Context(), u.ID, "")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, api.DeviceList{Devices: devs, ServerTime: s.now()})
}
