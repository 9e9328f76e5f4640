package httpapi_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"gatepass.dev/backend/backendtest"
	"gatepass.dev/backend/internal/store"
	"gatepass.dev/shared/api"
)

// TestAdminBulkDecision: one approval of many requests decides each on
// its own: granted, changed meanwhile (with how it stands now), refused
// over its network's maximum, refused as the admin's own, not found — one
// result per request, each grant with its audit row and email.
func TestAdminBulkDecision(t *testing.T) {
	srv := backendtest.NewServer(t)
	admin := srv.Admin(t)
	ann, _ := srv.NewUser(t, "ann@example.com", api.RoleAdmin)
	wide := srv.NewNetwork(t, "office-network")
	day := int64(86400)
	narrow := srv.NewNetwork(t, "staging-internal", func(in *api.NetworkInput) { in.MaxDurationSeconds = &day })
	var reqs []api.Request
	for i, u := range []struct{ email, network string }{
		{"kim@example.com", wide.ID}, {"lee@example.com", narrow.ID}, {"mo@example.com", wide.ID},
	} {
		c, _ := srv.NewUser(t, u.email, api.RoleUser)
		srv.Advance(time.Duration(i+1) * time.Minute)
		r, err := c.Request(t.Context(), u.network, "Work of "+u.email, 0)
		if err != nil {
			t.Fatal(err)
		}
		reqs = append(reqs, r)
	}
	own, err := ann.Request(t.Context(), wide.ID, "My own", 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := admin.Approve(t.Context(), reqs[2].ID, time.Hour); err != nil { // decided meanwhile
		t.Fatal(err)
	}
	twoDays := int64(2 * 86400)
	res, err := ann.BulkDecide(t.Context(), api.BulkDecision{Action: "approve", DurationSeconds: &twoDays,
		IDs: []string{reqs[0].ID, reqs[1].ID, reqs[2].ID, own.ID, "req_nosuch", reqs[0].ID}})
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		id, outcome, message string
	}{
		{reqs[0].ID, api.BulkApproved, "kim@example.com → office-network: granted for 2d, until Nov 25, 09:"},
		{reqs[1].ID, api.BulkRefused, "lee@example.com → staging-internal: refused: 2d is longer than this network's maximum of 1d"},
		{reqs[2].ID, api.BulkChanged, "mo@example.com → office-network: had changed meanwhile: it is approved by admin@example.com until Nov 23, 10:"},
		{own.ID, api.BulkRefused, "ann@example.com → office-network: refused: you cannot approve or deny your own request"},
		{"req_nosuch", api.BulkNotFound, "Request req_nosuch: there is no such request"},
	}
	if len(res.Results) != len(want) {
		t.Fatalf("%d results for 5 requests (one given twice): %+v", len(res.Results), res.Results)
	}
	for i, w := range want {
		got := res.Results[i]
		if got.ID != w.id || got.Outcome != w.outcome || got.OK != (i == 0) || !strings.HasPrefix(got.Message, w.message) {
			t.Errorf("result %d: %+v\nwant %s %q…", i, got, w.outcome, w.message)
		}
		if (got.Error == nil) != got.OK {
			t.Errorf("result %d: ok %v with error %+v", i, got.OK, got.Error)
		}
	}
	if r := res.Results[2].Request; r == nil || r.Status != api.StatusApproved || r.DecidedBy != backendtest.AdminEmail {
		t.Errorf("the changed request as it is now: %+v", r)
	}
	if e := res.Results[1].Error; e == nil || e.Code != api.CodeBadRequest || e.Field != "duration_seconds" {
		t.Errorf("over the maximum: %+v", e)
	}
	if res.Summary != "1 granted; 1 had changed meanwhile; 2 refused; 1 not found" {
		t.Errorf("summary %q", res.Summary)
	}
	if got, _ := admin.AdminRequest(t.Context(), reqs[0].ID); got.Status != api.StatusApproved || got.GrantedSeconds != twoDays || got.DecidedBy != "ann@example.com" {
		t.Errorf("the granted request: %+v", got)
	}
	for _, id := range []string{reqs[1].ID, own.ID} {
		if got, _ := admin.AdminRequest(t.Context(), id); got.Status != api.StatusPending {
			t.Errorf("a refused request changed: %+v", got)
		}
	}
	rows, err := store.ListAudit(t.Context(), srv.DB, store.AuditFilter{Action: "request.approve", Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 2 { // the earlier approval of mo's, and kim's
		t.Errorf("%d approval audit rows, want 2", len(rows))
	}
	srv.SMTP.WaitFor(t, backendtest.MailTo("kim@example.com", "Access approved: office-network"), 10*time.Second)

	// A bulk denial with one note, hostile text kept as text.
	note := `<script>alert(1)</script> ask again`
	res, err = admin.BulkDecide(t.Context(), api.BulkDecision{Action: "deny", Note: note, IDs: []string{reqs[1].ID}})
	if err != nil || len(res.Results) != 1 || !res.Results[0].OK || res.Results[0].Request.Note != note || res.Summary != "1 denied" {
		t.Fatalf("bulk deny: %v %+v", err, res)
	}
	m := srv.SMTP.WaitFor(t, backendtest.MailTo("lee@example.com", "Access denied"), 10*time.Second)
	if strings.Contains(m.HTML(), "<script>") || !strings.Contains(m.HTML(), "&lt;script&gt;") {
		t.Errorf("the note is not escaped in the denial email:\n%s", m.HTML())
	}

	// Bad input decides nothing.
	many := make([]string, 101)
	for i := range many {
		many[i] = "req_" + strings.Repeat("x", i+1)
	}
	for _, bad := range []struct{ body, field string }{
		{`{"action":"approve","ids":[]}`, "ids"},
		{`{"action":"approve"}`, "ids"},
		{`{"action":"maybe","ids":["` + own.ID + `"]}`, "action"},
		{`{"action":"approve","ids":["` + own.ID + `"],"duration_seconds":0}`, "duration_seconds"},
		{`{"action":"approve","ids":["` + own.ID + `"],"note":"hi"}`, "note"},
		{`{"action":"deny","ids":["` + own.ID + `"],"duration_seconds":60}`, "duration_seconds"},
		{`{"action":"deny","ids":["` + own.ID + `"],"note":"a\r\nBcc: x@example.com"}`, "note"},
		{`{"action":"deny","ids":` + mustJSON(t, many) + `}`, "ids"},
	} {
		r := backendtest.Do(t, http.MethodPost, srv.URL+"/api/v1/admin/requests/bulk", admin.Token(), "application/json", bad.body)
		var body api.ErrorBody
		_ = json.Unmarshal([]byte(r.Body), &body)
		if r.Status != http.StatusBadRequest || body.Error.Field != bad.field || body.Error.Message == "" {
			t.Errorf("%s: %d %s", bad.body, r.Status, r.Body)
		}
	}
	if got, _ := admin.AdminRequest(t.Context(), own.ID); got.Status != api.StatusPending {
		t.Errorf("bad input decided a request: %+v", got)
	}
	user := srv.Login(t, "kim@example.com", backendtest.UserPassword)
	_, err = user.BulkDecide(t.Context(), api.BulkDecision{Action: "approve", IDs: []string{own.ID}})
	backendtest.WantStatus(t, "a user's bulk decision", err, http.StatusForbidden)
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
