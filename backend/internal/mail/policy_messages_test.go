package mail_test

import (
	"strings"
	"testing"
	"time"

	"gatepass.dev/backend/internal/mail"
)

// policyMessages builds one of every policy message with user text in
// every free-text field.
func policyMessages(hostile string) map[string]mail.Message {
	return map[string]mail.Message{
		"extension_request": mail.ExtensionRequestMessage("dana@example.com", mail.ExtensionRequestData{
			PublicURL: publicURL, RequesterName: "Alice " + hostile, RequesterEmail: "alice@example.com", Network: "production-db" + hostile,
			Reason: "migration runs long " + hostile, Added: 2 * time.Hour, ExpiresAt: at, Approvals: "2 from distinct approvers",
			RequestedAt: at, ReviewURL: publicURL + "/admin/requests/req_x",
		}),
		"progress_requester": mail.ProgressMessage("alice@example.com", mail.ProgressData{
			PublicURL: publicURL, Network: "production-db" + hostile, RequesterEmail: "alice@example.com", ApprovedBy: "dana@example.com" + hostile,
			Count: 1, Required: 2, ForRequester: true,
		}),
		"progress_decider": mail.ProgressMessage("erik@example.com", mail.ProgressData{
			PublicURL: publicURL, Network: "production-db" + hostile, RequesterEmail: "alice@example.com", ApprovedBy: "dana@example.com" + hostile,
			Count: 1, Required: 2, ReviewURL: publicURL + "/admin/requests/req_x",
		}),
		"extended": mail.ExtendedMessage("alice@example.com", mail.ExtendedData{
			PublicURL: publicURL, Network: "production-db" + hostile, Added: time.Hour, ExpiresAt: at, ApprovedBy: "rule: on-call" + hostile,
		}),
		"break_glass": mail.BreakGlassMessage("dana@example.com", mail.BreakGlassData{
			PublicURL: publicURL, RequesterName: "Alice " + hostile, RequesterEmail: "alice@example.com", Network: "production-db" + hostile,
			Reason: "orders DB down " + hostile, Duration: time.Hour, ExpiresAt: at.Add(time.Hour), At: at, ReviewURL: publicURL + "/admin/requests/req_x",
		}),
	}
}

func TestPolicyMessagesContent(t *testing.T) {
	msgs := policyMessages("")
	cases := []struct {
		name    string
		subject string
		text    []string
	}{
		{"extension_request", "Extension request: alice@example.com → production-db (+2h)", []string{"asks for 2h more on production-db", "migration runs long", "2 from distinct approvers", publicURL + "/admin/requests/req_x"}},
		{"progress_requester", "Approval 1 of 2: production-db", []string{"dana@example.com approved your request", "1 of 2 approvals", "needs 1 more"}},
		{"progress_decider", "Approval 1 of 2: alice@example.com → production-db", []string{"approved the request of alice@example.com", "needs 1 more", publicURL + "/admin/requests/req_x"}},
		{"extended", "Access extended: production-db", []string{"extended by 1h (rule: on-call)", "now expires on " + atText, "stays up"}},
		{"break_glass", "Break-glass access: alice@example.com → production-db", []string{"broke the glass on production-db", "for 1h", "orders DB down", "acknowledge"}},
	}
	for _, c := range cases {
		m := msgs[c.name]
		if m.Subject != c.subject {
			t.Errorf("%s: subject = %q, want %q", c.name, m.Subject, c.subject)
		}
		if !strings.HasPrefix(m.HTML, "<!DOCTYPE html>") || !strings.Contains(m.Text, "Gatepass · "+publicURL) {
			t.Errorf("%s: no HTML part or no footer", c.name)
		}
		for _, want := range c.text {
			if !strings.Contains(m.Text, want) {
				t.Errorf("%s: text lacks %q:\n%s", c.name, want, m.Text)
			}
		}
		for _, bad := range []string{"<no value>", "ZgotmplZ", "%!"} {
			if strings.Contains(m.Text, bad) || strings.Contains(m.HTML, bad) {
				t.Errorf("%s: rendering artefact %q", c.name, bad)
			}
		}
	}
}

// TestPolicyMessagesHostileText: user text is escaped in the HTML part and
// never breaks a header.
func TestPolicyMessagesHostileText(t *testing.T) {
	for name, m := range policyMessages("<script>alert(1)</script>\r\nBcc: evil@example.com") {
		if strings.Contains(m.HTML, "<script") {
			t.Errorf("%s: HTML contains a raw script:\n%s", name, m.HTML)
		}
		if !strings.Contains(m.HTML, "&lt;script&gt;") {
			t.Errorf("%s: the hostile text is not shown escaped:\n%s", name, m.HTML)
		}
		if strings.ContainsAny(m.Subject, "\r\n") {
			t.Errorf("%s: subject has a line break: %q", name, m.Subject)
		}
	}
}

// TestPolicyLinesOfExistingMessages: a scheduled request's start and the
// approvals it needs, a scheduled grant's start, and a denied extension.
func TestPolicyLinesOfExistingMessages(t *testing.T) {
	m := mail.NewRequestMessage("dana@example.com", mail.NewRequestData{PublicURL: publicURL, RequesterEmail: "alice@example.com", Network: "n",
		StartsAt: at, Approvals: "2 from distinct approvers"})
	if !strings.Contains(m.Text, "Starts:") || !strings.Contains(m.Text, atText) || !strings.Contains(m.Text, "2 from distinct approvers") {
		t.Errorf("new request:\n%s", m.Text)
	}
	m = mail.ApprovedMessage("alice@example.com", mail.ApprovedData{PublicURL: publicURL, Network: "n", StartsAt: at, ExpiresAt: at.Add(time.Hour), Duration: time.Hour})
	if !strings.Contains(m.Text, "Starts:") {
		t.Errorf("approved:\n%s", m.Text)
	}
	m = mail.DeniedMessage("alice@example.com", mail.DeniedData{PublicURL: publicURL, Network: "n", Extension: true})
	if !strings.Contains(m.Text, "Your request for more time on n was denied") {
		t.Errorf("denied extension:\n%s", m.Text)
	}
}
