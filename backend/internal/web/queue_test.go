package web_test

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"gatepass.dev/backend/backendtest"
	"gatepass.dev/shared/api"
	"gatepass.dev/shared/client"
)

var rowID = regexp.MustCompile(`<tr data-request="([^"]+)"`)

// rowOrder is the request ids of a list page's rows, top to bottom.
func rowOrder(body string) []string {
	var ids []string
	for _, m := range rowID.FindAllStringSubmatch(body, -1) {
		ids = append(ids, m[1])
	}
	return ids
}

// queue files pending requests of new users on office-network, an hour
// apart: returns them oldest first.
func queue(t *testing.T, srv *backendtest.Server, emails ...string) []api.Request {
	t.Helper()
	office := networkByName(t, srv, "office-network")
	var out []api.Request
	for _, e := range emails {
		srv.Advance(time.Hour)
		c, _ := srv.NewUser(t, e, api.RoleUser)
		r, err := c.Request(t.Context(), office.ID, "Work of "+e, 0)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, r)
	}
	return out
}

// TestPendingOldestFirst: the Pending tab lists the request waiting
// longest on top; the history tabs keep the latest on top; the API pages
// the same queue with order=oldest.
func TestPendingOldestFirst(t *testing.T) {
	srv := demoServer(t)
	reqs := append([]api.Request{pendingDemoRequest(t, srv)}, queue(t, srv, "kim@example.com", "lee@example.com")...)
	c := newWebClient(t, srv)
	c.signIn(backendtest.AdminEmail, backendtest.AdminPassword)
	want := []string{reqs[0].ID, reqs[1].ID, reqs[2].ID}
	if got := rowOrder(c.get("/admin/requests").Body); strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("pending order %v, want oldest first %v", got, want)
	}
	admin := srv.Admin(t)
	for _, r := range reqs[1:] {
		if _, err := admin.Approve(t.Context(), r.ID, time.Hour); err != nil {
			t.Fatal(err)
		}
	}
	got := rowOrder(c.get("/admin/requests?status=approved").Body)
	if len(got) < 2 || got[0] != reqs[2].ID || got[1] != reqs[1].ID {
		t.Errorf("approved order %v: the latest is not first", got)
	}

	// The API's queue, one a page.
	if _, err := admin.Deny(t.Context(), reqs[0].ID, ""); err != nil {
		t.Fatal(err)
	}
	more := queue(t, srv, "ann@example.com", "bo@example.com", "cy@example.com")
	var paged []string
	q := client.RequestQuery{Status: "pending", Order: "oldest", Limit: 1}
	for {
		page, err := admin.AdminRequests(t.Context(), q)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range page.Requests {
			paged = append(paged, r.ID)
		}
		if page.NextCursor == "" {
			break
		}
		q.Cursor = page.NextCursor
	}
	if len(paged) != 3 || paged[0] != more[0].ID || paged[1] != more[1].ID || paged[2] != more[2].ID {
		t.Errorf("API pages of the pending queue %v, want %v %v %v", paged, more[0].ID, more[1].ID, more[2].ID)
	}
	if _, err := admin.AdminRequests(t.Context(), client.RequestQuery{Order: "sideways"}); err == nil || !strings.Contains(err.Error(), "newest or oldest") {
		t.Errorf("a bad order: %v", err)
	}
}
