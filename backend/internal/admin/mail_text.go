package admin

import (
	"fmt"
	"strings"

	"gatepass.dev/backend/internal/access"
	"gatepass.dev/backend/internal/store"
	"gatepass.dev/shared/api"
)

// MailText says an email of the outbox in words: whom it tells what, and
// where its delivery stands — "To casey@example.com: their access to
// staging-internal was approved — delivered". The network is read from the
// subject (user text: the page escapes it).
func MailText(m store.OutboxMessage) string {
	_, about, _ := strings.Cut(m.Subject, ": ")
	var what string
	switch m.Kind {
	case access.MailNewRequest:
		what = "a new access request to review, " + about
	case access.MailApproved:
		what = "their access to " + about + " was approved"
	case access.MailDenied:
		what = "their request for " + about + " was denied"
	case access.MailExpired:
		what = "their access to " + about + " expired"
	case access.MailRevoked:
		if strings.HasPrefix(m.Subject, "Access ended") {
			what = "they gave up their access to " + about
		} else {
			what = "their access to " + about + " was revoked"
		}
	case access.MailPendingExpired:
		what = "their request for " + about + " timed out unanswered"
	case MailInvite:
		what = "an invitation to set a password and sign in"
	default:
		what = quote(m.Subject)
	}
	return fmt.Sprintf("To %s: %s — %s", m.To, what, mailState(m))
}

// MailInvite is the outbox kind of an invitation.
const MailInvite = "invite"

// mailState says where a message's delivery stands.
func mailState(m store.OutboxMessage) string {
	switch m.Status {
	case api.OutboxSent:
		return "delivered"
	case api.OutboxFailed:
		s := "given up after " + plural(fmt.Sprint(m.Attempts), "attempt", "attempts")
		if m.LastError != "" {
			s += ": " + m.LastError
		}
		return s
	case api.OutboxUndeliverable:
		return "not sent: no SMTP server was configured"
	}
	if m.Attempts > 0 {
		return "failed " + plural(fmt.Sprint(m.Attempts), "time", "times") + ", will try again"
	}
	return "waiting to be sent"
}
