package agent

// The user's devices, seen from this machine.
//
//   - Devices lists them as the backend does (public keys only); the one
//     registered with this session's token is marked current.
//   - RemoveDevice takes an id, or a name when no other device has it
//     (localapi.Devices.Find). Removing another device changes nothing
//     here. Removing this device makes the backend revoke this session's
//     token: the agent signs out at once, as for any revoked token (tunnels
//     down, token and session forgotten), with the message
//     MessageDeviceRemoved. The key file stays: the backend never takes a
//     removed device's key again, so the next sign-in replaces it.
//   - Registration (at sign-in, or when a resumed session has no device
//     yet) that the backend refuses for the key itself (400 naming the
//     field public_key: a removed device's key, another device's, a
//     gateway's, an unusable point) generates a new key pair on this
//     machine, replaces the key file and registers once more. Any other
//     refusal (409: the device limit) is the user's to act on and is shown
//     as the backend words it.

import (
	"context"
	"errors"
	"net/http"

	"gatepass.dev/desktop/internal/localapi"
	"gatepass.dev/shared/api"
	"gatepass.dev/shared/client"
	"gatepass.dev/shared/wgkey"
)

// MessageDeviceRemoved is the status message after this device was
// removed from the user's account.
const MessageDeviceRemoved = "This device was removed from your account"

// Devices lists the signed-in user's devices.
func (a *Agent) Devices(ctx context.Context) (localapi.Devices, error) {
	a.mu.Lock()
	s := a.sess
	var deviceID string
	if s != nil {
		deviceID = s.state.DeviceID
	}
	a.mu.Unlock()
	if s == nil {
		return localapi.Devices{}, errNotSignedIn
	}
	var devs []api.Device
	if err := a.call(ctx, s, func(ctx context.Context) error {
		var err error
		devs, err = s.client.Devices(ctx)
		return err
	}); err != nil {
		return localapi.Devices{}, err
	}
	if devs == nil {
		devs = []api.Device{}
	}
	for i := range devs {
		// The backend marks the device of the token; a session that
		// registered before tokens were bound knows its id.
		devs[i].Current = devs[i].Current || (deviceID != "" && devs[i].ID == deviceID)
	}
	a.mu.Lock()
	now := a.clock.Now().Add(a.offset).UTC().Round(0)
	a.mu.Unlock()
	return localapi.Devices{Devices: devs, ServerTime: now}, nil
}

// RemoveDevice removes one of the user's devices, by id or unambiguous
// name; removing this device signs the agent out.
func (a *Agent) RemoveDevice(ctx context.Context, ref string) error {
	list, err := a.Devices(ctx)
	if err != nil {
		return err
	}
	dev, err := list.Find(ref)
	if err != nil {
		return err
	}
	a.mu.Lock()
	s := a.sess
	if s == nil {
		a.mu.Unlock()
		return errNotSignedIn
	}
	this := dev.Current
	if this {
		// The token dies with the device: a watch that sees it first signs
		// out with the right message.
		s.removing = true
	}
	a.mu.Unlock()
	err = a.call(ctx, s, func(ctx context.Context) error { return s.client.RemoveDevice(ctx, dev.ID) })
	if err != nil {
		a.mu.Lock()
		s.removing = false
		a.mu.Unlock()
		return err
	}
	a.log.Info("device removed", "device", dev.ID, "this_device", this)
	if this {
		a.signOutRemoved(s)
	}
	return nil
}

// signOutRemoved ends a session whose device was removed: tunnels down,
// the (revoked) token and the session forgotten, the reason shown.
func (a *Agent) signOutRemoved(s *session) {
	a.forget(s)
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.sess == s {
		a.endSessionLocked()
	} else if a.sess != nil {
		return // another sign-in since: not ours to change
	}
	a.message = MessageDeviceRemoved
	a.broadcastLocked()
}

// registerKey registers key as this machine's device with c's token. A
// refusal of the key itself (400 on public_key) replaces the key pair in
// the file kp by a new one and registers that once; it returns the key in
// use.
func (a *Agent) registerKey(ctx context.Context, c *client.Client, kp string, key wgkey.Key) (api.Device, wgkey.Key, error) {
	dev, err := c.RegisterDevice(ctx, a.opts.DeviceName, key.Public().String())
	if !keyRefused(err) {
		return dev, key, err
	}
	a.log.Info("the backend refused this device's key: generating a new key pair", "reason", errorText(err))
	key, err = newKeyFile(kp)
	if err != nil {
		return api.Device{}, wgkey.Key{}, apiError(http.StatusInternalServerError, api.CodeInternal, "%v", err)
	}
	dev, err = c.RegisterDevice(ctx, a.opts.DeviceName, key.Public().String())
	return dev, key, err
}

// keyRefused says the backend refused a device registration because of the
// public key itself.
func keyRefused(err error) bool {
	var ae *api.Error
	return errors.As(err, &ae) && ae.Status == http.StatusBadRequest && ae.Field == "public_key"
}
