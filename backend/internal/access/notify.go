package access

// Who is emailed about a request, and what.
//
// The deciders of a network are its named approvers (directly or through
// a group; enabled, never service users) — or, when it names none, every
// admin, as before approvers existed. Never the requester: an approver's
// own request goes to the other deciders, and to the admins when no other
// approver is left. Deciders get the new request (held back a minute after
// a recent cancellation, see AdminMailHold) and extension requests; after
// an approval that is not the last, the requester and the deciders who have
// not approved yet get its progress ("1 of 2"); every decider gets the
// alert of a break-glass access at once. The requester gets the decision,
// the extension and the end of the grant.

import (
	"context"
	"fmt"
	"strings"
	"time"

	"gatepass.dev/backend/internal/actor"
	"gatepass.dev/backend/internal/mail"
	"gatepass.dev/backend/internal/outbox"
	"gatepass.dev/backend/internal/store"
	"gatepass.dev/shared/api"
)

// AdminMailHold is how long the deciders' email of a new request is held
// back when its requester has cancelled a request within the last
// RequestWindow: cancelling and requesting again must not mail them again
// and again. A request withdrawn within the hold never reaches their inbox
// (the admin page shows it at once all the same). A first request is
// mailed at once.
const AdminMailHold = time.Minute

// Deciders returns who decides a network's requests and is emailed about
// them, for a request of requesterID: its named approvers, or the admins
// when it names none (or none but the requester).
func Deciders(ctx context.Context, q store.Querier, networkID, requesterID string) ([]store.User, error) {
	approvers, err := store.Approvers(ctx, q, networkID)
	if err != nil {
		return nil, err
	}
	out := others(approvers, requesterID)
	if len(out) > 0 {
		return out, nil
	}
	admins, err := store.ActiveAdmins(ctx, q)
	if err != nil {
		return nil, err
	}
	return others(admins, requesterID), nil
}

func others(users []store.User, id string) []store.User {
	var out []store.User
	for _, u := range users {
		if u.ID != id {
			out = append(out, u)
		}
	}
	return out
}

// approvalsNeeded is the "Approvals" line of a request that needs more
// than one.
func approvalsNeeded(r store.Request) string {
	if r.RequiredApprovals <= 1 {
		return ""
	}
	return fmt.Sprintf("%d from distinct approvers", r.RequiredApprovals)
}

// approvedBy is who approved r, for the requester's email.
func approvedBy(r store.Request) string {
	switch {
	case r.Rule != "":
		return "rule: " + r.Rule
	case len(r.Approvals) > 1:
		var by []string
		for _, a := range r.Approvals {
			by = append(by, a.Email)
		}
		return fmt.Sprintf("%s (%d of %d)", strings.Join(by, ", "), len(r.Approvals), max(1, r.RequiredApprovals))
	}
	return r.DeciderEmail
}

// mailDeciders queues the email of a new request (or an extension
// request, of grant) to its deciders: at once, or held back for
// AdminMailHold after a recent cancellation of its requester.
func (s *Service) mailDeciders(ctx context.Context, q store.Querier, r store.Request, grant store.Request, now time.Time) error {
	to, err := Deciders(ctx, q, r.NetworkID, r.UserID)
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
	for _, u := range to {
		var m mail.Message
		if r.KindOrAccess() == api.KindExtension {
			m = mail.ExtensionRequestMessage(u.Email, mail.ExtensionRequestData{
				PublicURL: base, RequesterName: r.UserName, RequesterEmail: r.UserEmail, Network: r.NetworkName, Reason: r.Reason,
				Added: r.Wished, ExpiresAt: grant.ExpiresAt, Approvals: approvalsNeeded(r), RequestedAt: r.RequestedAt, ReviewURL: ReviewURL(base, r.ID),
			})
		} else {
			m = mail.NewRequestMessage(u.Email, mail.NewRequestData{
				PublicURL: base, RequesterName: r.UserName, RequesterEmail: r.UserEmail, Network: r.NetworkName,
				Reason: r.Reason, Duration: r.Wished, RequestedAt: r.RequestedAt, ReviewURL: ReviewURL(base, r.ID),
				StartsAt: r.StartsAt, Approvals: approvalsNeeded(r),
			})
		}
		if err := outbox.EnqueueHeld(ctx, q, MailNewRequest, m, r.ID, now, notBefore); err != nil {
			return err
		}
	}
	return nil
}

// mailProgress tells the requester and the deciders who have not approved
// yet of an approval that is not the last.
func (s *Service) mailProgress(ctx context.Context, q store.Querier, r store.Request, by actor.Actor, now time.Time) error {
	base := s.opt.PublicURL()
	d := mail.ProgressData{PublicURL: base, Network: r.NetworkName, RequesterEmail: r.UserEmail, ApprovedBy: by.Email,
		Count: len(r.Approvals), Required: max(1, r.RequiredApprovals)}
	mine := d
	mine.ForRequester = true
	if err := outbox.Enqueue(ctx, q, MailProgress, mail.ProgressMessage(r.UserEmail, mine), now); err != nil {
		return err
	}
	to, err := Deciders(ctx, q, r.NetworkID, r.UserID)
	if err != nil {
		return err
	}
	d.ReviewURL = ReviewURL(base, r.ID)
	for _, u := range to {
		if r.ApprovedBy(u.ID) {
			continue
		}
		if err := outbox.Enqueue(ctx, q, MailProgress, mail.ProgressMessage(u.Email, d), now); err != nil {
			return err
		}
	}
	return nil
}

// mailBreakGlass alerts every decider of the network of a break-glass
// access, at once.
func (s *Service) mailBreakGlass(ctx context.Context, q store.Querier, r store.Request, now time.Time) error {
	to, err := Deciders(ctx, q, r.NetworkID, r.UserID)
	if err != nil {
		return err
	}
	base := s.opt.PublicURL()
	for _, u := range to {
		m := mail.BreakGlassMessage(u.Email, mail.BreakGlassData{PublicURL: base, RequesterName: r.UserName, RequesterEmail: r.UserEmail,
			Network: r.NetworkName, Reason: r.Reason, Duration: r.Granted, ExpiresAt: r.ExpiresAt, At: r.DecidedAt, ReviewURL: ReviewURL(base, r.ID)})
		if err := outbox.Enqueue(ctx, q, MailBreakGlass, m, now); err != nil {
			return err
		}
	}
	return nil
}

// mailExtended tells the requester that their grant was extended.
func (s *Service) mailExtended(ctx context.Context, q store.Querier, grant, ext store.Request, now time.Time) error {
	m := mail.ExtendedMessage(grant.UserEmail, mail.ExtendedData{PublicURL: s.opt.PublicURL(), Network: grant.NetworkName,
		Added: ext.Granted, ExpiresAt: grant.ExpiresAt, ApprovedBy: approvedBy(ext)})
	return outbox.Enqueue(ctx, q, MailExtended, m, now)
}
