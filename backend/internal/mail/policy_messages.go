package mail

import (
	"fmt"
	"time"
)

// The mails of the policies: an extension request to its deciders, the
// progress of a request that needs several approvals, an extension
// granted, and the alert of a break-glass access.

// ExtensionRequestData is the content of the mail to a decider about a
// request for more time on an active grant.
type ExtensionRequestData struct {
	PublicURL      string
	RequesterName  string // may be empty
	RequesterEmail string
	Network        string
	Reason         string // may span lines
	// Added is the time asked for; ExpiresAt is when the grant ends now.
	Added     time.Duration
	ExpiresAt time.Time
	// Approvals says how many approvals it needs when more than one.
	Approvals   string
	RequestedAt time.Time
	ReviewURL   string
}

// ExtensionRequestMessage is the mail to a decider (to) about an extension
// request. Subject: "Extension request: alice@example.com → production-db
// (+2h)".
func ExtensionRequestMessage(to string, d ExtensionRequestData) Message {
	d.RequesterName, d.RequesterEmail, d.Network = oneLine(d.RequesterName), oneLine(d.RequesterEmail), oneLine(d.Network)
	d.Reason, d.Approvals, d.ReviewURL = multiLine(d.Reason), oneLine(d.Approvals), oneLine(d.ReviewURL)
	return render("extension_request", to, fmt.Sprintf("Extension request: %s → %s (+%s)", d.RequesterEmail, d.Network, FormatDuration(d.Added)), d.PublicURL, d)
}

// ProgressData is the content of the mail about an approval that is not
// the last one a request needs ("1 of 2").
type ProgressData struct {
	PublicURL      string
	Network        string
	RequesterEmail string
	// ApprovedBy is the approver who just approved.
	ApprovedBy string
	// Count of Required approvals are given.
	Count, Required int
	// ForRequester: the mail goes to the requester ("your request");
	// otherwise to a decider who has not approved yet, with ReviewURL.
	ForRequester bool
	ReviewURL    string
}

// Progress is "1 of 2".
func (d ProgressData) Progress() string { return fmt.Sprintf("%d of %d", d.Count, d.Required) }

// Missing is how many approvals are still needed.
func (d ProgressData) Missing() int { return max(0, d.Required-d.Count) }

// ProgressMessage is the mail (to) about a partial approval. Subject:
// "Approval 1 of 2: production-db" (requester) or "Approval 1 of 2:
// alice@example.com → production-db" (deciders).
func ProgressMessage(to string, d ProgressData) Message {
	d.Network, d.RequesterEmail, d.ApprovedBy, d.ReviewURL = oneLine(d.Network), oneLine(d.RequesterEmail), oneLine(d.ApprovedBy), oneLine(d.ReviewURL)
	subject := "Approval " + d.Progress() + ": " + d.Network
	if !d.ForRequester {
		subject = "Approval " + d.Progress() + ": " + d.RequesterEmail + " → " + d.Network
	}
	return render("approval_progress", to, subject, d.PublicURL, d)
}

// ExtendedData is the content of the mail telling a user their grant was
// extended.
type ExtendedData struct {
	PublicURL string
	Network   string
	// Added is the time added; ExpiresAt the grant's new end.
	Added     time.Duration
	ExpiresAt time.Time
	// ApprovedBy is who approved it ("rule: on-call" for a rule).
	ApprovedBy string
}

// ExtendedMessage is the mail to the requester (to) whose extension was
// granted. Subject: "Access extended: production-db".
func ExtendedMessage(to string, d ExtendedData) Message {
	d.Network, d.ApprovedBy = oneLine(d.Network), oneLine(d.ApprovedBy)
	return render("extended", to, "Access extended: "+d.Network, d.PublicURL, d)
}

// BreakGlassData is the content of the alert to a network's approvers
// about a break-glass access.
type BreakGlassData struct {
	PublicURL      string
	RequesterName  string // may be empty
	RequesterEmail string
	Network        string
	Reason         string // may span lines
	Duration       time.Duration
	ExpiresAt      time.Time
	At             time.Time
	// ReviewURL is the request's admin page, where an approver
	// acknowledges it.
	ReviewURL string
}

// BreakGlassMessage is the alert (to) of a break-glass access. Subject:
// "Break-glass access: alice@example.com → production-db".
func BreakGlassMessage(to string, d BreakGlassData) Message {
	d.RequesterName, d.RequesterEmail, d.Network = oneLine(d.RequesterName), oneLine(d.RequesterEmail), oneLine(d.Network)
	d.Reason, d.ReviewURL = multiLine(d.Reason), oneLine(d.ReviewURL)
	return render("break_glass", to, "Break-glass access: "+d.RequesterEmail+" → "+d.Network, d.PublicURL, d)
}
