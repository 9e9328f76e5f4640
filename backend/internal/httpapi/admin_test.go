package httpapi_test

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"gatepass.dev/backend/backendtest"
	"gatepass.dev/backend/internal/admin"
	"gatepass.dev/backend/internal/config"
	"gatepass.dev/backend/internal/mail/smtptest"
	"gatepass.dev/shared/api"
)

var adInviteLink = regexp.MustCompile(`https?://\S+/invite\?token=([A-Za-z0-9_-]+)`)

// TestAdminInvite: a user created without a password is emailed a one-time
// link to set one.
func TestAdminInvite(t *testing.T) {
	srv := backendtest.NewServer(t)
	admin := srv.Admin(t)

	u, err := admin.CreateUser(t.Context(), api.UserInput{Email: "Carol@Example.com", Name: "Carol"})
	if err != nil {
		t.Fatal(err)
	}
	if u.Email != "carol@example.com" || u.Role != api.RoleUser || u.Disabled {
		t.Fatalf("invited user: %+v", u)
	}
	m := srv.SMTP.WaitFor(t, backendtest.MailTo("carol@example.com", "invited"), 10*time.Second)
	match := adInviteLink.FindStringSubmatch(m.Text())
	if match == nil {
		t.Fatalf("no invitation link in the email:\n%s", m.Text())
	}
	if !strings.HasPrefix(match[0], srv.URL+"/invite?token=") {
		t.Fatalf("invitation link %q is not on the public URL %s", match[0], srv.URL)
	}
	token := match[1]

	// Not usable before the invitation is accepted.
	_, err = srv.Client().Login(t.Context(), "carol@example.com", "Amber-Ledger-Violin-62")
	backendtest.WantStatus(t, "login before accepting", err, 401)

	_, err = srv.Client().AcceptInvite(t.Context(), token, "short")
	backendtest.WantStatus(t, "accept with a too-short password", err, 400)
	_, err = srv.Client().AcceptInvite(t.Context(), "not-the-token", "Amber-Ledger-Violin-62")
	backendtest.WantStatus(t, "accept with a wrong token", err, 404)

	got, err := srv.Client().AcceptInvite(t.Context(), token, "Amber-Ledger-Violin-62")
	if err != nil {
		t.Fatalf("accept the invitation: %v", err)
	}
	if got.ID != u.ID {
		t.Fatalf("accepted as %+v, want %+v", got, u)
	}
	carol := srv.Login(t, "carol@example.com", "Amber-Ledger-Violin-62")
	if me, err := carol.Me(t.Context()); err != nil || me.ID != u.ID {
		t.Fatalf("carol signed in: %+v %v", me, err)
	}

	// Single use: the link cannot set another password.
	_, err = srv.Client().AcceptInvite(t.Context(), token, "Nimbus-Pepper-Oxide-37")
	backendtest.WantStatus(t, "accept twice", err, 404)
	_, err = srv.Client().Login(t.Context(), "carol@example.com", "Nimbus-Pepper-Oxide-37")
	backendtest.WantStatus(t, "login with the second password", err, 401)

	res, err := admin.Audit(t.Context(), url.Values{"target": {u.ID}})
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, e := range res.Entries {
		actions = append(actions, e.Action)
	}
	if !slices.Contains(actions, "user.invite") || !slices.Contains(actions, "user.accept_invite") {
		t.Fatalf("audit of the invitation: %v", actions)
	}
}

