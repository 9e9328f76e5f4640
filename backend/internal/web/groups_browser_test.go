package web_test

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"gatepass.dev/shared/api"
)

// TestBrowserGroups: the Groups page refuses a hostile name with a
// readable message (nothing created) and creates a group with its
// members; the group's page adds a member, removes one — whose grant,
// held only through the group, ends at once — renames the group, and
// deletes the demo's on-call group after a confirmation that names the
// networks that lose it.
func TestBrowserGroups(t *testing.T) {
	srv := demoServer(t)
	admin := srv.Admin(t)
	alice, aliceU := srv.NewUser(t, "alice@example.com", api.RoleUser)
	_, bob := srv.NewUser(t, "bob@example.com", api.RoleUser)
	b := signedInBrowser(t, srv)

	b.open("/admin/groups")
	b.waitText(`table.groups`, "on-call")
	if got := b.text(`tr[data-group="on-call"] [data-uses]`); !strings.Contains(got, "office-network (rule on-call)") || !strings.Contains(got, "production-db (break-glass)") {
		t.Errorf("where on-call is used: %q", got)
	}
	b.run(chromedp.SendKeys(`#group-name`, hostile, chromedp.ByQuery),
		chromedp.Click(`input[name=member][value="`+aliceU.ID+`"]`, chromedp.ByQuery),
		chromedp.Click(`form[action="/admin/groups"] button[type=submit]`, chromedp.ByQuery))
	b.waitText(`#group-error`, "must be 1–63 letters")
	var kept string
	b.eval(`document.querySelector('#group-name').value`, &kept)
	if kept != hostile {
		t.Errorf("the form lost the name: %q", kept)
	}
	if gs, _ := admin.Groups(t.Context()); len(gs) != 2 {
		t.Errorf("a refused group was created: %d groups", len(gs))
	}
	b.run(chromedp.SetValue(`#group-name`, "contractors", chromedp.ByQuery),
		chromedp.Click(`form[action="/admin/groups"] button[type=submit]`, chromedp.ByQuery))
	b.waitText(`.flash-ok`, "Created the group contractors with 1 member")
	b.waitText(`ul.members`, "alice@example.com")
	var group api.Group
	gs, _ := admin.Groups(t.Context())
	for _, g := range gs {
		if g.Name == "contractors" {
			group = g
		}
	}
	// staging-internal's members are this group: alice gets a grant there.
	staging := networkByName(t, srv, "staging-internal")
	if _, err := admin.UpdateNetwork(t.Context(), staging.ID, api.NetworkInput{MemberGroupIDs: &[]string{group.ID}}); err != nil {
		t.Fatal(err)
	}
	grant, err := alice.Request(t.Context(), staging.ID, "Check the deploy", 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := admin.Approve(t.Context(), grant.ID, time.Hour); err != nil {
		t.Fatal(err)
	}

	b.run(chromedp.SetValue(`#add-user`, bob.ID, chromedp.ByQuery), chromedp.Click(`form.add-member button`, chromedp.ByQuery))
	b.waitText(`.flash-ok`, "Added bob@example.com to the group contractors.")
	b.waitText(`ul.members`, "bob@example.com")

	b.run(chromedp.Click(`li[data-member="alice@example.com"] button`, chromedp.ByQuery), chromedp.WaitVisible(`#confirm-dialog`, chromedp.ByQuery))
	if got := b.text(`#confirm-dialog [data-field="text"]`); !strings.Contains(got, "What they have only through this group ends now") {
		t.Errorf("remove confirmation %q", got)
	}
	b.run(chromedp.Click(`#confirm-dialog [data-field="ok"]`, chromedp.ByQuery))
	b.waitText(`.flash-ok`, "Removed alice@example.com from the group contractors")
	if got, _ := admin.AdminRequest(t.Context(), grant.ID); got.Status != api.StatusRevoked {
		t.Errorf("alice's grant through the group is %s after her removal, want revoked", got.Status)
	}
	if g, _ := admin.Groups(t.Context()); len(g) != 3 {
		t.Errorf("groups: %+v", g)
	}

	b.run(chromedp.SetValue(`#rename-name`, "vendors", chromedp.ByQuery), chromedp.Click(`form:has(#rename-name) button`, chromedp.ByQuery))
	b.waitText(`.flash-ok`, "Renamed the group to vendors.")
	b.waitText(`main h1`, "vendors")

	b.open("/admin/groups")
	b.run(chromedp.Click(`tr[data-group="on-call"] a`, chromedp.ByQuery))
	b.waitText(`main h1`, "on-call")
	b.run(chromedp.Click(`form[action$="/delete"] button`, chromedp.ByQuery), chromedp.WaitVisible(`#confirm-dialog`, chromedp.ByQuery))
	if got := b.text(`#confirm-dialog [data-field="text"]`); !strings.Contains(got, "These networks lose it: office-network (rule on-call); production-db (break-glass)") {
		t.Errorf("delete confirmation %q", got)
	}
	b.run(chromedp.Click(`#confirm-dialog [data-field="ok"]`, chromedp.ByQuery))
	b.waitText(`.flash-ok`, "Deleted the group on-call.")
	if got := networkByName(t, srv, "production-db"); len(got.BreakGlass.GroupIDs) != 0 {
		t.Errorf("production-db still names the deleted group: %+v", got.BreakGlass)
	}
	b.clean()
}

// TestBrowserServiceUsers: the Users page creates a service user and shows
// its API token once (it signs in to the API); the list marks it
// "Service"; its page issues a new token, which ends the old one; the
// audit log marks its rows. Its hostile name stays text.
func TestBrowserServiceUsers(t *testing.T) {
	srv := demoServer(t)
	b := signedInBrowser(t, srv)
	b.open("/admin/users")
	b.run(chromedp.SendKeys(`#service-email`, "ci-runner@example.com", chromedp.ByQuery),
		chromedp.SendKeys(`#service-name`, "CI "+hostile, chromedp.ByQuery),
		chromedp.Click(`form[action="/admin/users/service"] button`, chromedp.ByQuery))
	b.waitText(`main h1`, "Service user created")
	var token string
	b.eval(`document.querySelector('[data-token]').value`, &token)
	if len(token) < 20 {
		t.Fatalf("token %q", token)
	}
	ci := srv.Client()
	ci.SetToken(token)
	me, err := ci.Me(t.Context())
	if err != nil || me.Email != "ci-runner@example.com" {
		t.Fatalf("the shown token signs in: %+v %v", me, err)
	}

	b.open("/admin/users")
	b.waitText(`tr[data-user="ci-runner@example.com"]`, "Service")
	if got := b.text(`tr[data-user="ci-runner@example.com"] td[data-label="Status"]`); got != "Active" {
		t.Errorf("a service user's status %q, want Active (not Invited)", got)
	}
	b.run(chromedp.Click(`tr[data-user="ci-runner@example.com"] a.user`, chromedp.ByQuery))
	b.waitText(`#token-h`, "API token")
	b.run(chromedp.Click(`form[action$="/token"] button`, chromedp.ByQuery), chromedp.WaitVisible(`#confirm-dialog`, chromedp.ByQuery),
		chromedp.Click(`#confirm-dialog [data-field="ok"]`, chromedp.ByQuery))
	b.waitText(`main h1`, "New API token")
	var second string
	b.eval(`document.querySelector('[data-token]').value`, &second)
	if second == token || len(second) < 20 {
		t.Fatalf("new token %q", second)
	}
	if _, err := ci.Me(t.Context()); err == nil {
		t.Error("the old token still signs in after a new one")
	}

	b.open("/admin/audit?action=user.")
	b.waitText(`table.audit`, "created the service user ci-runner@example.com")
	var marked int
	b.eval(`[...document.querySelectorAll('table.audit tr')].filter(tr => tr.textContent.includes('ci-runner@example.com') && tr.querySelector('[data-service]')).length`, &marked)
	if marked < 2 {
		t.Errorf("%d audit rows of the service user carry its badge, want its creation and tokens", marked)
	}
	b.clean()
}
