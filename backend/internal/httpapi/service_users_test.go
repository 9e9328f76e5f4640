package httpapi_test

import (
	"strings"
	"testing"
	"time"

	"gatepass.dev/backend/backendtest"
	"gatepass.dev/shared/api"
	"gatepass.dev/shared/client"
)

// TestServiceUsers: an admin creates a service user and gets its API
// token once; it is "service": true in the users list, its requests
// "user_service": true; with the token it registers a device key and
// requests access through the API; it never signs in with a password, is
// never an admin nor an approver; a new token signs out the old one.
func TestServiceUsers(t *testing.T) {
	srv := backendtest.NewServer(t)
	admin := srv.Admin(t)
	n := srv.NewNetwork(t, "staging-internal")

	raw := backendtest.Do(t, "POST", srv.URL+"/api/v1/admin/users", admin.Token(), "application/json",
		`{"email": "ci-runner@example.com", "name": "CI runner", "service": true}`)
	if raw.Status != 201 || !strings.Contains(string(raw.Body), `"service":true`) || !strings.Contains(string(raw.Body), `"token":"`) {
		t.Fatalf("create a service user: %d %s", raw.Status, raw.Body)
	}
	ci, token, err := admin.CreateServiceUser(t.Context(), "deploy-bot@example.com", "Deploy bot")
	if err != nil || token == "" || !ci.Service {
		t.Fatalf("create: %+v %q %v", ci, token, err)
	}
	users, err := admin.Users(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	service := 0
	for _, u := range users {
		if u.Service {
			service++
		}
	}
	if service != 2 {
		t.Fatalf("%d service users in the list, want 2", service)
	}

	bot := client.New(srv.URL, client.WithToken(token))
	dev := registerDevice(t, bot)
	r := request(t, bot, n.ID, "nightly deploy", 30*time.Minute)
	if !r.UserService {
		t.Fatalf("a service user's request is not marked: %+v", r)
	}
	r, err = admin.Approve(t.Context(), r.ID, 30*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := bot.Tunnel(t.Context(), n.ID, dev.ID); err != nil {
		t.Fatalf("the service user's tunnel: %v", err)
	}
	if rows := auditOf(t, admin, r.ID, "request.create"); len(rows) != 1 || rows[0].Details["service_user"] != "true" {
		t.Fatalf("audit: %+v", rows)
	}

	_, err = srv.Client().Login(t.Context(), "deploy-bot@example.com", "")
	backendtest.WantStatus(t, "a password sign-in without a password", err, 400)
	_, err = srv.Client().Login(t.Context(), "deploy-bot@example.com", backendtest.UserPassword)
	backendtest.WantStatus(t, "a password sign-in", err, 401)
	_, err = admin.CreateUser(t.Context(), api.UserInput{Email: "x@example.com", Service: true, Password: backendtest.UserPassword})
	backendtest.WantStatus(t, "a service user with a password", err, 400, "password")
	_, err = admin.CreateUser(t.Context(), api.UserInput{Email: "y@example.com", Service: true, Role: api.RoleAdmin})
	backendtest.WantStatus(t, "a service admin", err, 400, "role")
	_, err = admin.UpdateUser(t.Context(), ci.ID, api.UserPatch{Role: ptr(api.RoleAdmin)})
	backendtest.WantStatus(t, "promote a service user", err, 400, "role")
	_, err = admin.UpdateNetwork(t.Context(), n.ID, api.NetworkInput{ApproverIDs: &[]string{ci.ID}})
	backendtest.WantStatus(t, "a service approver", err, 400, "approver_ids", "service user")

	fresh, err := admin.NewServiceToken(t.Context(), ci.ID)
	if err != nil || fresh.Token == "" || fresh.Token == token {
		t.Fatalf("new token: %+v %v", fresh, err)
	}
	_, err = bot.Devices(t.Context())
	backendtest.WantStatus(t, "the old token", err, 401)
	if _, err := client.New(srv.URL, client.WithToken(fresh.Token)).Devices(t.Context()); err != nil {
		t.Fatalf("the new token: %v", err)
	}
	me, err := admin.Me(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	_, err = admin.NewServiceToken(t.Context(), me.ID)
	backendtest.WantStatus(t, "a token for a person", err, 409, "not a service user")
}
