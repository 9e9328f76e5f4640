package access

import (
	"context"
	"time"

	"gatepass.dev/backend/internal/actor"
	"gatepass.dev/backend/internal/mail"
	"gatepass.dev/backend/internal/outbox"
	"gatepass.dev/backend/internal/store"
	"gatepass.dev/shared/api"
)

// Outbox kinds of the lifecycle emails.
const (
	MailNewRequest     = "new_request"
	MailApproved       = "approved"
	MailDenied         = "denied"
	MailExpired        = "expired"
	MailRevoked        = "revoked"
	MailPendingExpired = "pending_expired"
	MailProgress       = "approval_progress"
	MailExtended       = "extended"
	MailBreakGlass     = "break_glass"
)

// ReviewURL is the admin page of a request: the link in the admin email.
func ReviewURL(publicURL, requestID string) string {
	return publicURL + "/admin/requests/" + requestID
}

// mailFor queues the emails of one effect, if it is a mail effect: the
// requester's, or the deciders' (progress, break-glass).
func (s *Service) mailFor(ctx context.Context, q store.Querier, ef Effect, r store.Request, by actor.Actor, now time.Time) error {
	switch ef {
	case EffectMailProgress:
		return s.mailProgress(ctx, q, r, by, now)
	case EffectMailBreakGlass:
		return s.mailBreakGlass(ctx, q, r, now)
	case EffectMailExtended:
		return nil // extendGrant mails it, with the grant's new end
	}
	kind, m, ok := s.letter(ef, r, by)
	if !ok {
		return nil
	}
	return outbox.Enqueue(ctx, q, kind, m, now)
}

// letter renders the requester's email for one effect; ok is false for an
// effect that sends none.
func (s *Service) letter(ef Effect, r store.Request, by actor.Actor) (kind string, m mail.Message, ok bool) {
	base := s.opt.PublicURL()
	switch ef {
	case EffectMailApproved:
		return MailApproved, mail.ApprovedMessage(r.UserEmail, mail.ApprovedData{PublicURL: base, Network: r.NetworkName, ApprovedBy: approvedBy(r),
			Duration: r.Granted, ExpiresAt: r.ExpiresAt, StartsAt: r.StartsAt}), true
	case EffectMailDenied:
		return MailDenied, mail.DeniedMessage(r.UserEmail, mail.DeniedData{PublicURL: base, Network: r.NetworkName, DeniedBy: r.DeciderEmail, DeniedAt: r.DecidedAt, Note: r.Note,
			Extension: r.KindOrAccess() == api.KindExtension}), true
	case EffectMailExpired:
		return MailExpired, mail.ExpiredMessage(r.UserEmail, mail.ExpiredData{PublicURL: base, Network: r.NetworkName, ExpiredAt: r.ExpiresAt}), true
	case EffectMailRevoked:
		return MailRevoked, mail.RevokedMessage(r.UserEmail, mail.RevokedData{PublicURL: base, Network: r.NetworkName, ByUser: by.ID == r.UserID, RevokedBy: r.EnderEmail, RevokedAt: r.EndedAt, Note: r.Note}), true
	case EffectMailPendingExpired:
		return MailPendingExpired, mail.PendingExpiredMessage(r.UserEmail, mail.PendingExpiredData{PublicURL: base, Network: r.NetworkName, RequestedAt: r.RequestedAt, ExpiredAt: r.EndedAt}), true
	}
	return "", mail.Message{}, false
}

// letterCache reuses the rendered expiry email within one sweep: grants of
// one network that expire at the same instant (a shift ending) get the same
// text, only the recipient differs.
type letterCache map[string]mail.Message

func (c letterCache) letter(s *Service, ef Effect, r store.Request, by actor.Actor) (string, mail.Message, bool) {
	if ef != EffectMailExpired {
		return s.letter(ef, r, by)
	}
	key := r.NetworkID + "\x00" + r.ExpiresAt.Format(time.RFC3339Nano)
	if m, ok := c[key]; ok {
		m.To = r.UserEmail
		return MailExpired, m, true
	}
	kind, m, ok := s.letter(ef, r, by)
	if ok {
		c[key] = m
	}
	return kind, m, ok
}
