package server_test

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"gatepass.dev/backend/internal/auth"
	"gatepass.dev/backend/internal/store"
)

// TestDemoPrintsOnlyGeneratedPasswords: with --demo, an admin password
// given in GATEPASS_ADMIN_PASSWORD is neither printed nor written to the
// credentials file (not on the first start, not on a restart); a generated
// one is both, and it is the admin's real password. The contractor's
// generated password is printed in both cases, on the line make run reads.
func TestDemoPrintsOnlyGeneratedPasswords(t *testing.T) {
	const given = "Operator-Chosen-Pa55phrase"
	contractorLine := regexp.MustCompile(`(?m)^  contractor: contractor@example\.com / (\S+)$`)

	t.Run("given", func(t *testing.T) {
		dir := t.TempDir()
		cfg := testConfig(dir)
		cfg.Demo, cfg.AdminEmail, cfg.AdminPassword = true, "boss@example.com", given
		st := start(t, cfg)
		if st.err != nil {
			t.Fatal(st.err)
		}
		creds, err := os.ReadFile(filepath.Join(dir, "demo-credentials.txt"))
		if err != nil {
			t.Fatal(err)
		}
		st.srv.Close()
		again := start(t, cfg) // a restart prints the file again
		if again.err != nil {
			t.Fatal(again.err)
		}
		for what, text := range map[string]string{"output": st.out.String(), "credentials file": string(creds), "restart output": again.out.String(),
			"log": st.log.String() + again.log.String()} {
			if strings.Contains(text, given) {
				t.Errorf("the %s holds the given admin password:\n%s", what, text)
			}
		}
		if !strings.Contains(string(creds), "boss@example.com / (the password from GATEPASS_ADMIN_PASSWORD)") {
			t.Errorf("the credentials file does not say where the admin password is:\n%s", creds)
		}
		if !contractorLine.Match(creds) || !contractorLine.MatchString(st.out.String()) {
			t.Errorf("the contractor's generated password is not shown:\n%s\n%s", st.out, creds)
		}
	})

	t.Run("generated", func(t *testing.T) {
		dir := t.TempDir()
		cfg := testConfig(dir)
		cfg.Demo = true
		st := start(t, cfg)
		if st.err != nil {
			t.Fatal(st.err)
		}
		m := regexp.MustCompile(`password: (\S+)`).FindStringSubmatch(st.out.String())
		if m == nil {
			t.Fatalf("no generated admin password printed:\n%s", st.out)
		}
		u, err := store.UserByEmail(context.Background(), st.srv.DB, "admin@example.com")
		if err != nil {
			t.Fatal(err)
		}
		if err := auth.CheckPassword(u.PasswordHash, m[1]); err != nil {
			t.Fatalf("the printed password is not the admin's: %v", err)
		}
		creds, err := os.ReadFile(filepath.Join(dir, "demo-credentials.txt"))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(creds), "admin@example.com / "+m[1]+"\n") || !contractorLine.Match(creds) {
			t.Errorf("the credentials file lacks the generated passwords:\n%s", creds)
		}
	})
}

// TestDemoOnADatabaseWithUsers: --demo on a database that has users but
// no demo credentials here (another replica, or a server started without
// --demo first) says that it loaded nothing and why.
func TestDemoOnADatabaseWithUsers(t *testing.T) {
	dir := t.TempDir()
	cfg := testConfig(dir)
	first := start(t, cfg)
	if first.err != nil {
		t.Fatal(first.err)
	}
	first.srv.Close()
	cfg.Demo = true
	again := start(t, cfg)
	if again.err != nil {
		t.Fatal(again.err)
	}
	if !strings.Contains(again.out.String(), "--demo: the database has users already (1): no demo data loaded; the demo needs an empty database.") {
		t.Errorf("--demo on a database with users says:\n%s", again.out)
	}
}
