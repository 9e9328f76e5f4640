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
	"gatepass.dev/backend/internal/store"
	"gatepass.dev/shared/api"
)

// Service users are non-human accounts (a CI runner) that admins create.
// They have no password — they never sign in with one, on the API or the
// page, and get no invitation — but an API token, shown once when the
// user is created and whenever an admin issues a new one (which signs out
// the old ones), valid ServiceTokenTTL. With it they register device keys
// and request access through the API and the CLI like anyone, under the
// same rules; they are never admins and never approvers. The API marks
// them "service": true, and their requests "user_service": true.

// ServiceTokenTTL is the lifetime of a service user's API token.
const ServiceTokenTTL = 365 * 24 * time.Hour

// ServiceToken is a service user's new API token, shown once.
type ServiceToken struct {
	User      store.User
	Secret    string
	ExpiresAt time.Time
}

// CreateServiceUser creates a service user with its first API token.
func (s *Service) CreateServiceUser(ctx context.Context, c actor.Actor, in api.UserInput) (ServiceToken, error) {
	email := store.NormalizeEmail(in.Email)
	if err := mail.ValidAddress(email); err != nil {
		return ServiceToken{}, fault.Field("email", "%q is not an email address like ci-runner@example.com (its notifications go there)", in.Email)
	}
	if in.Password != "" {
		return ServiceToken{}, fault.Field("password", "a service user has no password: it signs in with the API token in the answer")
	}
	if in.Role != "" && in.Role != api.RoleUser {
		return ServiceToken{}, fault.Field("role", "a service user cannot be an admin")
	}
	name, err := access.CleanText("name", in.Name, 100, false)
	if err != nil {
		return ServiceToken{}, err
	}
	if name == "" {
		name, _, _ = strings.Cut(email, "@")
	}
	now := s.now()
	u := store.User{ID: store.NewID("usr"), Email: email, Name: name, Role: api.RoleUser, Service: true, CreatedAt: now, UpdatedAt: now}
	var out ServiceToken
	err = s.DB.Tx(ctx, func(tx *sql.Tx) error {
		if err := store.CreateUser(ctx, tx, u); err != nil {
			return err
		}
		if err := store.InsertAudit(ctx, tx, s.audit(c, "user.create", "user", u.ID, "",
			map[string]string{"email": u.Email, "role": string(u.Role), "service": "true"})); err != nil {
			return err
		}
		out, err = s.issueServiceToken(ctx, tx, c, u, now)
		return err
	})
	if err != nil {
		return ServiceToken{}, err
	}
	s.Bus.Publish(events.Change{Everyone: true, Gateway: true})
	return out, nil
}

// NewServiceToken issues a service user a new API token and signs out
// its others.
func (s *Service) NewServiceToken(ctx context.Context, c actor.Actor, id string) (ServiceToken, error) {
	now := s.now()
	var out ServiceToken
	err := s.DB.Tx(ctx, func(tx *sql.Tx) error {
		u, err := store.UserByID(ctx, tx, id)
		if err != nil {
			return err
		}
		if !u.Service {
			return fault.Conflictf("%s is not a service user: people sign in with their password", u.Email)
		}
		if u.Disabled {
			return fault.Conflictf("the service user %s is disabled: enable it first", u.Email)
		}
		if err := store.RevokeUserTokens(ctx, tx, u.ID, now); err != nil {
			return err
		}
		out, err = s.issueServiceToken(ctx, tx, c, u, now)
		return err
	})
	if err != nil {
		return ServiceToken{}, err
	}
	s.Bus.Publish(events.Change{UserIDs: []string{id}}) // its old streams end
	return out, nil
}

func (s *Service) issueServiceToken(ctx context.Context, tx *sql.Tx, c actor.Actor, u store.User, now time.Time) (ServiceToken, error) {
	secret, hash := auth.NewToken()
	tok := store.Token{ID: store.NewID("tok"), UserID: u.ID, Hash: hash, Kind: store.TokenAPI, CreatedAt: now, ExpiresAt: now.Add(ServiceTokenTTL)}
	if err := store.CreateToken(ctx, tx, tok); err != nil {
		return ServiceToken{}, err
	}
	err := store.InsertAudit(ctx, tx, s.audit(c, "user.token", "user", u.ID, "",
		map[string]string{"email": u.Email, "token": tok.ID, "expires_at": tok.ExpiresAt.Format(time.RFC3339)}))
	return ServiceToken{User: u, Secret: secret, ExpiresAt: tok.ExpiresAt}, err
}
