package admin

import (
	"fmt"
	"strings"

	"gatepass.dev/backend/internal/store"
)

// policyText says the audit entries of the policies in words: extensions,
// break-glass, approvals of a network that needs several, a rule's
// decision, groups, rules and service users' tokens. ok is false for the
// entries AuditText says itself.
func policyText(e store.AuditEntry, d map[string]string, actor, subject, network string) (string, bool) {
	switch e.Action {
	case "request.create":
		switch d["kind"] {
		case "extension":
			s := fmt.Sprintf("%s asked for more time on their access to %s", actor, network)
			if w := d["wished"]; w != "" {
				s = fmt.Sprintf("%s asked for %s more on their access to %s", actor, w, network)
			}
			return s + ": " + quote(d["reason"]), true
		case "break_glass":
			return fmt.Sprintf("%s broke the glass on %s: %s", actor, network, quote(d["reason"])), true
		}
		if at := d["starts_at"]; at != "" && d["again_of"] == "" {
			s := fmt.Sprintf("%s asked for access to %s from %s", actor, network, at)
			if w := d["wished"]; w != "" {
				s += " for " + w
			}
			return s + ": " + quote(d["reason"]), true
		}
	case "request.approve":
		if d["to"] == "pending" && d["approvals"] != "" {
			return fmt.Sprintf("%s approved %s for %s on %s (%s approvals)", actor, d["duration"], subject, network, d["approvals"]), true
		}
		what := "granted"
		if d["kind"] == "extension" {
			what = "granted an extension of"
		}
		switch {
		case d["rule"] == "break-glass":
			return fmt.Sprintf("%s %s %s to %s on %s by break-glass, to be reviewed: %s", actor, what, d["duration"], subject, network, d["why"]), true
		case d["rule"] != "":
			return fmt.Sprintf("%s %s %s to %s on %s by the rule %s: %s", actor, what, d["duration"], subject, network, quote(d["rule"]), d["why"]), true
		case d["approvals"] != "" && !strings.HasPrefix(d["approvals"], "1 of 1"):
			return fmt.Sprintf("%s %s %s to %s on %s (%s approvals)", actor, what, d["duration"], subject, network, d["approvals"]), true
		case d["kind"] == "extension":
			return fmt.Sprintf("%s %s %s to %s on %s", actor, what, d["duration"], subject, network), true
		}
	case "request.extend":
		return fmt.Sprintf("%s extended the access of %s to %s by %s, to %s in all", actor, subject, network, d["added"], d["duration"]), true
	case "request.acknowledge":
		return withNote(fmt.Sprintf("%s reviewed the break-glass access of %s to %s", actor, subject, network), d), true
	case "group.create":
		return fmt.Sprintf("%s created the group %s (%s)", actor, d["name"], plural(d["members"], "member", "members")), true
	case "group.update":
		s := fmt.Sprintf("%s changed the group %s", actor, d["name"])
		var what []string
		if d["added"] != "" {
			what = append(what, "added "+plural(fmt.Sprint(len(strings.Split(d["added"], ","))), "member", "members"))
		}
		if d["removed"] != "" {
			what = append(what, "removed "+plural(fmt.Sprint(len(strings.Split(d["removed"], ","))), "member", "members"))
		}
		if len(what) == 0 && d["changed"] != "" {
			what = append(what, strings.ReplaceAll(d["changed"], ",", ", "))
		}
		if len(what) > 0 {
			s += ": " + strings.Join(what, ", ")
		}
		return s, true
	case "group.delete":
		return fmt.Sprintf("%s deleted the group %s", actor, d["name"]), true
	case "rule.create":
		return fmt.Sprintf("%s added the rule %s to %s (number %s)", actor, quote(d["name"]), network, d["position"]), true
	case "rule.update":
		if d["changed"] == "position" {
			return fmt.Sprintf("%s moved the rule %s of %s to number %s", actor, quote(d["name"]), network, d["position"]), true
		}
		s := fmt.Sprintf("%s changed the rule %s of %s", actor, quote(d["name"]), network)
		if c := d["changed"]; c != "" {
			s += ": " + strings.ReplaceAll(c, ",", ", ")
		}
		return s, true
	case "rule.delete":
		return fmt.Sprintf("%s deleted the rule %s of %s", actor, quote(d["name"]), network), true
	case "user.create":
		if d["service"] == "true" {
			return fmt.Sprintf("%s created the service user %s", actor, d["email"]), true
		}
	case "user.token":
		return fmt.Sprintf("%s issued an API token to the service user %s (its others ended)", actor, d["email"]), true
	}
	return "", false
}
