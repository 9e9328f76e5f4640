// Package admin is the administration shared by the JSON API (httpapi) and
// the admin web page (web): networks (with their approvers, required
// approvals and break-glass policy), groups, rules, users and service
// users, server settings, the outbox, and the parsing of the request and
// audit filters. Each operation validates
// its input, commits the change together with its audit row (and outbox
// rows) in one transaction, then publishes it on the bus — so a
// change made in the browser and one made through the API take the same
// path. Request decisions (grant, deny, revoke) are not here: they are
// access.Service.Do.
//
// It also holds the words both faces show: AuditText (an audit entry in
// one sentence, for the log, a request's history and the exports),
// MailText (an outbox email), BulkLine and BulkSummary (what a bulk
// decision did, per request), as Sentences whose times the page shows in
// the viewer's zone and String writes in UTC.
//
// Failures are *fault.Error values (validation ones name the field);
// callers render them as JSON or next to the form field.
package admin

import (
	"time"

	"github.com/jonboulle/clockwork"

	"gatepass.dev/backend/internal/access"
	"gatepass.dev/backend/internal/actor"
	"gatepass.dev/backend/internal/events"
	"gatepass.dev/backend/internal/outbox"
	"gatepass.dev/backend/internal/settings"
	"gatepass.dev/backend/internal/store"
)

// Deps are what the operations need.
type Deps struct {
	DB       *store.DB
	Bus      *events.Bus
	Access   *access.Service
	Settings *settings.Store
	Clock    clockwork.Clock
	Outbox   *outbox.Worker // woken after a settings change or a retry; may be nil
	Sender   outbox.Sender  // sends the test email
	// InviteTTL is the lifetime of an invitation link (default 7 days).
	InviteTTL time.Duration
	// FirstListenPort is where the search for a new network's free UDP port
	// starts (default FirstListenPort).
	FirstListenPort int
}

// Service runs the operations.
type Service struct{ Deps }

// New returns a Service.
func New(d Deps) *Service {
	if d.InviteTTL == 0 {
		d.InviteTTL = 7 * 24 * time.Hour
	}
	return &Service{Deps: d}
}

func (s *Service) now() time.Time { return s.Clock.Now().UTC() }

func (s *Service) wakeOutbox() {
	if s.Outbox != nil {
		s.Outbox.Wake()
	}
}

func (s *Service) audit(c actor.Actor, action, targetType, targetID, networkID string, details map[string]string) store.AuditEntry {
	return store.AuditEntry{At: s.now(), ActorID: c.ID, ActorEmail: c.Email, Action: action,
		TargetType: targetType, TargetID: targetID, NetworkID: networkID, Source: c.Source, Details: details}
}

// BoolStr is "true" or "false" for audit details.
func BoolStr(b bool) string {
	if b {
		return "true"
	}
	return "false"
}