// TestAdminSettingsSecrets: the SMTP password is write-only, and a bad
// public URL changes nothing.
func TestAdminSettingsSecrets(t *testing.T) {
	srv := backendtest.NewServer(t)
	admin := srv.Admin(t)
	const secret = "smtp-Secret-Pa55word"

	r := backendtest.Do(t, "GET", srv.URL+"/api/v1/admin/settings", admin.Token(), "", "")
	var got api.SettingsResponse
	if err := json.Unmarshal(r.Body, &got); r.Status != 200 || err != nil {
		t.Fatalf("GET settings: %d %s %v", r.Status, r.Body, err)
	}
	if got.Settings.PublicURL != srv.URL || got.Settings.SMTP.Host != srv.SMTP.Host() || got.Settings.SMTP.Port != srv.SMTP.Port() || got.Settings.SMTP.PasswordSet {
		t.Fatalf("settings: %+v", got.Settings)
	}

	pw, url1 := secret, "https://gatepass.example.com/"
	s, err := admin.UpdateSettings(t.Context(), api.SettingsInput{PublicURL: &url1, SMTP: &api.SMTPSettingsInput{Password: &pw}})
	if err != nil {
		t.Fatal(err)
	}
	if s.PublicURL != "https://gatepass.example.com" || !s.SMTP.PasswordSet || s.SMTP.Password != "" {
		t.Fatalf("after PATCH: %+v", s)
	}
	r = backendtest.Do(t, "GET", srv.URL+"/api/v1/admin/settings", admin.Token(), "", "")
	if r.Status != 200 || bytes.Contains(r.Body, []byte(secret)) || !bytes.Contains(r.Body, []byte(`"password_set":true`)) {
		t.Fatalf("GET settings after setting the password: %d %s", r.Status, r.Body)
	}

	// The audit row names the changed fields, never the password.
	res, err := admin.Audit(t.Context(), url.Values{"action": {"settings.update"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Entries) != 1 {
		t.Fatalf("settings.update rows: %+v", res.Entries)
	}
	changed := strings.Split(res.Entries[0].Details["changed"], ",")
	if !slices.Contains(changed, "public_url") || !slices.Contains(changed, "smtp.password") || slices.Contains(changed, "smtp.host") {
		t.Fatalf("changed fields %v", changed)
	}
	r = backendtest.Do(t, "GET", srv.URL+"/api/v1/admin/audit?format=csv&limit=10000", admin.Token(), "", "")
	if r.Status != 200 || bytes.Contains(r.Body, []byte(secret)) {
		t.Fatalf("the audit export holds the SMTP password: %d\n%s", r.Status, r.Body)
	}
	r = backendtest.Do(t, "GET", srv.URL+"/api/v1/admin/audit?limit=10000", admin.Token(), "", "")
	if r.Status != 200 || bytes.Contains(r.Body, []byte(secret)) {
		t.Fatalf("the audit log holds the SMTP password: %d\n%s", r.Status, r.Body)
	}

	// A bad public URL: 400, and nothing saved (not even the valid part).
	for _, bad := range []string{"ftp://gatepass.example.com", "not a url", "https://user:pw@gatepass.example.com", "https://gatepass.example.com/?x=1"} {
		body, _ := json.Marshal(map[string]any{"public_url": bad})
		if r := backendtest.Do(t, "PATCH", srv.URL+"/api/v1/admin/settings", admin.Token(), "application/json", string(body)); r.Status != 400 {
			t.Fatalf("PATCH public_url %q: %d %s, want 400", bad, r.Status, r.Body)
		}
	}
	host := "smtp.elsewhere.example.com"
	_, err = admin.UpdateSettings(t.Context(), api.SettingsInput{PublicURL: new("not a url"), SMTP: &api.SMTPSettingsInput{Host: &host}})
	backendtest.WantStatus(t, "PATCH with a bad URL and a good host", err, 400)
	s, err = admin.Settings(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if s.PublicURL != "https://gatepass.example.com" || s.SMTP.Host != srv.SMTP.Host() {
		t.Fatalf("a refused PATCH changed the settings: %+v", s)
	}
	if res, _ := admin.Audit(t.Context(), url.Values{"action": {"settings.update"}}); len(res.Entries) != 1 {
		t.Fatalf("refused PATCHes were audited: %+v", res.Entries)
	}

	// The new public URL is used in links from now on.
	if _, err := admin.CreateUser(t.Context(), api.UserInput{Email: "dave@example.com"}); err != nil {
		t.Fatal(err)
	}
	m := srv.SMTP.WaitFor(t, backendtest.MailTo("dave@example.com", "invited"), 10*time.Second)
	if !strings.Contains(m.Text(), "https://gatepass.example.com/invite?token=") {
		t.Fatalf("the invitation does not use the new public URL:\n%s", m.Text())
	}
}

// TestAdminSettingsTestEmail: the test email reports the SMTP server's
// answer, success or failure.
func TestAdminSettingsTestEmail(t *testing.T) {
	srv := backendtest.NewServer(t)
	admin := srv.Admin(t)

	res, err := admin.TestEmail(t.Context(), "ops@example.com")
	if err != nil {
		t.Fatal(err)
	}
	if !res.OK || res.Message == "" {
		t.Fatalf("test email: %+v", res)
	}
	srv.SMTP.WaitFor(t, backendtest.MailTo("ops@example.com", "test"), 10*time.Second)

	srv.SMTP.Stop()
	res, err = admin.TestEmail(t.Context(), "ops@example.com")
	if err != nil {
		t.Fatal(err)
	}
	if res.OK || res.Message == "" || strings.Contains(res.Message, "accepted") {
		t.Fatalf("test email with the SMTP server down: %+v", res)
	}
	t.Logf("failure reported: %s", res.Message)

	audit, err := admin.Audit(t.Context(), url.Values{"action": {"settings.test_email"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(audit.Entries) != 2 || audit.Entries[0].Details["ok"] != "false" || audit.Entries[1].Details["ok"] != "true" {
		t.Fatalf("audit of the test emails: %+v", audit.Entries)
	}
	_, err = admin.TestEmail(t.Context(), "not an address")
	backendtest.WantStatus(t, "test email to a bad address", err, 400)
}

// TestAdminOutboxWithoutSMTP: without SMTP the emails are kept as
// undeliverable with the reason; once SMTP is configured a retry sends them.
func TestAdminOutboxWithoutSMTP(t *testing.T) {
	srv := backendtest.NewServer(t, backendtest.WithoutSMTP())
	admin := srv.Admin(t)
	alice, _ := srv.NewUser(t, "alice@example.com", api.RoleUser)
	net := srv.NewNetwork(t, "prod")

	if _, err := alice.Request(t.Context(), net.ID, "deploy", 0); err != nil {
		t.Fatal(err)
	}
	var msg api.OutboxMessage
	backendtest.WaitFor(t, "the admin email to be marked undeliverable", func() bool {
		list, err := admin.Outbox(t.Context(), api.OutboxUndeliverable)
		if err != nil {
			return false
		}
		for _, m := range list {
			if m.To == backendtest.AdminEmail && m.Kind == "new_request" {
				msg = m
				return true
			}
		}
		return false
	})
	if msg.LastError == "" || msg.SentAt != nil || !strings.Contains(msg.Subject, "alice@example.com") {
		t.Fatalf("undeliverable message: %+v", msg)
	}

	// Configure SMTP, then retry.
	mailSrv := smtptest.Start(t)
	host, port, from, tls := mailSrv.Host(), mailSrv.Port(), "Gatepass <gatepass@example.com>", api.SMTPTLSNone
	if _, err := admin.UpdateSettings(t.Context(), api.SettingsInput{SMTP: &api.SMTPSettingsInput{Host: &host, Port: &port, From: &from, TLS: &tls}}); err != nil {
		t.Fatal(err)
	}
	if err := admin.RetryMail(t.Context(), msg.ID); err != nil {
		t.Fatal(err)
	}
	m := mailSrv.WaitFor(t, backendtest.MailTo(backendtest.AdminEmail, "alice@example.com"), 10*time.Second)
	if !strings.Contains(m.Text(), "deploy") {
		t.Fatalf("retried email:\n%s", m.Text())
	}
	backendtest.WaitFor(t, "the message to show sent", func() bool {
		list, err := admin.Outbox(t.Context(), api.OutboxSent)
		if err != nil {
			return false
		}
		for _, x := range list {
			if x.ID == msg.ID {
				msg = x
				return true
			}
		}
		return false
	})
	if msg.SentAt == nil || msg.LastError != "" || msg.Attempts != 1 {
		t.Fatalf("sent message: %+v", msg)
	}
	err := admin.RetryMail(t.Context(), msg.ID)
	backendtest.WantStatus(t, "retry a sent message", err, 409)
	err = admin.RetryMail(t.Context(), 999999)
	backendtest.WantStatus(t, "retry an unknown message", err, 404)
	if mailSrv.Count() != 1 {
		t.Fatalf("%d emails arrived, want 1: %+v", mailSrv.Count(), mailSrv.Messages())
	}
}

// adCSV parses a CSV export.
func adCSV(t *testing.T, body []byte) [][]string {
	t.Helper()
	rows, err := csv.NewReader(bufio.NewReader(bytes.NewReader(body))).ReadAll()
	if err != nil {
		t.Fatalf("the export is not CSV: %v\n%s", err, body)
	}
	return rows
}

// TestAdminAudit: filters, paging and the CSV export of the audit log.
func TestAdminAudit(t *testing.T) {
	srv := backendtest.NewServer(t)
	admin := srv.Admin(t)
	alice, _ := srv.NewUser(t, "alice@example.com", api.RoleUser)
	net := srv.NewNetwork(t, "prod")

	t0 := srv.Now()
	req, err := alice.Request(t.Context(), net.ID, "=cmd|' /C calc'!A0", 0)
	if err != nil {
		t.Fatal(err)
	}
	srv.Advance(time.Hour)
	t1 := srv.Now()
	if _, err := admin.Approve(t.Context(), req.ID, 0); err != nil {
		t.Fatal(err)
	}
	srv.Advance(time.Hour)
	t2 := srv.Now()
	if _, err := alice.Release(t.Context(), req.ID); err != nil {
		t.Fatal(err)
	}
	// A failed sign-in records the typed email as the actor: a cell that
	// starts with '='.
	_, err = srv.Client().Login(t.Context(), "=cmd|' /c calc'!a0", "whatever-password")
	backendtest.WantStatus(t, "login as a formula", err, 401)

	// By action prefix.
	res, err := admin.Audit(t.Context(), url.Values{"action": {"request."}})
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, e := range res.Entries {
		if !strings.HasPrefix(e.Action, "request.") {
			t.Fatalf("action=request. returned %q", e.Action)
		}
		actions = append(actions, e.Action)
	}
	if strings.Join(actions, ",") != "request.release,request.approve,request.create" {
		t.Fatalf("action=request.: %v", actions)
	}
	if res, _ := admin.Audit(t.Context(), url.Values{"action": {"request"}}); len(res.Entries) != 0 {
		t.Fatalf("action=request (no dot) is not a prefix, got %+v", res.Entries)
	}

	// By target.
	res, err = admin.Audit(t.Context(), url.Values{"target": {net.ID}})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Entries) != 1 || res.Entries[0].Action != "network.create" {
		t.Fatalf("target=network: %+v", res.Entries)
	}

	// By time: since is inclusive, until exclusive.
	at := func(q url.Values) []string {
		t.Helper()
		q.Set("target", req.ID)
		res, err := admin.Audit(t.Context(), q)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, e := range res.Entries {
			out = append(out, e.Action)
		}
		return out
	}
	rfc := func(tm time.Time) string { return tm.Format(time.RFC3339) }
	if got := at(url.Values{"since": {rfc(t1)}}); strings.Join(got, ",") != "request.release,request.approve" {
		t.Fatalf("since t1: %v", got)
	}
	if got := at(url.Values{"until": {rfc(t1)}}); strings.Join(got, ",") != "request.create" {
		t.Fatalf("until t1: %v", got)
	}
	if got := at(url.Values{"since": {rfc(t0.Add(30 * time.Minute))}, "until": {rfc(t2)}}); strings.Join(got, ",") != "request.approve" {
		t.Fatalf("between: %v", got)
	}
	for _, q := range []string{"since=yesterday", "until=2026-13-01T00:00:00Z", "before=abc", "limit=0", "format=xml"} {
		if r := backendtest.Do(t, "GET", srv.URL+"/api/v1/admin/audit?"+q, admin.Token(), "", ""); r.Status != 400 {
			t.Fatalf("audit?%s: %d %s, want 400", q, r.Status, r.Body)
		}
	}

	// Paging with limit and before.
	all, err := admin.Audit(t.Context(), url.Values{"limit": {"10000"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(all.Entries) < 7 {
		t.Fatalf("only %d audit entries", len(all.Entries))
	}
	var paged []int64
	q := url.Values{"limit": {"3"}}
	for page := 0; ; page++ {
		if page > len(all.Entries) {
			t.Fatal("paging does not end")
		}
		res, err := admin.Audit(t.Context(), q)
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Entries) > 3 {
			t.Fatalf("limit=3 returned %d entries", len(res.Entries))
		}
		for _, e := range res.Entries {
			paged = append(paged, e.ID)
		}
		if res.NextCursor == "" {
			break
		}
		q.Set("before", res.NextCursor)
	}
	if len(paged) != len(all.Entries) {
		t.Fatalf("paging returned %d entries, want %d", len(paged), len(all.Entries))
	}
	for i, e := range all.Entries {
		if paged[i] != e.ID {
			t.Fatalf("paged ids %v differ from %v at %d", paged, all.Entries, i)
		}
	}

	// CSV: a header row and one row per entry of the same filter.
	r := backendtest.Do(t, "GET", srv.URL+"/api/v1/admin/audit?format=csv&action=request.", admin.Token(), "", "")
	if r.Status != 200 || !strings.HasPrefix(r.Header.Get("Content-Type"), "text/csv") {
		t.Fatalf("CSV export: %d %q", r.Status, r.Header.Get("Content-Type"))
	}
	rows := adCSV(t, r.Body)
	if len(rows) != 1+3 || rows[0][0] != "id" || !slices.Contains(rows[0], "action") || !slices.Contains(rows[0], "details") {
		t.Fatalf("CSV rows: %q", rows)
	}
	col := map[string]int{}
	for i, h := range rows[0] {
		col[h] = i
	}
	for i, e := range backendtest.Audit(t, admin, url.Values{"action": {"request."}}) {
		row := rows[1+i]
		if row[col["id"]] != strconv.FormatInt(e.ID, 10) || row[col["action"]] != e.Action || row[col["target_id"]] != e.TargetID {
			t.Fatalf("CSV row %d %q does not match entry %+v", i, row, e)
		}
	}
	if !strings.Contains(rows[3][col["details"]], "reason==cmd|' /C calc'!A0") {
		t.Fatalf("the reason is not in the create row: %q", rows[3])
	}

	// No cell of the whole export may start like a formula; the one that
	// would (the typed email of the failed sign-in) gets a leading '.
	r = backendtest.Do(t, "GET", srv.URL+"/api/v1/admin/audit?format=csv&limit=10000", admin.Token(), "", "")
	rows = adCSV(t, r.Body)
	found := false
	for _, row := range rows[1:] {
		for _, cell := range row {
			if cell != "" && strings.ContainsRune("=+-@\t\r", rune(cell[0])) {
				t.Fatalf("a CSV cell starts like a formula: %q in %q", cell, row)
			}
		}
		if row[col["action"]] == "login.failure" && row[col["actor_email"]] == "'=cmd|' /c calc'!a0" {
			found = true
		}
	}
	if !found {
		t.Fatalf("no login.failure row with the escaped email in:\n%s", r.Body)
	}
}

// TestAdminNetworks: defaults, membership, validation and deletion.
func TestAdminNetworks(t *testing.T) {
	srv := backendtest.NewServer(t)
	adm := srv.Admin(t)
	alice, aliceUser := srv.NewUser(t, "alice@example.com", api.RoleUser)
	bob, _ := srv.NewUser(t, "bob@example.com", api.RoleUser)

	name, cidr := "lab", "10.50.0.0/24"
	n, err := adm.CreateNetwork(t.Context(), api.NetworkInput{Name: &name, CIDR: &cidr})
	if err != nil {
		t.Fatal(err)
	}
	// The product starts at 51820; the harness moves each test server's
	// first port elsewhere so that parallel test servers do not collide.
	if admin.FirstListenPort != 51820 {
		t.Fatalf("the default first listen port is %d, want 51820", admin.FirstListenPort)
	}
	first := srv.API.FirstListenPort
	if first == 0 {
		first = admin.FirstListenPort
	}
	u, _ := url.Parse(srv.URL)
	if n.ListenPort < first || n.ListenPort >= first+1000 || n.Endpoint != u.Hostname()+":"+strconv.Itoa(n.ListenPort) || !n.JITEnabled || !n.AllUsers ||
		n.DefaultDurationSeconds != 8*3600 || n.MaxDurationSeconds != 30*24*3600 || n.CIDR != cidr {
		t.Fatalf("network with defaults: %+v", n)
	}
	// A second network gets another port.
	name2, cidr2 := "lab2", "10.51.0.0/24"
	n2, err := adm.CreateNetwork(t.Context(), api.NetworkInput{Name: &name2, CIDR: &cidr2})
	if err != nil {
		t.Fatal(err)
	}
	if n2.ListenPort < first || n2.ListenPort == n.ListenPort {
		t.Fatalf("second network's port %d (first %d)", n2.ListenPort, n.ListenPort)
	}
	backendtest.NetworkState(t, bob, n.ID) // every user sees it

	// Members: a list replaces "all users".
	members := []string{aliceUser.ID}
	n, err = adm.UpdateNetwork(t.Context(), n.ID, api.NetworkInput{MemberIDs: &members})
	if err != nil {
		t.Fatal(err)
	}
	if n.AllUsers || len(n.MemberIDs) != 1 || n.MemberIDs[0] != aliceUser.ID {
		t.Fatalf("after setting members: %+v", n)
	}
	backendtest.NetworkState(t, alice, n.ID)
	res, err := bob.MyNetworks(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	for _, x := range res.Networks {
		if x.ID == n.ID {
			t.Fatalf("bob still sees %s", x.Name)
		}
	}
	_, err = bob.Request(t.Context(), n.ID, "let me in", 0)
	backendtest.WantStatus(t, "a non-member requests", err, 403)

	unknown := []string{aliceUser.ID, "usr_nobody"}
	_, err = adm.UpdateNetwork(t.Context(), n.ID, api.NetworkInput{MemberIDs: &unknown})
	backendtest.WantStatus(t, "an unknown member", err, 400)

	// Validation.
	_, err = adm.CreateNetwork(t.Context(), api.NetworkInput{Name: &name, CIDR: new("10.52.0.0/24")})
	backendtest.WantStatus(t, "a duplicate name", err, 409)
	def, max := int64(48*3600), int64(24*3600)
	_, err = adm.CreateNetwork(t.Context(), api.NetworkInput{Name: new("lab3"), CIDR: new("10.53.0.0/24"), DefaultDurationSeconds: &def, MaxDurationSeconds: &max})
	backendtest.WantStatus(t, "default over max on create", err, 400)
	_, err = adm.UpdateNetwork(t.Context(), n.ID, api.NetworkInput{MaxDurationSeconds: new(int64(3600))})
	backendtest.WantStatus(t, "max under the default on update", err, 400)
	_, err = adm.UpdateNetwork(t.Context(), n.ID, api.NetworkInput{CIDR: new("10.60.0.0/24")})
	backendtest.WantStatus(t, "changing the cidr", err, 400)
	got := backendtest.Do(t, "GET", srv.URL+"/api/v1/admin/networks/"+n.ID, adm.Token(), "", "")
	var cur api.NetworkResponse
	if err := json.Unmarshal(got.Body, &cur); got.Status != 200 || err != nil {
		t.Fatalf("GET network: %d %s", got.Status, got.Body)
	}
	if cur.Network.CIDR != cidr || cur.Network.MaxDurationSeconds != 30*24*3600 || cur.Network.Name != "lab" || len(cur.Network.MemberIDs) != 1 {
		t.Fatalf("refused changes were saved: %+v", cur.Network)
	}

	// Delete.
	if err := adm.DeleteNetwork(t.Context(), n.ID); err != nil {
		t.Fatal(err)
	}
	if r := backendtest.Do(t, "GET", srv.URL+"/api/v1/admin/networks/"+n.ID, adm.Token(), "", ""); r.Status != 404 {
		t.Fatalf("GET a deleted network: %d %s", r.Status, r.Body)
	}
	backendtest.WantStatus(t, "delete twice", adm.DeleteNetwork(t.Context(), n.ID), 404)
	if res, err := alice.MyNetworks(t.Context()); err != nil || len(res.Networks) != 1 || res.Networks[0].ID != n2.ID {
		t.Fatalf("alice's networks after the delete: %+v %v", res.Networks, err)
	}
}

// TestAdminHealthAndMetrics: liveness with the server time, and the
// Prometheus metrics operators rely on.
func TestAdminHealthAndMetrics(t *testing.T) {
	srv := backendtest.NewServer(t, backendtest.WithConfig(func(c *config.Config) { c.MetricsToken = metricsToken }))
	admin := srv.Admin(t)
	alice, _ := srv.NewUser(t, "alice@example.com", api.RoleUser)
	net := srv.NewNetwork(t, "prod")

	r := backendtest.Do(t, "GET", srv.URL+"/healthz", "", "", "")
	var h api.Health
	if err := json.Unmarshal(r.Body, &h); r.Status != 200 || err != nil || h.Status != "ok" || h.Store != backendtest.StoreName() || !h.ServerTime.Equal(srv.Now()) {
		t.Fatalf("healthz: %d %s", r.Status, r.Body)
	}

	r = scrapeMetrics(t, srv)
	if r.Status != 200 {
		t.Fatalf("metrics: %d", r.Status)
	}
	for _, name := range []string{"gatepass_approvals_total", "gatepass_expiries_total", "gatepass_outbox_depth", "gatepass_expiry_lateness_seconds"} {
		if !strings.Contains(string(r.Body), "\n"+name) {
			t.Errorf("metrics lack %s", name)
		}
	}
	before := metricValue(t, string(r.Body), "gatepass_approvals_total")
	expBefore := metricValue(t, string(r.Body), "gatepass_expiries_total")
	latBefore := metricValue(t, string(r.Body), "gatepass_expiry_lateness_seconds_count")

	req, err := alice.Request(t.Context(), net.ID, "deploy", 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := admin.Approve(t.Context(), req.ID, time.Hour); err != nil {
		t.Fatal(err)
	}
	text := string(scrapeMetrics(t, srv).Body)
	if got := metricValue(t, text, "gatepass_approvals_total"); got != before+1 {
		t.Fatalf("approvals %v after an approval, want %v", got, before+1)
	}

	srv.Advance(time.Hour)
	backendtest.WaitFor(t, "the grant to expire", func() bool {
		r, err := alice.GetRequest(t.Context(), req.ID)
		return err == nil && r.Status == api.StatusExpired
	})
	// The sweep counts its expiries just after its commit.
	backendtest.WaitFor(t, "the expiry to be counted", func() bool {
		text = string(scrapeMetrics(t, srv).Body)
		return metricValue(t, text, "gatepass_expiries_total") >= expBefore+1 && metricValue(t, text, "gatepass_expiry_lateness_seconds_count") >= latBefore+1
	})
	if got := metricValue(t, text, "gatepass_expiries_total"); got != expBefore+1 {
		t.Fatalf("expiries %v after an expiry, want %v", got, expBefore+1)
	}
	if got := metricValue(t, text, "gatepass_expiry_lateness_seconds_count"); got != latBefore+1 {
		t.Fatalf("lateness observations %v after an expiry, want %v", got, latBefore+1)
	}
}

// TestAdminServerTimeHeader: every response, errors included, carries the
// server clock.
func TestAdminServerTimeHeader(t *testing.T) {
	srv := backendtest.NewServer(t)
	admin := srv.Admin(t)
	alice, _ := srv.NewUser(t, "alice@example.com", api.RoleUser)
	srv.Advance(90 * time.Second)

	for _, tc := range []struct {
		token        string
		method, path string
		body         string
		status       int
	}{
		{alice.Token(), "GET", "/api/v1/me/networks", "", 200},
		{admin.Token(), "GET", "/api/v1/admin/networks", "", 200},
		{"", "GET", "/healthz", "", 200},
		{"", "POST", "/api/v1/login", `{"email":"alice@example.com","password":"wrong-password"}`, 401},
		{"", "GET", "/api/v1/me/networks", "", 401},
		{alice.Token(), "GET", "/api/v1/admin/users", "", 403},
		{alice.Token(), "GET", "/api/v1/requests/req_nope", "", 404},
		{alice.Token(), "GET", "/api/v1/no-such-endpoint", "", 404},
		{alice.Token(), "POST", "/api/v1/networks/net_nope/requests", `{"reason":`, 400},
	} {
		ct := ""
		if tc.body != "" {
			ct = "application/json"
		}
		r := backendtest.Do(t, tc.method, srv.URL+tc.path, tc.token, ct, tc.body)
		if r.Status != tc.status {
			t.Errorf("%s %s: status %d, want %d (%s)", tc.method, tc.path, r.Status, tc.status, r.Body)
		}
		if !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
			t.Errorf("%s %s: Content-Type %q", tc.method, tc.path, r.Header.Get("Content-Type"))
		}
		v := r.Header.Get(api.ServerTimeHeader)
		st, err := time.Parse(time.RFC3339Nano, v)
		if err != nil || !st.Equal(srv.Now()) {
			t.Errorf("%s %s: %s = %q, want the server clock %s", tc.method, tc.path, api.ServerTimeHeader, v, srv.Now().Format(time.RFC3339Nano))
		}
		if r.Status >= 400 {
			var e api.ErrorBody
			if err := json.Unmarshal(r.Body, &e); err != nil || e.Error.Code == "" || e.Error.Message == "" {
				t.Errorf("%s %s: error body %s", tc.method, tc.path, r.Body)
			}
		}
	}
}
