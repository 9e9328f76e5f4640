package admin

import (
	"fmt"
	"strings"

	"gatepass.dev/backend/internal/store"
)

// AuditText says an audit entry in words: "Alex granted 8h to Casey on
// staging-internal". It is the one sentence of each action, shown by the
// audit log and a request's history and written to the exports (the CSV's
// text column, the JSON's text field) beside the raw fields, which stay the
// record. People are named by their display name where ListAudit found one
// (the user may have been deleted since), else by their email. User text
// (reasons, notes, names) is quoted as it is: the page escapes it, the CSV
// keeps it from being read as a formula. An action this function does not
// know is said as "<actor>: <action>".
func AuditText(e store.AuditEntry) string {
	d := e.Details
	if d == nil {
		d = map[string]string{}
	}
	actor := person(e.ActorName, e.ActorEmail)
	if e.ActorID == "" && (e.ActorEmail == "system" || e.ActorEmail == "") {
		actor = "Gatepass"
	}
	subject := person(e.SubjectName, d["user"])
	network := d["network"]
	if s, ok := policyText(e, d, actor, subject, network); ok {
		return s
	}
	switch e.Action {
	case "request.create":
		if d["again_of"] != "" {
			return fmt.Sprintf("%s granted %s access to %s again, for the same reason: %s", actor, subject, network, quote(d["reason"]))
		}
		s := fmt.Sprintf("%s asked for access to %s", actor, network)
		if w := d["wished"]; w != "" {
			s += " for " + w
		}
		return s + ": " + quote(d["reason"])
	case "request.approve":
		return fmt.Sprintf("%s granted %s to %s on %s", actor, d["duration"], subject, network)
	case "request.deny":
		return withNote(fmt.Sprintf("%s denied the request of %s for %s", actor, subject, network), d)
	case "request.revoke":
		return withNote(fmt.Sprintf("%s revoked the access of %s to %s", actor, subject, network), d)
	case "request.release":
		return fmt.Sprintf("%s gave up their access to %s", actor, network)
	case "request.cancel":
		s := fmt.Sprintf("%s withdrew their request for %s", actor, network)
		if d["admin_email"] != "" {
			s += " (the admins' email was withdrawn too)"
		}
		return s
	case "request.expire":
		return fmt.Sprintf("The access of %s to %s expired", subject, network)
	case "request.timeout":
		return fmt.Sprintf("The request of %s for %s timed out unanswered", subject, network)

	case "network.create":
		return fmt.Sprintf("%s created the network %s (%s)", actor, d["name"], d["cidr"])
	case "network.update":
		s := fmt.Sprintf("%s changed the network %s", actor, d["name"])
		if c := d["changed"]; c != "" {
			s += ": " + strings.ReplaceAll(c, ",", ", ")
		}
		return s
	case "network.delete":
		return fmt.Sprintf("%s deleted the network %s", actor, d["name"])

	case "user.create":
		return fmt.Sprintf("%s created the account of %s (%s)", actor, d["email"], d["role"])
	case "user.invite":
		return fmt.Sprintf("%s invited %s (%s)", actor, d["email"], d["role"])
	case "user.update":
		var what []string
		if n, ok := d["name"]; ok {
			what = append(what, "renamed them "+quote(n))
		}
		if r := d["role"]; r != "" {
			what = append(what, "made them "+article(r))
		}
		switch d["disabled"] {
		case "true":
			what = append(what, "disabled their account")
		case "false":
			what = append(what, "enabled their account")
		}
		s := fmt.Sprintf("%s changed the account of %s", actor, subject)
		if len(what) > 0 {
			s += ": " + strings.Join(what, ", ")
		}
		return s
	case "user.accept_invite":
		return fmt.Sprintf("%s accepted their invitation and set a password", actor)

	case "settings.update":
		s := fmt.Sprintf("%s changed the server settings", actor)
		if c := d["changed"]; c != "" {
			s += ": " + strings.ReplaceAll(c, ",", ", ")
		}
		return s
	case "settings.test_email":
		if d["ok"] == "true" {
			return fmt.Sprintf("%s sent a test email to %s", actor, d["to"])
		}
		return fmt.Sprintf("%s tried a test email to %s: %s", actor, d["to"], d["answer"])

	case "outbox.retry":
		return fmt.Sprintf("%s queued the email to %s again: %s", actor, d["to"], quote(d["subject"]))
	case ActionRetryUndeliverable:
		return fmt.Sprintf("%s queued %s again", actor, plural(d["count"], "undeliverable email", "undeliverable emails"))

	case "login":
		return fmt.Sprintf("%s signed in", actor)
	case "login.failure":
		return fmt.Sprintf("A sign-in as %s failed: %s", e.ActorEmail, d["reason"])
	case "login.blocked":
		return fmt.Sprintf("A sign-in as %s was blocked: %s", e.ActorEmail, d["reason"])
	case "logout":
		return fmt.Sprintf("%s signed out", actor)

	case "device.register":
		return fmt.Sprintf("%s registered the device %s", actor, quote(d["name"]))
	case "device.remove":
		if d["by_owner"] == "true" {
			return fmt.Sprintf("%s removed their device %s", actor, quote(d["name"]))
		}
		return fmt.Sprintf("%s removed the device %s of %s", actor, quote(d["name"]), subject)
	case "tunnel.config":
		return fmt.Sprintf("%s fetched a tunnel configuration for %s (%s)", actor, network, d["address"])

	case "expiry.catch_up":
		return fmt.Sprintf("At start-up, Gatepass ended what fell due while it was down: %s, %s",
			plural(d["grants_expired"], "grant expired", "grants expired"),
			plural(d["pending_timed_out"], "pending request timed out", "pending requests timed out"))
	}
	return actor + ": " + e.Action
}

// ActionRetryUndeliverable is the audit action of "Retry all undeliverable".
const ActionRetryUndeliverable = "outbox.retry_undeliverable"

// person names someone: their display name, else their email.
func person(name, email string) string {
	if name = strings.TrimSpace(name); name != "" {
		return name
	}
	if email != "" {
		return email
	}
	return "someone"
}

// withNote adds a decision's note (and why the system ended it) to s.
func withNote(s string, d map[string]string) string {
	if n := d["note"]; n != "" {
		s += ": " + quote(n)
	}
	return s
}

func quote(s string) string { return "“" + s + "”" }

func article(role string) string {
	if role == "admin" {
		return "an admin"
	}
	return "a " + role
}

// plural is "1 grant expired", "3 grants expired" for a count in text.
func plural(count, one, many string) string {
	if count == "" {
		count = "0"
	}
	if count == "1" {
		return count + " " + one
	}
	return count + " " + many
}
