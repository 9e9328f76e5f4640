package localapi

import (
	"fmt"
	"net/http"
	"sort"
	"strings"
	"time"

	"gatepass.dev/shared/api"
)

// Devices is GET /localapi/v1/devices and `gatepassd devices --json`: the
// signed-in user's devices as the backend lists them (public keys only),
// the one of this machine marked current (a contract: fields are only ever
// added).
type Devices struct {
	Devices []api.Device `json:"devices"`
	// ServerTime is the agent's clock corrected by the server's offset:
	// what created_at and last_seen_at compare to.
	ServerTime time.Time `json:"server_time"`
}

// Current returns this machine's device, if it is in the list.
func (d Devices) Current() (api.Device, bool) {
	for _, dev := range d.Devices {
		if dev.Current {
			return dev, true
		}
	}
	return api.Device{}, false
}

// Find returns the device that ref names: its id, else its name when one
// device alone has it. A name of several devices is a 400 that lists their
// ids; no match is a 404.
func (d Devices) Find(ref string) (api.Device, error) {
	ref = strings.TrimSpace(ref)
	if ref == "" {
		return api.Device{}, &api.Error{Status: http.StatusBadRequest, Code: api.CodeBadRequest, Field: "device", Message: "device: give the id or the name of the device to remove"}
	}
	for _, dev := range d.Devices {
		if dev.ID == ref {
			return dev, nil
		}
	}
	var named []api.Device
	for _, dev := range d.Devices {
		if dev.Name == ref {
			named = append(named, dev)
		}
	}
	switch len(named) {
	case 0:
		return api.Device{}, &api.Error{Status: http.StatusNotFound, Code: api.CodeNotFound, Message: fmt.Sprintf("you have no device named %q (nor with that id)", ref)}
	case 1:
		return named[0], nil
	}
	ids := make([]string, len(named))
	for i, dev := range named {
		ids[i] = dev.ID
	}
	sort.Strings(ids)
	return api.Device{}, &api.Error{Status: http.StatusBadRequest, Code: api.CodeBadRequest, Field: "device",
		Message: fmt.Sprintf("%d of your devices are named %q: give the id of the one to remove (%s)", len(named), ref, strings.Join(ids, ", "))}
}
