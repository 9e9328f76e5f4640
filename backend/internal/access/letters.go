package access

import (
	"context"
	"time"

	"gatepass.dev/backend/internal/actor"
	"gatepass.dev/backend/internal/mail"
	"gatepass.dev/backend/internal/outbox"
	"gatepass.dev/backend/internal/store"
)

// Outbox kinds of the lifecycle emails.
const (
	MailNewRequest     = "new_request"
	MailApproved       = "approved"
	MailDenied         = "denied"
	MailExpired        = "expired"
	MailRevoked        = "revoked"
	MailPendingExpired = "pending_expired"
)

// ReviewURL is the admin page of a request: the link in the admin email.
func ReviewURL(publicURL, requestID string) string {
	return publicURL + "/admin/requests/" + requestID
}

// AdminMailHold is how long the admins' email of a new request is held
// back when its requester has cancelled a request within the last
// RequestWindow: cancelling and requesting again must not mail the admins
// again and again. A request withdrawn within the hold never reaches their
// inbox (the admin page shows it at once all the same). A first request is
// mailed at once.
const AdminMailHold = time.Minute

// mailAdmins queues the new-request email to every active admin but the
// requester: at once, or held back for AdminMailHold after a recent
// cancellation of theirs.
func (s *Service) mailAdmins(ctx context.Context, q store.Querier, r store.Request, now time.Time) error {
	admins, err := store.ActiveAdmins(ctx, q)
	if err != nil {
		return err
	}
	notBefore := now
	if n, err := store.CancelledSince(ctx, q, r.UserID, now.Add(-RequestWindow)); err != nil {
		return err
	} else if n > 0 {
		notBefore = now.Add(AdminMailHold)
	}
	base := s.opt.PublicURL()
	for _, a := range admins {
		if a.ID == r.UserID {
			continue
		}
		m := mail.NewRequestMessage(a.Email, mail.NewRequestData{
			PublicURL: base, RequesterName: r.UserName, RequesterEmail: r.UserEmail, Network: r.NetworkName,
			Reason: r.Reason, Duration: r.Wished, RequestedAt: r.RequestedAt, ReviewURL: ReviewURL(base, r.ID),
		})
		if err := outbox.EnqueueHeld(ctx, q, MailNewRequest, m, r.ID, now, notBefore); err != nil {
			return err
		}
	}
	return nil
}

// mailFor queues the requester's email for one effect, if it is a mail effect.
func (s *Service) mailFor(ctx context.Context, q store.Querier, ef Effect, r store.Request, by actor.Actor, now time.Time) error {
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
		return MailApproved, mail.ApprovedMessage(r.UserEmail, mail.ApprovedData{PublicURL: base, Network: r.NetworkName, ApprovedBy: r.DeciderEmail, Duration: r.Granted, ExpiresAt: r.ExpiresAt}), true
	case EffectMailDenied:
		return MailDenied, mail.DeniedMessage(r.UserEmail, mail.DeniedData{PublicURL: base, Network: r.NetworkName, DeniedBy: r.DeciderEmail, DeniedAt: r.DecidedAt, Note: r.Note}), true
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
