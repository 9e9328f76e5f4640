package httpapi

import (
	"database/sql"
	"net/http"
	"strings"
	"time"

	"gatepass.dev/backend/internal/access"
	"gatepass.dev/backend/internal/auth"
	"gatepass.dev/backend/internal/mail"
	"gatepass.dev/backend/internal/outbox"
	"gatepass.dev/backend/internal/store"
	"gatepass.dev/shared/api"
)

func (s *Server) adminListUsers(w http.ResponseWriter, r *http.Request, p principal) {
	users, err := store.ListUsers(r.Context(), s.DB)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out := api.UserList{Users: make([]api.User, 0, len(users)), ServerTime: s.now()}
	for _, u := range users {
		out.Users = append(out.Users, u.API())
	}
	writeJSON(w, http.StatusOK, out)
}

// adminCreateUser creates a user with a password, or without one invites
// them: an email with a link to set a password.
func (s *Server) adminCreateUser(w http.ResponseWriter, r *http.Request, p principal) {
	var in api.UserInput
	if err := decode(w, r, &in, false); err != nil {
		s.writeError(w, r, err)
		return
	}
	email := store.NormalizeEmail(in.Email)
	if err := mail.ValidAddress(email); err != nil {
		s.writeError(w, r, fieldErr("email", "%q is not an email address like user@example.com", in.Email))
		return
	}
	name, err := access.CleanText("name", in.Name, 100, false)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if name == "" {
		name, _, _ = strings.Cut(email, "@")
	}
	if in.Role == "" {
		in.Role = api.RoleUser
	}
	if !in.Role.Valid() {
		s.writeError(w, r, fieldErr("role", "must be admin or user"))
		return
	}
	hash := ""
	if in.Password != "" {
		if err := auth.ValidatePassword(in.Password); err != nil {
			s.writeError(w, r, &api.Error{Status: 400, Code: api.CodeBadRequest, Field: "password", Message: err.Error()})
			return
		}
		if hash, err = auth.HashPassword(in.Password); err != nil {
			s.writeError(w, r, err)
			return
		}
	}
	now := s.now()
	u := store.User{ID: store.NewID("usr"), Email: email, Name: name, Role: in.Role, PasswordHash: hash, CreatedAt: now, UpdatedAt: now}
	invited := hash == ""
	err = s.DB.Tx(r.Context(), func(tx *sql.Tx) error {
		if err := store.CreateUser(r.Context(), tx, u); err != nil {
			return err
		}
		action := "user.create"
		if invited {
			action = "user.invite"
			if err := s.invite(r, tx, p, u, now); err != nil {
				return err
			}
		}
		return store.InsertAudit(r.Context(), tx, store.AuditEntry{At: now, ActorID: p.User.ID, ActorEmail: p.User.Email, Action: action,
			TargetType: "user", TargetID: u.ID, SourceAddr: p.Source, Details: map[string]string{"email": u.Email, "role": string(u.Role)}})
	})
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.Access.Notify(access.Change{Everyone: true, Mail: invited, Effects: []access.Effect{access.EffectGatewaySync}})
	writeJSON(w, http.StatusCreated, api.UserResponse{User: u.API(), ServerTime: now})
}

// invite queues the invitation email with a one-time link.
func (s *Server) invite(r *http.Request, tx *sql.Tx, p principal, u store.User, now time.Time) error {
	secret, hash := auth.NewToken()
	tok := store.Token{ID: store.NewID("inv"), UserID: u.ID, Hash: hash, Kind: store.TokenInvite, CreatedAt: now, ExpiresAt: now.Add(s.InviteTTL)}
	if err := store.CreateToken(r.Context(), tx, tok); err != nil {
		return err
	}
	base := s.Settings.PublicURL()
	m := mail.InviteMessage(u.Email, mail.InviteData{PublicURL: base, InviterName: p.User.Name, InviteeName: u.Name,
		URL: base + "/invite?token=" + secret, ExpiresAt: tok.ExpiresAt})
	return outbox.Enqueue(r.Context(), tx, "invite", m, now)
}

// adminUpdateUser changes a user's name, role or disabled flag. Disabling
// ends the user's grants and pending requests and signs them out.
func (s *Server) adminUpdateUser(w http.ResponseWriter, r *http.Request, p principal) {
	var in api.UserPatch
	if err := decode(w, r, &in, false); err != nil {
		s.writeError(w, r, err)
		return
	}
	now := s.now()
	var u store.User
	var effects []access.Effect
	err := s.DB.Tx(r.Context(), func(tx *sql.Tx) error {
		var err error
		u, err = store.UserByID(r.Context(), tx, r.PathValue("id"))
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
				return fieldErr("role", "must be admin or user")
			}
			if u.ID == p.User.ID && *in.Role != api.RoleAdmin {
				return apiErr(409, api.CodeConflict, "you cannot remove your own admin role: ask another admin")
			}
			u.Role, details["role"] = *in.Role, string(*in.Role)
		}
		disabling := in.Disabled != nil && *in.Disabled && !u.Disabled
		if in.Disabled != nil {
			if u.ID == p.User.ID && *in.Disabled {
				return apiErr(409, api.CodeConflict, "you cannot disable your own account")
			}
			u.Disabled, details["disabled"] = *in.Disabled, boolStr(*in.Disabled)
		}
		u.UpdatedAt = now
		if err := store.UpdateUser(r.Context(), tx, u); err != nil {
			return err
		}
		if disabling {
			if effects, err = s.Access.EndUserAccess(r.Context(), tx, p.actor(), u.ID, "account disabled"); err != nil {
				return err
			}
			if err := store.RevokeUserTokens(r.Context(), tx, u.ID, now); err != nil {
				return err
			}
		}
		return store.InsertAudit(r.Context(), tx, store.AuditEntry{At: now, ActorID: p.User.ID, ActorEmail: p.User.Email, Action: "user.update",
			TargetType: "user", TargetID: u.ID, SourceAddr: p.Source, Details: details})
	})
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.Access.Notify(access.Change{UserIDs: []string{u.ID}, Effects: append(effects, access.EffectGatewaySync), Mail: len(effects) > 0})
	writeJSON(w, http.StatusOK, api.UserResponse{User: u.API(), ServerTime: now})
}
