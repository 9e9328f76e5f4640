// Package actor is who is acting on the backend: the one type for the
// API's callers (a bearer token), the admin page's visitors (a session),
// the system (timed events), as the domain services, the lifecycle and the
// audit log know them.
package actor

import "gatepass.dev/shared/api"

// Actor is who causes a change, and with which credential.
type Actor struct {
	ID    string // the user's id; "" for the system
	Email string
	Name  string
	Role  api.Role
	// Source is the client's address, for the audit log.
	Source string

	// The credential of the request, when there is one: an API token (by
	// its hash, and the device registered with it) or a web session.
	TokenHash string
	DeviceID  string
	SessionID string
}

// System is the actor of timed events (expiry, pending timeouts) and of
// the server's own bootstrap.
var System = Actor{Email: "system"}

// IsAdmin reports whether the actor has the admin role.
func (a Actor) IsAdmin() bool { return a.Role == api.RoleAdmin }

// IsSystem reports whether the actor is the system, not a person.
func (a Actor) IsSystem() bool { return a.ID == "" }
