package main

// The window's actions of the policies: Extend (more time on an active
// grant: the row's "Extend…", or the tray's "Extend access…") and
// BreakGlass (emergency access where the network allows it for the user).
// A scheduled request is Request with a start (app.go). As with Request,
// the reason is checked here with the server's rules (checkReason) and the
// agent's answer is worded for people (friendlyError).

import (
	"errors"
	"time"
)

// Extend asks for durationSeconds more on a network's active grant.
func (a *App) Extend(network, reason string, durationSeconds int64) (UIState, error) {
	reason, err := checkReason(reason)
	if err != nil {
		return a.State(), err
	}
	if durationSeconds <= 0 {
		return a.State(), errors.New("Choose how much more time you need.")
	}
	ctx, cancel := a.callCtx(40 * time.Second)
	defer cancel()
	st, err := a.client.Extend(ctx, network, reason, time.Duration(durationSeconds)*time.Second)
	return a.answer(st, err, "extend", "")
}

// BreakGlass takes emergency access to a network at once, for
// durationSeconds (0: the network's break-glass maximum).
func (a *App) BreakGlass(network, reason string, durationSeconds int64) (UIState, error) {
	reason, err := checkReason(reason)
	if err != nil {
		return a.State(), err
	}
	if durationSeconds < 0 {
		return a.State(), errors.New("The duration must be positive.")
	}
	ctx, cancel := a.callCtx(40 * time.Second)
	defer cancel()
	st, err := a.client.BreakGlass(ctx, network, reason, time.Duration(durationSeconds)*time.Second)
	return a.answer(st, err, "break-glass", "")
}
