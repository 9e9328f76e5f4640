package agent

// The user's actions of the policies: more time on an active grant
// (Extend) and emergency access (BreakGlass). A scheduled request is
// Request with a start (actions.go).
//
// Decisions:
//   - Both check the network's state here first, for a message that names
//     the network ("office-network has no active grant to extend"); the
//     backend decides the rest (the network's room, its break-glass
//     groups and cap) and its 400/403/409 pass through in its words.
//   - An extension never touches the tunnel: when it is granted the
//     grant's expires_at moves in the next event, reconcile sees the same
//     grant still active and arms its one timer at the new end. The
//     tunnel is neither closed nor brought up again.
//   - A break-glass grant is an ordinary active grant to the agent: it
//     comes up like an approval ("connect automatically on approval").

import (
	"context"
	"net/http"
	"strings"
	"time"

	"gatepass.dev/desktop/internal/localapi"
	"gatepass.dev/shared/api"
	"gatepass.dev/shared/humantime"
)

// Extend asks for more time on a network's active grant.
func (a *Agent) Extend(ctx context.Context, name string, in localapi.ExtendRequest) error {
	reason := strings.TrimSpace(in.Reason)
	if reason == "" {
		return fieldError("reason", "reason: say why you need more time")
	}
	if in.DurationSeconds <= 0 {
		return fieldError("duration_seconds", "duration_seconds: how much more time? (e.g. 2h)")
	}
	s, _, grant, err := a.requestIn(name, api.StateActive, api.StatusApproved, "active grant to extend")
	if err != nil {
		return err
	}
	a.mu.Lock()
	var ext *api.Request
	var room int64
	if n := a.netLocked(name); n != nil {
		ext, room = n.view.Extension, n.view.MaxExtensionSeconds
	}
	a.mu.Unlock()
	if ext != nil && ext.Status == api.StatusPending && ext.GrantID == grant.ID {
		return apiError(http.StatusConflict, api.CodeConflict, "an extension of %s is already pending (+%s)", name, humantime.Span(time.Duration(ext.DurationSeconds)*time.Second))
	}
	if room <= 0 {
		return apiError(http.StatusConflict, api.CodeConflict, "your access to %s cannot be extended: it already lasts the network's maximum", name)
	}
	if err := a.call(ctx, s, func(ctx context.Context) error {
		_, err := s.client.Extend(ctx, grant.ID, reason, time.Duration(in.DurationSeconds)*time.Second)
		return err
	}); err != nil {
		return err
	}
	a.refreshQuietly(ctx, s)
	return nil
}

// BreakGlass takes emergency access to a network at once, where the
// network allows it for the user.
func (a *Agent) BreakGlass(ctx context.Context, name string, in localapi.BreakGlassRequest) error {
	reason := strings.TrimSpace(in.Reason)
	if reason == "" {
		return fieldError("reason", "reason: say what the emergency is (every approver reads it)")
	}
	if in.DurationSeconds < 0 {
		return fieldError("duration_seconds", "duration_seconds: must not be negative")
	}
	a.mu.Lock()
	s, id, n, st, err := a.lookupLocked(name)
	var bg *api.MyBreakGlass
	if err == nil {
		bg = n.view.BreakGlass
	}
	a.mu.Unlock()
	if err != nil {
		return err
	}
	switch {
	case st == api.StateActive:
		return apiError(http.StatusConflict, api.CodeConflict, "you already have access to %s", name)
	case st == api.StateStanding:
		return apiError(http.StatusConflict, api.CodeConflict, "%s needs no break-glass: you have standing access", name)
	case bg == nil:
		return apiError(http.StatusForbidden, api.CodeForbidden, "break-glass access to %s is not open to you: request access instead", name)
	case bg.MaxDurationSeconds > 0 && in.DurationSeconds > bg.MaxDurationSeconds:
		return fieldError("duration_seconds", "duration_seconds: break-glass access to %s lasts at most %s", name, humantime.Span(time.Duration(bg.MaxDurationSeconds)*time.Second))
	}
	if err := a.call(ctx, s, func(ctx context.Context) error {
		_, err := s.client.BreakGlass(ctx, id, reason, time.Duration(in.DurationSeconds)*time.Second)
		return err
	}); err != nil {
		return err
	}
	a.refreshQuietly(ctx, s)
	return nil
}

// netLocked finds a network by name or id.
func (a *Agent) netLocked(name string) *netState {
	for _, n := range a.nets {
		if n.view.Name == name {
			return n
		}
	}
	return a.nets[name]
}
