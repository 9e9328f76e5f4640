package httpapi_test

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"gatepass.dev/backend/backendtest"
	"gatepass.dev/backend/internal/access"
	"gatepass.dev/shared/api"
	"gatepass.dev/shared/client"
)

// TestRequestRateLimit: a user who cancels and requests again is held to
// access.RequestLimit new requests per access.RequestWindow: then a 429
// with Retry-After and a message that says when, and nothing stored.
func TestRequestRateLimit(t *testing.T) {
	srv := backendtest.NewServer(t)
	alice, _ := srv.NewUser(t, "alice@example.com", api.RoleUser)
	n := srv.NewNetwork(t, "office-network")
	for i := range access.RequestLimit {
		r, err := alice.Request(t.Context(), n.ID, "print the report", 0)
		if err != nil {
			t.Fatalf("request %d: %v", i+1, err)
		}
		if _, err := alice.Cancel(t.Context(), r.ID); err != nil {
			t.Fatal(err)
		}
		srv.Advance(time.Minute)
	}
	r := backendtest.Do(t, "POST", srv.URL+"/api/v1/networks/"+n.ID+"/requests", alice.Token(), "application/json", `{"reason":"again"}`)
	if r.Status != http.StatusTooManyRequests || !strings.Contains(string(r.Body), "made 6 access requests in the last 15 minutes, the most allowed: try again in 9 minutes") {
		t.Fatalf("one request too many: %d %s", r.Status, r.Body)
	}
	// The first request was made 6 minutes ago: its slot frees in 9 more.
	if ra, _ := strconv.Atoi(r.Header.Get("Retry-After")); ra != int((access.RequestWindow - 6*time.Minute).Seconds()) {
		t.Fatalf("Retry-After %q", r.Header.Get("Retry-After"))
	}
	if res, _ := alice.MyRequests(t.Context(), client.RequestQuery{}); len(res.Requests) != access.RequestLimit {
		t.Fatalf("the refused request was stored: %d requests", len(res.Requests))
	}
	srv.Advance(access.RequestWindow - 6*time.Minute)
	if _, err := alice.Request(t.Context(), n.ID, "print the report", 0); err != nil {
		t.Fatalf("after the wait: %v", err)
	}
}

// TestCancelAndRequestAgainMailsOnce: the admins are mailed for a first
// request at once; a request made after a cancellation is held back a
// minute, and withdrawn with its request when cancelled within it
// (audited). Cycling costs the admins one email.
func TestCancelAndRequestAgainMailsOnce(t *testing.T) {
	srv := backendtest.NewServer(t)
	admin := srv.Admin(t)
	alice, _ := srv.NewUser(t, "alice@example.com", api.RoleUser)
	n := srv.NewNetwork(t, "office-network")
	first, err := alice.Request(t.Context(), n.ID, "print the report", 0)
	if err != nil {
		t.Fatal(err)
	}
	srv.SMTP.WaitFor(t, backendtest.MailTo(backendtest.AdminEmail, "alice@example.com"), 10*time.Second)
	if _, err := alice.Cancel(t.Context(), first.ID); err != nil {
		t.Fatal(err)
	}
	var last api.Request
	for range 4 {
		srv.Advance(10 * time.Second)
		if last, err = alice.Request(t.Context(), n.ID, "print the report, really", 0); err != nil {
			t.Fatal(err)
		}
		srv.Advance(30 * time.Second)
		if _, err := alice.Cancel(t.Context(), last.ID); err != nil {
			t.Fatal(err)
		}
	}
	srv.Advance(2 * access.AdminMailHold)
	backendtest.WaitOutboxDrained(t, admin)
	if k := countMail(srv, backendtest.AdminEmail, "Access request"); k != 1 {
		t.Fatalf("the admins got %d emails for one request and four withdrawn at once, want 1", k)
	}
	audit := backendtest.Audit(t, admin, url.Values{"target": {last.ID}, "action": {"request.cancel"}})
	if len(audit) != 1 || !strings.Contains(audit[0].Details["admin_email"], "withdrawn") {
		t.Fatalf("the cancellation's audit row: %+v", audit)
	}
	// A request kept past the hold is mailed.
	kept, err := alice.Request(t.Context(), n.ID, "print the report, for real", 0)
	if err != nil {
		t.Fatal(err)
	}
	srv.Advance(access.AdminMailHold)
	srv.SMTP.WaitFor(t, backendtest.MailTo(backendtest.AdminEmail, "alice@example.com"), 10*time.Second)
	backendtest.WaitOutboxDrained(t, admin)
	if k := countMail(srv, backendtest.AdminEmail, "Access request"); k != 2 {
		t.Fatalf("after a request kept past the hold: %d admin emails, want 2", k)
	}
	if r, _ := admin.AdminRequest(t.Context(), kept.ID); r.Status != api.StatusPending {
		t.Fatal(r.Status)
	}
}
