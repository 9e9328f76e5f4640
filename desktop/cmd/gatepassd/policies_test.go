package main

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"gatepass.dev/backend/backendtest"
	"gatepass.dev/desktop/internal/localapi"
	"gatepass.dev/shared/api"
	"gatepass.dev/shared/client"
)

func ptr[T any](v T) *T { return &v }

// TestPoliciesCLI drives the policies through `gatepassd` against a real
// backend: "1 of 2 approvals (who)" in status, break-glass with its cap,
// a grant approved by a rule, an extension pending then granted, a
// scheduled request ("starts in …"), and a service account's sign-in by
// its API token.
func TestPoliciesCLI(t *testing.T) {
	srv := backendtest.NewServer(t)
	admin := srv.Admin(t)
	ctx := t.Context()
	_, carol := srv.NewUser(t, "carol@example.com", api.RoleUser)
	dana, danaU := srv.NewUser(t, "dana@example.com", api.RoleUser)
	_, erikU := srv.NewUser(t, "erik@example.com", api.RoleUser)
	oncall, err := admin.CreateGroup(ctx, api.GroupInput{Name: ptr("on-call"), MemberIDs: &[]string{carol.ID}})
	if err != nil {
		t.Fatal(err)
	}
	srv.NewNetwork(t, "production-db", func(in *api.NetworkInput) {
		in.ApproverIDs = &[]string{danaU.ID, erikU.ID}
		in.RequiredApprovals = ptr(2)
		in.BreakGlass = &api.BreakGlassInput{Enabled: ptr(true), GroupIDs: &[]string{oncall.ID}, MaxDurationSeconds: ptr(int64(3600))}
	})
	office := srv.NewNetwork(t, "office-network", func(in *api.NetworkInput) { in.MaxDurationSeconds = ptr(int64(8 * 3600)) })
	if _, err := admin.CreateRule(ctx, office.ID, api.RuleInput{Name: ptr("on-call"), Action: ptr(api.ActionAutoApprove),
		GroupIDs: &[]string{oncall.ID}, MaxDurationSeconds: ptr(int64(2 * 3600))}); err != nil {
		t.Fatal(err)
	}
	srv.NewNetwork(t, "lab")
	sock, _ := startAgent(t, srv.URL, t.TempDir())
	if code, out, errOut := cli(t, backendtest.UserPassword+"\n", "login", "--socket", sock, "--email", "carol@example.com", "--password-stdin"); code != 0 {
		t.Fatalf("login: %d %q %q", code, out, errOut)
	}
	status := func() string {
		t.Helper()
		code, out, errOut := cli(t, "", "status", "--socket", sock)
		if code != 0 {
			t.Fatalf("status: %d %q", code, errOut)
		}
		return out
	}
	if out := status(); !strings.Contains(out, "production-db: break-glass open to you (up to 1h): gatepassd break-glass production-db --reason R") ||
		strings.Contains(out, "office-network: break-glass") {
		t.Errorf("status does not offer break-glass where it is open:\n%s", out)
	}

	// Two approvers: 0, then 1 of 2, and who.
	if code, out, errOut := cli(t, "", "request", "production-db", "--reason", "migration", "--socket", sock); code != 0 || !strings.Contains(out, "pending") {
		t.Fatalf("request: %d %q %q", code, out, errOut)
	}
	if out := status(); !regexpLine(out, "production-db", "pending") || !strings.Contains(out, "production-db: 0 of 2 approvals\n") {
		t.Errorf("status, none of two:\n%s", out)
	}
	pending := backendtest.NetworkState(t, srv.Login(t, "carol@example.com", backendtest.UserPassword), "production-db").Request
	if _, err := dana.Approve(ctx, pending.ID, time.Hour); err != nil {
		t.Fatal(err)
	}
	backendtest.WaitFor(t, "1 of 2 in status", func() bool {
		return strings.Contains(status(), "production-db: 1 of 2 approvals (dana@example.com)\n")
	})

	// Break-glass: capped, then at once, marked.
	if code, _, errOut := cli(t, "", "break-glass", "production-db", "--reason", "orders DB down", "--duration", "2h", "--socket", sock); code != 1 || !strings.Contains(errOut, "at most 1h") {
		t.Errorf("break-glass over the cap: %d %q", code, errOut)
	}
	if code, _, errOut := cli(t, "", "break-glass", "lab", "--reason", "x", "--socket", sock); code != 1 || !strings.Contains(errOut, "break-glass access to lab is not open to you") {
		t.Errorf("break-glass where it is off: %d %q", code, errOut)
	}
	code, out, errOut := cli(t, "", "break-glass", "production-db", "--reason", "orders DB down", "--duration", "30m", "--socket", sock)
	if code != 0 || !regexp.MustCompile(`^Break-glass access to production-db granted for (30m|29m)\. Every approver of the network has been alerted`).MatchString(out) {
		t.Fatalf("break-glass: %d %q %q", code, out, errOut)
	}
	if out := status(); !regexpLine(out, "production-db", "active") || !strings.Contains(out, "production-db: break-glass access: every approver was alerted; it awaits their review\n") {
		t.Errorf("status after break-glass:\n%s", out)
	}

	// A rule approves; the extension past the rule's cap waits for people.
	if code, out, errOut := cli(t, "", "request", "office-network", "--reason", "deploy", "--duration", "1h", "--socket", sock); code != 0 || !strings.Contains(out, "now active") {
		t.Fatalf("request approved by rule: %d %q %q", code, out, errOut)
	}
	if out := status(); !strings.Contains(out, "office-network: approved by rule on-call\n") {
		t.Errorf("status of a rule's grant:\n%s", out)
	}
	if code, _, errOut := cli(t, "", "extend", "office-network", "--reason", "more", "--duration", "8h", "--socket", sock); code != 1 || !strings.Contains(errOut, "at most 7h more") {
		t.Errorf("extend past the network's maximum: %d %q", code, errOut)
	}
	if code, _, errOut := cli(t, "", "extend", "lab", "--reason", "more", "--duration", "1h", "--socket", sock); code != 1 || !strings.Contains(errOut, "lab has no active grant to extend") {
		t.Errorf("extend without a grant: %d %q", code, errOut)
	}
	code, out, errOut = cli(t, "", "extend", "office-network", "--reason", "the deploy runs long", "--duration", "2h", "--socket", sock)
	if code != 0 || out != "Asked for 2h more on office-network: pending. Your access and the tunnel go on meanwhile.\n" {
		t.Fatalf("extend: %d %q %q", code, out, errOut)
	}
	if out := status(); !strings.Contains(out, "office-network: extension requested: +2h, pending\n") {
		t.Errorf("status with a pending extension:\n%s", out)
	}
	ext, err := admin.AdminRequests(ctx, client.RequestQuery{Status: "pending", Network: office.ID})
	if err != nil || len(ext.Requests) != 1 || ext.Requests[0].Kind != api.KindExtension {
		t.Fatalf("the pending extension: %+v %v", ext.Requests, err)
	}
	if _, err := admin.Approve(ctx, ext.Requests[0].ID, 0); err != nil {
		t.Fatal(err)
	}
	backendtest.WaitFor(t, "extended in status", func() bool {
		out := status()
		return strings.Contains(out, "office-network: extended +2h\n") && regexp.MustCompile(`office-network\s+active\s+2h 59m`).MatchString(out)
	})

	// Scheduled: pending for later, then approved: "starts in".
	if code, _, errOut := cli(t, "", "request", "lab", "--reason", "x", "--start", "yesterday", "--socket", sock); code != 2 || !strings.Contains(errOut, `--start: "yesterday" is not a start time`) {
		t.Errorf("a bad --start: %d %q", code, errOut)
	}
	code, out, errOut = cli(t, "", "request", "lab", "--reason", "maintenance window", "--duration", "1h", "--start", "in 2h", "--socket", sock)
	if code != 0 || !strings.Contains(out, "Requested access to lab from ") || !strings.Contains(out, "pending") {
		t.Fatalf("request --start: %d %q %q", code, out, errOut)
	}
	if out := status(); !strings.Contains(out, "lab: asked to start ") {
		t.Errorf("status of a pending request for later:\n%s", out)
	}
	labReq, err := admin.AdminRequests(ctx, client.RequestQuery{Status: "pending", Q: "maintenance window"})
	if err != nil || len(labReq.Requests) != 1 || labReq.Requests[0].StartsAt == nil {
		t.Fatalf("the request for later: %+v %v", labReq.Requests, err)
	}
	if d := labReq.Requests[0].StartsAt.Sub(srv.Now()); d < 2*time.Hour-time.Minute || d > 2*time.Hour {
		t.Errorf("--start in 2h asked for a start %v ahead on the server's clock", d)
	}
	if _, err := admin.Approve(ctx, labReq.Requests[0].ID, time.Hour); err != nil {
		t.Fatal(err)
	}
	backendtest.WaitFor(t, "scheduled in status", func() bool {
		out := status()
		return regexp.MustCompile(`lab\s+scheduled\s+starts in (1h 59m|2h 0m)\s+no`).MatchString(out) &&
			regexp.MustCompile(`lab: access starts \w{3} \d+ \w{3} \d\d:\d\d \S+, until \d\d:\d\d \(in (1h 59m|2h 0m)\)`).MatchString(out)
	})
	if code, _, errOut := cli(t, "", "connect", "lab", "--socket", sock); code != 1 || !strings.Contains(errOut, "lab is not active yet: your access starts at ") {
		t.Errorf("connect before the start: %d %q", code, errOut)
	}

	// A service account: its API token on standard input, no password.
	_, token, err := admin.CreateServiceUser(ctx, "ci-runner@example.com", "CI runner")
	if err != nil {
		t.Fatal(err)
	}
	if code, _, errOut := cli(t, "", "logout", "--socket", sock); code != 0 {
		t.Fatalf("logout: %q", errOut)
	}
	if code, _, errOut := cli(t, "not-a-token\n", "login", "--socket", sock, "--server", srv.URL, "--token-stdin"); code != 1 || !strings.Contains(errOut, "API token was refused") {
		t.Errorf("a wrong token: %d %q", code, errOut)
	}
	code, out, errOut = cli(t, token+"\n", "login", "--socket", sock, "--server", srv.URL, "--token-stdin")
	if code != 0 || out != "Signed in to "+srv.URL+" as ci-runner@example.com (a service account).\n" {
		t.Fatalf("token login: %d %q %q", code, out, errOut)
	}
	if out := status(); !strings.Contains(out, "as ci-runner@example.com, a service account (server reachable)") {
		t.Errorf("status of a service account:\n%s", out)
	}
	if strings.Contains(status(), token) {
		t.Error("the API token appears in the status")
	}
}

