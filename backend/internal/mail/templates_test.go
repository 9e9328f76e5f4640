package mail_test

import (
	"strings"
	"testing"
	"time"

	"gatepass.dev/backend/internal/mail"
)

const publicURL = "https://gatepass.example.com"

var at = time.Date(2026, 11, 23, 14, 5, 0, 0, time.UTC)

const atText = "Mon, 23 Nov 2026 14:05 UTC"

// allMessages builds one of every message with the given user-controlled
// text in every free-text field.
func allMessages(hostile string) map[string]mail.Message {
	return map[string]mail.Message{
		"new_request": mail.NewRequestMessage("admin@example.com", mail.NewRequestData{
			PublicURL: publicURL, RequesterName: "Alice " + hostile, RequesterEmail: "alice@example.com",
			Network: "staging-internal" + hostile, Reason: "deploy hotfix " + hostile, Duration: 8 * time.Hour,
			RequestedAt: at, ReviewURL: publicURL + "/admin/requests/req_x",
		}),
		"approved": mail.ApprovedMessage("alice@example.com", mail.ApprovedData{
			PublicURL: publicURL, Network: "staging-internal" + hostile, ApprovedBy: "Bob " + hostile,
			Duration: 48 * time.Hour, ExpiresAt: at,
		}),
		"denied": mail.DeniedMessage("alice@example.com", mail.DeniedData{
			PublicURL: publicURL, Network: "staging-internal" + hostile, DeniedBy: "Bob " + hostile,
			DeniedAt: at, Note: "not now " + hostile,
		}),
		"expired": mail.ExpiredMessage("alice@example.com", mail.ExpiredData{
			PublicURL: publicURL, Network: "staging-internal" + hostile, ExpiredAt: at,
		}),
		"revoked": mail.RevokedMessage("alice@example.com", mail.RevokedData{
			PublicURL: publicURL, Network: "staging-internal" + hostile, RevokedBy: "Bob " + hostile,
			RevokedAt: at, Note: "incident over " + hostile,
		}),
		"released": mail.RevokedMessage("alice@example.com", mail.RevokedData{
			PublicURL: publicURL, Network: "staging-internal" + hostile, ByUser: true, RevokedAt: at,
		}),
		"pending_expired": mail.PendingExpiredMessage("alice@example.com", mail.PendingExpiredData{
			PublicURL: publicURL, Network: "staging-internal" + hostile, RequestedAt: at, ExpiredAt: at.Add(time.Hour),
		}),
		"invite": mail.InviteMessage("carol@example.com", mail.InviteData{
			PublicURL: publicURL, InviterName: "Bob " + hostile, InviteeName: "Carol " + hostile,
			URL: publicURL + "/invite/tok_abc", ExpiresAt: at,
		}),
		"test": mail.TestMessage("admin@example.com", publicURL),
	}
}

func TestMessagesHaveTextHTMLAndFooter(t *testing.T) {
	for name, m := range allMessages("") {
		t.Run(name, func(t *testing.T) {
			if m.Subject == "" || strings.ContainsAny(m.Subject, "\r\n") {
				t.Errorf("subject = %q", m.Subject)
			}
			if !strings.HasPrefix(m.HTML, "<!DOCTYPE html>") {
				t.Errorf("HTML part missing or not a document: %.80q", m.HTML)
			}
			wantFooter := "Gatepass · " + publicURL
			if !strings.Contains(m.Text, wantFooter) {
				t.Errorf("text lacks footer %q:\n%s", wantFooter, m.Text)
			}
			if !strings.Contains(m.HTML, `Gatepass · <a href="`+publicURL+`"`) {
				t.Errorf("HTML lacks footer link:\n%s", m.HTML)
			}
			for _, bad := range []string{"<no value>", "ZgotmplZ", "%!"} {
				if strings.Contains(m.Text, bad) || strings.Contains(m.HTML, bad) {
					t.Errorf("rendering artefact %q in message:\n%s\n%s", bad, m.Text, m.HTML)
				}
			}
			if name != "test" && name != "invite" && !strings.Contains(m.Text, "staging-internal") {
				t.Errorf("text lacks the network name:\n%s", m.Text)
			}
		})
	}
}

func TestNewRequestMessageContent(t *testing.T) {
	m := allMessages("")["new_request"]
	if want := "Access request: alice@example.com → staging-internal"; m.Subject != want {
		t.Errorf("subject = %q, want %q", m.Subject, want)
	}
	if m.To != "admin@example.com" {
		t.Errorf("to = %q", m.To)
	}
	review := publicURL + "/admin/requests/req_x"
	for _, want := range []string{"Alice (alice@example.com)", "staging-internal", "deploy hotfix", "8h", atText, "\n" + review + "\n"} {
		if !strings.Contains(m.Text, want) {
			t.Errorf("text lacks %q:\n%s", want, m.Text)
		}
	}
	for _, want := range []string{`<a href="` + review + `"`, "Review request", "deploy hotfix", atText} {
		if !strings.Contains(m.HTML, want) {
			t.Errorf("HTML lacks %q", want)
		}
	}
}

