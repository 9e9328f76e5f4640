package server

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"gatepass.dev/backend/internal/access"
	"gatepass.dev/backend/internal/actor"
	"gatepass.dev/backend/internal/auth"
	"gatepass.dev/backend/internal/config"
	"gatepass.dev/backend/internal/datadir"
	"gatepass.dev/backend/internal/store"
	"gatepass.dev/shared/api"
)

// DefaultAdminEmail is the first admin's email when GATEPASS_ADMIN_EMAIL is unset.
const DefaultAdminEmail = "admin@example.com"

// bootstrap creates the first admin of an empty database and, with --demo,
// the demo data. Only passwords the server generated are printed or written
// to the demo credentials file: a password the operator gave
// (GATEPASS_ADMIN_PASSWORD) is theirs already and would only leak from the
// terminal, its scroll-back or the file. That password must pass the
// password policy, or the server does not start. Replicas starting
// together on one empty PostgreSQL database take turns (store.LockBootstrap):
// one creates the first admin, the others find it there.
func (s *Server) bootstrap(ctx context.Context, out io.Writer) error {
	return s.DB.Exclusive(ctx, store.LockBootstrap, func() error { return s.bootstrapLocked(ctx, out) })
}

func (s *Server) bootstrapLocked(ctx context.Context, out io.Writer) error {
	n, err := store.CountUsers(ctx, s.DB)
	if err != nil {
		return err
	}
	if n == 0 {
		email, password, generated := s.Config.AdminEmail, s.Config.AdminPassword, false
		if email == "" {
			email = DefaultAdminEmail
		}
		if password == "" {
			password, generated = auth.NewPassword(), true
		} else if reason := auth.PasswordProblem(password, email, "Admin"); reason != "" {
			return fmt.Errorf("the first admin's password (%s) %s", config.EnvAdminPassword, reason)
		}
		if _, err := s.createUser(ctx, email, "Admin", api.RoleAdmin, password); err != nil {
			return fmt.Errorf("create the first admin: %w", err)
		}
		if generated {
			fmt.Fprintf(out, "Created the first admin. Sign in with:\n  email:    %s\n  password: %s\nThis password is shown only once.\n", email, password)
		} else {
			fmt.Fprintf(out, "Created the first admin %s with the password from %s.\n", email, config.EnvAdminPassword)
		}
		if s.Config.Demo {
			shown := password
			if !generated {
				shown = "(the password from " + config.EnvAdminPassword + ")"
			}
			return s.loadDemo(ctx, out, email, shown)
		}
		return nil
	}
	if s.Config.Demo {
		if b, err := os.ReadFile(filepath.Join(s.Config.DataDir, demoCredentials)); err == nil {
			fmt.Fprintf(out, "Demo credentials (from %s):\n%s", filepath.Join(s.Config.DataDir, demoCredentials), b)
		} else {
			fmt.Fprintf(out, "--demo: the database has users already (%d): no demo data loaded; the demo needs an empty database.\n", n)
		}
	}
	return nil
}

// createUser creates a user with a password as the system, through the
// administration (validated, audited).
func (s *Server) createUser(ctx context.Context, email, name string, role api.Role, password string) (store.User, error) {
	return s.Admin.CreateUser(ctx, actor.System, api.UserInput{Email: email, Name: name, Role: role, Password: password})
}

// Demo data, as in the product description.
const (
	DemoContractorEmail = "contractor@example.com"
	demoCredentials     = "demo-credentials.txt"
)

// DemoNetworks are the demo networks: all JIT-enabled.
var DemoNetworks = []struct{ Name, Description, CIDR string }{
	{"office-network", "Office LAN: printers, file shares and the intranet", "10.77.0.0/24"},
	{"staging-internal", "Staging cluster and its internal dashboards", "10.78.0.0/24"},
	{"zero-path", "Zero-trust path to the production bastion", "10.79.0.0/24"},
}

// DemoApprovers are the two approvers of production-db (Dana directly,
// Erik through the group db-admins).
var DemoApprovers = []struct{ Email, Name string }{
	{"lead@example.com", "Dana Lead"},
	{"dba@example.com", "Erik DBA"},
}

// loadDemo creates the demo networks and a contractor with a pending
// request on staging-internal and a 30-day grant on zero-path; and the
// policies (loadDemoPolicies). It prints the credentials and keeps them in
// the data directory (0600); adminShown is the admin's password when the
// server generated it, else a note of where it came from.
func (s *Server) loadDemo(ctx context.Context, out io.Writer, adminEmail, adminShown string) error {
	password := auth.NewPassword()
	contractor, err := s.createUser(ctx, DemoContractorEmail, "Casey Contractor", api.RoleUser, password)
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	adminUser, err := store.UserByEmail(ctx, s.DB, adminEmail)
	if err != nil {
		return err
	}
	ids := map[string]string{}
	for _, d := range DemoNetworks {
		n, err := s.Admin.CreateNetwork(ctx, actor.System, api.NetworkInput{Name: &d.Name, Description: &d.Description, CIDR: &d.CIDR})
		if err != nil {
			return fmt.Errorf("demo network %s: %w", d.Name, err)
		}
		ids[d.Name] = n.ID
	}
	casey := contractor.Actor("")
	if _, err := s.Access.Create(ctx, casey, ids["staging-internal"], api.NewRequest{Reason: "Deploy and verify the v2.3 release on staging"}); err != nil {
		return fmt.Errorf("demo request: %w", err)
	}
	req, err := s.Access.Create(ctx, casey, ids["zero-path"], api.NewRequest{Reason: "Quarterly maintenance of the production bastion"})
	if err != nil {
		return fmt.Errorf("demo request: %w", err)
	}
	adminActor := adminUser.Actor("")
	if _, err := s.Access.Do(ctx, req.ID, access.Event{Kind: access.EventApprove, Actor: adminActor, Duration: 30 * 24 * time.Hour}); err != nil {
		return fmt.Errorf("demo grant: %w", err)
	}
	creds := fmt.Sprintf("  admin:      %s / %s\n  contractor: %s / %s\n", adminEmail, adminShown, DemoContractorEmail, password)
	facts, approvers, err := s.loadDemoPolicies(ctx, contractor, ids["office-network"])
	if err != nil {
		return fmt.Errorf("demo policies: %w", err)
	}
	for _, a := range approvers {
		creds += fmt.Sprintf("  approver:   %s / %s\n", a[0], a[1])
	}
	path := filepath.Join(s.Config.DataDir, demoCredentials)
	if err := datadir.WriteFile(path, []byte(creds)); err != nil {
		return err
	}
	fmt.Fprintf(out, "Loaded the demo data: networks %s.\n%sDemo credentials (kept in %s):\n%s",
		strings.Join([]string{"office-network", "staging-internal", "zero-path", "production-db"}, ", "), facts, path, creds)
	return nil
}