func TestPoliciesUsage(t *testing.T) {
	noAgent := t.TempDir() + "/none.sock"
	for _, tt := range []struct {
		name   string
		stdin  string
		args   []string
		stderr string
	}{
		{"extend without a duration", "", []string{"extend", "office", "--reason", "x"}, "--duration is required"},
		{"extend without a reason", "", []string{"extend", "office", "--duration", "1h"}, "--reason is required"},
		{"extend with a bad duration", "", []string{"extend", "office", "--reason", "x", "--duration", "2 hours"}, "--duration"},
		{"extend without a network", "", []string{"extend", "--reason", "x", "--duration", "1h"}, "name one network"},
		{"break-glass without a reason", "", []string{"break-glass", "prod"}, "--reason is required"},
		{"break-glass with a bad duration", "", []string{"break-glass", "prod", "--reason", "x", "--duration", "-1h"}, "a second or more"},
		{"request with a bad start", "", []string{"request", "office", "--reason", "x", "--start", "soon"}, `--start: "soon" is not a start time`},
		{"token and email", "tok\n", []string{"login", "--token-stdin", "--email", "a@b.c"}, "leave out --email"},
		{"token and password", "tok\n", []string{"login", "--token-stdin", "--password-stdin"}, "leave out --email and --password-stdin"},
		{"no token on stdin", "\n", []string{"login", "--token-stdin"}, "no API token on standard input"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := cli(t, tt.stdin, append(tt.args, "--socket", noAgent)...)
			if code != exitUsage || out != "" || !strings.Contains(errOut, tt.stderr) {
				t.Errorf("exit %d, stdout %q, stderr %q; want 2 and %q", code, out, errOut, tt.stderr)
			}
		})
	}
}

// Text from the backend (a denial's note, a rule's name, an approver)
// cannot drive the terminal: anything unprintable is shown quoted.
func TestStatusNotesAreInert(t *testing.T) {
	now := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	exp := now.Add(time.Hour)
	n := localapi.Network{Name: "office-network", State: api.StateActive, ExpiresAt: &exp,
		Request:   &api.Request{Status: api.StatusApproved, Rule: "on-call\x1b[2J"},
		Extension: &api.Request{Kind: api.KindExtension, Status: api.StatusDenied, DurationSeconds: 7200, Note: "no\x1b]0;pwned\a"}}
	got := strings.Join(notes(n, now, time.UTC), "\n")
	if strings.ContainsAny(got, "\x1b\a") || !strings.Contains(got, `approved by rule "on-call\x1b[2J"`) ||
		!strings.Contains(got, `extension +2h denied: "no\x1b]0;pwned\a"`) {
		t.Errorf("notes %q", got)
	}
}
