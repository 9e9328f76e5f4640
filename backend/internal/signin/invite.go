package signin

import (
	"context"
	"database/sql"
	"errors"

	"gatepass.dev/backend/internal/auth"
	"gatepass.dev/backend/internal/fault"
	"gatepass.dev/backend/internal/store"
)

// errInviteInvalid is an invalid, used or expired invitation link.
func errInviteInvalid() error {
	return fault.NotFoundf("this invitation link is invalid, used or expired: ask an admin for a new one")
}

// AcceptInvite sets the password of an invited user from the secret of
// their invitation link, and uses the link up. A password against the
// policy (auth.ValidatePassword, with the invited email and name) is a 400
// fault naming the field and the reason; an invalid, used or expired link
// a NotFound. Nothing is written unless both are right.
func (s *Service) AcceptInvite(ctx context.Context, token, password, src string) (store.User, error) {
	if token == "" {
		return store.User{}, fault.Field("token", "is required: the secret of the invitation link")
	}
	th := auth.HashToken(token)
	invited, _, err := store.TokenUser(ctx, s.db, store.TokenInvite, th, s.now())
	if errors.Is(err, store.ErrNotFound) {
		return store.User{}, errInviteInvalid()
	}
	if err != nil {
		return store.User{}, err
	}
	if err := auth.ValidatePassword(password, invited.Email, invited.Name); err != nil {
		return store.User{}, err
	}
	hash, err := auth.HashPassword(password)
	if err != nil {
		return store.User{}, err
	}
	now := s.now()
	var u store.User
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		var err error
		u, _, err = store.TokenUser(ctx, tx, store.TokenInvite, th, now)
		if errors.Is(err, store.ErrNotFound) || (err == nil && u.ID != invited.ID) {
			return errInviteInvalid()
		}
		if err != nil {
			return err
		}
		u.PasswordHash, u.UpdatedAt = hash, now
		if err := store.UpdateUser(ctx, tx, u); err != nil {
			return err
		}
		if err := store.RevokeToken(ctx, tx, th, now); err != nil {
			return err
		}
		return store.InsertAudit(ctx, tx, store.AuditEntry{At: now, ActorID: u.ID, ActorEmail: u.Email, Action: "user.accept_invite",
			TargetType: "user", TargetID: u.ID, Source: src})
	})
	return u, err
}
