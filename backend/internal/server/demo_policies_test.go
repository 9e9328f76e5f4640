package server_test

import (
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	"gatepass.dev/backend/internal/access"
	"gatepass.dev/backend/internal/auth"
	"gatepass.dev/backend/internal/store"
	"gatepass.dev/shared/api"
)

// TestDemoPolicies: the demo data has an on-call group (the contractor in
// it) whose rule on office-network approves a request of up to 2 h at
// once, and production-db, which needs two approvals from its two
// approvers (the contractor's request there waits at 1 of 2 after Dana's
// approval); the output states these facts and the approvers' generated
// credentials, which sign in.
func TestDemoPolicies(t *testing.T) {
	cfg := testConfig(t.TempDir())
	cfg.Demo = true
	st := start(t, cfg)
	if st.err != nil {
		t.Fatal(st.err)
	}
	out := st.out.String()
	for _, want := range []string{"production-db", `rule "on-call" on office-network`, "2 approvals"} {
		if !strings.Contains(out, want) {
			t.Errorf("the demo output lacks %q:\n%s", want, out)
		}
	}
	ctx := context.Background()
	db := st.srv.DB
	for _, m := range regexp.MustCompile(`(?m)^  approver:   (\S+) / (\S+)$`).FindAllStringSubmatch(out, -1) {
		u, err := store.UserByEmail(ctx, db, m[1])
		if err != nil || auth.CheckPassword(u.PasswordHash, m[2]) != nil {
			t.Errorf("approver %s: the printed password does not sign in (%v)", m[1], err)
		}
	}
	if n := strings.Count(out, "  approver:   "); n != 2 {
		t.Errorf("%d approvers printed, want 2:\n%s", n, out)
	}

	contractor, err := store.UserByEmail(ctx, db, "contractor@example.com")
	if err != nil {
		t.Fatal(err)
	}
	prod, err := store.NetworkByName(ctx, db, "production-db")
	if err != nil || prod.RequiredApprovals != 2 || len(prod.ApproverIDs) != 1 || len(prod.ApproverGroupIDs) != 1 || !prod.BreakGlass.Enabled {
		t.Fatalf("production-db: %+v %v", prod, err)
	}
	nets, err := access.UserNetworks(ctx, db, contractor.ID, contractor.Role, st.srv.Clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string]string{}
	for _, n := range nets {
		ids[n.Name] = n.ID
		if n.Name == "production-db" && (n.State != api.StateRequest || n.RequiredApprovals != 2 || n.BreakGlass == nil) {
			t.Errorf("the contractor's production-db: %+v", n)
		}
	}
	req, err := st.srv.Access.Create(ctx, contractor.Actor(""), ids["production-db"], api.NewRequest{Reason: "migration"})
	if err != nil {
		t.Fatal(err)
	}
	dana, err := store.UserByEmail(ctx, db, "lead@example.com")
	if err != nil {
		t.Fatal(err)
	}
	half, err := st.srv.Access.Do(ctx, req.ID, access.Event{Kind: access.EventApprove, Actor: dana.Actor("")})
	if err != nil || half.Status != api.StatusPending || len(half.Approvals) != 1 || half.RequiredApprovals != 2 {
		t.Fatalf("Dana's approval on production-db: %+v %v", half, err)
	}
	office := ids["office-network"]
	r, err := st.srv.Access.Create(ctx, contractor.Actor(""), office, api.NewRequest{Reason: "printer", DurationSeconds: ptr(int64(3600))})
	if err != nil || r.Status != api.StatusApproved || r.Rule != "on-call" || r.Granted != time.Hour {
		t.Fatalf("the contractor's request on office-network: %+v %v", r, err)
	}
}

func ptr[T any](v T) *T { return &v }