func TestDecisionMessagesContent(t *testing.T) {
	msgs := allMessages("")
	cases := []struct {
		name    string
		subject string
		text    []string
	}{
		{"approved", "Access approved: staging-internal", []string{"approved by Bob", "2d", atText}},
		{"denied", "Access denied: staging-internal", []string{"denied by Bob", "not now"}},
		{"expired", "Access expired: staging-internal", []string{"has expired", atText}},
		{"revoked", "Access revoked: staging-internal", []string{"revoked by Bob", "incident over"}},
		{"released", "Access ended: staging-internal", []string{"You gave up your access"}},
		{"pending_expired", "Access request timed out: staging-internal", []string{"not decided in time", "Mon, 23 Nov 2026 15:05 UTC"}},
		{"invite", "Bob invited you to Gatepass", []string{"Hello Carol", publicURL + "/invite/tok_abc", "expires on " + atText}},
		{"test", "Gatepass test email", []string{"test email"}},
	}
	for _, c := range cases {
		m := msgs[c.name]
		if m.Subject != c.subject {
			t.Errorf("%s: subject = %q, want %q", c.name, m.Subject, c.subject)
		}
		for _, want := range c.text {
			if !strings.Contains(m.Text, want) {
				t.Errorf("%s: text lacks %q:\n%s", c.name, want, m.Text)
			}
		}
	}
	if strings.Contains(msgs["released"].Text, "revoked by") {
		t.Errorf("a release must not name an admin:\n%s", msgs["released"].Text)
	}
}

func TestTemplatesEscapeHostileText(t *testing.T) {
	for _, hostile := range []string{`<script>alert(1)</script>`, `"><img src=x onerror=alert(1)>`} {
		for name, m := range allMessages(hostile) {
			if name == "test" {
				continue
			}
			// (The one image is the brand's mark, sent with the mail.)
			for _, bad := range []string{"<script", "<img src=x"} {
				if strings.Contains(m.HTML, bad) {
					t.Errorf("%s: HTML contains raw %q:\n%s", name, bad, m.HTML)
				}
			}
			if !strings.Contains(m.HTML, "&lt;") {
				t.Errorf("%s: HTML does not show the hostile text escaped:\n%s", name, m.HTML)
			}
			// The text part is plain text: shown verbatim, harmless.
			if !strings.Contains(m.Text, hostile) && !strings.Contains(m.Text, strings.TrimSpace(hostile)) {
				t.Errorf("%s: text part lost the user text:\n%s", name, m.Text)
			}
		}
	}
	m := mail.NewRequestMessage("admin@example.com", mail.NewRequestData{
		RequesterEmail: "alice@example.com", Network: "n", Reason: "<script>alert(1)</script>",
	})
	if !strings.Contains(m.HTML, "&lt;script&gt;alert(1)&lt;/script&gt;") {
		t.Errorf("reason not shown as text:\n%s", m.HTML)
	}
}

func TestTemplatesNeutraliseScriptURLs(t *testing.T) {
	m := mail.NewRequestMessage("admin@example.com", mail.NewRequestData{
		RequesterEmail: "alice@example.com", Network: "n", ReviewURL: "javascript:alert(1)",
	})
	if strings.Contains(m.HTML, `href="javascript:`) {
		t.Errorf("javascript: URL reached an href:\n%s", m.HTML)
	}
}

func TestMessagesStripControlCharacters(t *testing.T) {
	m := mail.NewRequestMessage("admin@example.com", mail.NewRequestData{
		RequesterName: "Mallory\r\nBcc: evil@example.com", RequesterEmail: "mallory@example.com\r\nX-Evil: 1",
		Network: "net\nwork", Reason: "line one\r\nline two\x00\x1b[31m",
	})
	if strings.ContainsAny(m.Subject, "\r\n") {
		t.Fatalf("subject has a line break: %q", m.Subject)
	}
	if strings.Contains(m.Text, "\r") || strings.ContainsRune(m.Text, 0) || strings.ContainsRune(m.Text, 0x1b) {
		t.Errorf("text has control characters: %q", m.Text)
	}
	if !strings.Contains(m.Text, "Mallory Bcc: evil@example.com") {
		t.Errorf("name was not flattened to one line:\n%s", m.Text)
	}
	if !strings.Contains(m.Text, "  line one\n  line two") {
		t.Errorf("reason lost its line break:\n%s", m.Text)
	}
}

func TestFormat(t *testing.T) {
	durations := map[time.Duration]string{
		0:                              "",
		45 * time.Second:               "45s",
		30 * time.Minute:               "30m",
		8 * time.Hour:                  "8h",
		90 * time.Minute:               "1h 30m",
		48 * time.Hour:                 "2d",
		52 * time.Hour:                 "2d 4h",
		30*24*time.Hour - time.Hour:    "29d 23h",
		8*time.Hour + 10*time.Second:   "8h 10s",
		time.Hour + 30*time.Minute + 1: "1h 30m",
	}
	for d, want := range durations {
		if got := mail.FormatDuration(d); got != want {
			t.Errorf("FormatDuration(%v) = %q, want %q", d, got, want)
		}
	}
	berlin := time.FixedZone("CET", 3600)
	if got := mail.FormatTime(at.In(berlin)); got != atText {
		t.Errorf("FormatTime = %q, want %q", got, atText)
	}
	if got := mail.FormatTime(time.Time{}); got != "" {
		t.Errorf("FormatTime(zero) = %q", got)
	}
}

// TestMessagesStateTheirTimeZone: every mail with times in it says, in
// both parts, which zone they are in; the test email has none to state.
func TestMessagesStateTheirTimeZone(t *testing.T) {
	const want = "All times in this email are in UTC (Coordinated Universal Time)."
	for name, m := range allMessages("") {
		has := strings.Contains(m.Text, want) && strings.Contains(m.HTML, want)
		if name == "test" {
			if strings.Contains(m.Text, want) || strings.Contains(m.HTML, want) {
				t.Errorf("the test email states a time zone without times:\n%s", m.Text)
			}
			continue
		}
		if !has {
			t.Errorf("%s does not state its time zone:\n%s\n%s", name, m.Text, m.HTML)
		}
		if i, j := strings.Index(m.Text, want), strings.LastIndex(m.Text, "-- \n"); i < 0 || j < i {
			t.Errorf("%s: the time zone is not stated above the signature:\n%s", name, m.Text)
		}
	}
}
