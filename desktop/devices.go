package main

import (
	"time"

	"gatepass.dev/desktop/internal/localapi"
	"gatepass.dev/shared/api"
)

// Devices lists the user's devices for the Settings' Devices section
// (this one marked current), or says in plain words why it cannot.
func (a *App) Devices() (localapi.Devices, error) {
	ctx, cancel := a.callCtx(40 * time.Second)
	defer cancel()
	d, err := a.client.Devices(ctx)
	if err != nil {
		a.log.Info("call failed", "op", "devices", "err", err)
		return localapi.Devices{Devices: []api.Device{}}, friendlyError("devices", "", err)
	}
	return d, nil
}

// RemoveDevice removes one of the user's devices by id. Removing this
// device signs the agent out: the state it returns is signed out, with
// the agent's message.
func (a *App) RemoveDevice(id string) (UIState, error) {
	ctx, cancel := a.callCtx(40 * time.Second)
	defer cancel()
	st, err := a.client.RemoveDevice(ctx, id)
	return a.answer(st, err, "remove device", "")
}
