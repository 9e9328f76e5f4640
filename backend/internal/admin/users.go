package admin

import (
	"context"
	"database/sql"
	"strings"
	"time"

	"gatepass.dev/backend/internal/access"
	"gatepass.dev/backend/internal/actor"
	"gatepass.dev/backend/internal/auth"
	"gatepass.dev/backend/internal/events"
	"gatepass.dev/backend/internal/fault"
	"gatepass.dev/backend/internal/mail"
	"gatepass.dev/backend/internal/outbox"
	"gatepass.dev/backend/internal/store"
	"gatepass.dev/shared/api"
)

// CreateUser creates a user with a password (which must pass the password
// policy, auth.ValidatePassword) or, without one, invites them: an email
// with a one-time link to set a password.
func (s *Service) CreateUser(ctx context.Context, c actor.Actor, in api.UserInput) (store.User, error) {
	email := store.NormalizeEmail(in.Email)
	if err := mail.ValidAddress(email); err != nil {
		return store.User{}, fault.Field("email", "%q is not an email address like user@example.com", in.Email)
	}
	name, err := access.CleanText("name", in.Name, 100, false)
	if err != nil {
		return store.User{}, err
	}
	if name == "" {
		name, _, _ = strings.Cut(email, "@")
	}
	if in.Role == "" {
		in.Role = api.RoleUser
	}
	if !in.Role.Valid() {
		return store.User{}, fault.Field("role", "must be admin or user")
	}
	hash := ""
	if in.Password != "" {
		if err := auth.ValidatePassword(in.Password, email, name); err != nil {
			return store.User{}, err
		}
		if hash, err = auth.HashPassword(in.Password); err != nil {
			return store.User{}, err
		}
	}
	now := s.now()
	u := store.User{ID: store.NewID("usr"), Email: email, Name: name, Role: in.Role, PasswordHash: hash, CreatedAt: now, UpdatedAt: now}
	invited := hash == ""
	err = s.DB.Tx(ctx, func(tx *sql.Tx) error {
		if err := store.CreateUser(ctx, tx, u); err != nil {
			return err
		}
		action := "user.create"
		if invited {
			action = "user.invite"
			if err := s.invite(ctx, tx, c, u, now); err != nil {
				return err
			}
		}
		return store.InsertAudit(ctx, tx, s.audit(c, action, "user", u.ID, "", map[string]string{"email": u.Email, "role": string(u.Role)}))
	})
	if err != nil {
		return store.User{}, err
	}
	s.Bus.Publish(events.Change{Everyone: true, Mail: invited, Gateway: true})
	return u, nil
}

// InviteURL is the link of an invitation email: the page that lets the
// invited user set a password.
func InviteURL(publicURL, secret string) string { return publicURL + "/invite?token=" + secret }

// invite queues the invitation email with a one-time link.
func (s *Service) invite(ctx context.Context, tx *sql.Tx, c actor.Actor, u store.User, now time.Time) error {
	secret, hash := auth.NewToken()
	tok := store.Token{ID: store.NewID("inv"), UserID: u.ID, Hash: hash, Kind: store.TokenInvite, CreatedAt: now, ExpiresAt: now.Add(s.InviteTTL)}
	if err := store.CreateToken(ctx, tx, tok); err != nil {
		return err
	}
	base := s.Settings.PublicURL()
	m := mail.InviteMessage(u.Email, mail.InviteData{PublicURL: base, InviterName: c.Name, InviteeName: u.Name,
		URL: InviteURL(base, secret), ExpiresAt: tok.ExpiresAt})
	return outbox.Enqueue(ctx, tx, MailInvite, m, now)
}

// UpdateUser changes a user's name, role or disabled flag. A change that
// can close the gateway to them (disabling; any role change) re-checks
// their open requests in the same transaction (access.Service.Settle: a
// disabled user's grants are revoked and pending requests denied, with
// their audit rows and emails), and disabling signs them out everywhere:
// API tokens and web sessions. The gateways follow after the commit.
func (s *Service) UpdateUser(ctx context.Context, c actor.Actor, id string, in api.UserPatch) (store.User, error) {
	now := s.now()
	var u store.User
	var settled access.Settled
	err := s.DB.Tx(ctx, func(tx *sql.Tx) error {
		var err error
		u, err = store.UserByID(ctx, tx, id)
		if err != nil {
			return err
		}
		details := map[string]string{"email": u.Email}
		if in.Name != nil {
			name, err := access.CleanText("name", *in.Name, 100, true)
			if err != nil {
				return err
			}
			u.Name, details["name"] = name, name
		}
		if in.Role != nil {
			if !in.Role.Valid() {
				return fault.Field("role", "must be admin or user")
			}
			if u.ID == c.ID && *in.Role != api.RoleAdmin {
				return fault.Conflictf("you cannot remove your own admin role: ask another admin")
			}
			if u.Service && *in.Role == api.RoleAdmin {
				return fault.Field("role", "%s is a service user: a service user cannot be an admin", u.Email)
			}
			u.Role, details["role"] = *in.Role, string(*in.Role)
		}
		disabling := in.Disabled != nil && *in.Disabled && !u.Disabled
		if in.Disabled != nil {
			if u.ID == c.ID && *in.Disabled {
				return fault.Conflictf("you cannot disable your own account")
			}
			u.Disabled, details["disabled"] = *in.Disabled, BoolStr(*in.Disabled)
		}
		u.UpdatedAt = now
		if err := store.UpdateUser(ctx, tx, u); err != nil {
			return err
		}
		if err := store.InsertAudit(ctx, tx, s.audit(c, "user.update", "user", u.ID, "", details)); err != nil {
			return err
		}
		if settled, err = s.Access.Settle(ctx, tx, c, access.Scope{UserID: u.ID}); err != nil {
			return err
		}
		if disabling {
			if err := store.RevokeUserTokens(ctx, tx, u.ID, now); err != nil {
				return err
			}
			if err := store.RevokeUserSessions(ctx, tx, u.ID, now); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return store.User{}, err
	}
	s.Bus.Publish(settled.Change(events.Change{UserIDs: []string{u.ID}, Gateway: true}))
	return u, nil
}
