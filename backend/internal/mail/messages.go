package mail

import (
	"time"
)

// Every data struct carries PublicURL, the server's public base URL (e.g.
// "https://gatepass.example.com"), shown in the footer line
// "Gatepass · <PublicURL>". Times are shown in UTC; zero times, zero
// durations and empty optional strings leave their line out.

// NewRequestData is the content of the mail to an admin about a new access
// request.
type NewRequestData struct {
	PublicURL string
	// RequesterName is the user's display name; may be empty.
	RequesterName string
	// RequesterEmail is the user's email address.
	RequesterEmail string
	// Network is the network's name.
	Network string
	// Reason is the user's free text; may be empty or span lines.
	Reason string
	// Duration is the duration the user wished for; 0 if none was given.
	Duration time.Duration
	// RequestedAt is when the request was made.
	RequestedAt time.Time
	// ReviewURL is the admin page of the request, e.g.
	// "https://host/admin/requests/req_x": a button in HTML, a URL in text.
	ReviewURL string
	// StartsAt is when a scheduled request's access would start; zero for
	// at approval.
	StartsAt time.Time
	// Approvals says how many approvals the request needs when more than
	// one ("2 from distinct approvers"); empty otherwise.
	Approvals string
}

// NewRequestMessage is the mail to an admin (to) about a new access request.
// Subject: "Access request: alice@example.com → staging-internal".
func NewRequestMessage(to string, d NewRequestData) Message {
	d.RequesterName = oneLine(d.RequesterName)
	d.RequesterEmail = oneLine(d.RequesterEmail)
	d.Network = oneLine(d.Network)
	d.Reason = multiLine(d.Reason)
	d.ReviewURL = oneLine(d.ReviewURL)
	d.Approvals = oneLine(d.Approvals)
	who := d.RequesterEmail
	if who == "" {
		who = d.RequesterName
	}
	return render("new_request", to, "Access request: "+who+" → "+d.Network, d.PublicURL, d)
}

// ApprovedData is the content of the mail telling a user their request was
// approved.
type ApprovedData struct {
	PublicURL string
	// Network is the network's name.
	Network string
	// ApprovedBy is the approving admin's name or email; may be empty.
	ApprovedBy string
	// Duration is the duration granted.
	Duration time.Duration
	// ExpiresAt is when the access ends.
	ExpiresAt time.Time
	// StartsAt is when a scheduled grant's access starts; zero for now.
	StartsAt time.Time
}

// ApprovedMessage is the mail to the requester (to) whose request was
// approved. Subject: "Access approved: staging-internal".
func ApprovedMessage(to string, d ApprovedData) Message {
	d.Network = oneLine(d.Network)
	d.ApprovedBy = oneLine(d.ApprovedBy)
	return render("approved", to, "Access approved: "+d.Network, d.PublicURL, d)
}

// DeniedData is the content of the mail telling a user their request was
// denied.
type DeniedData struct {
	PublicURL string
	// Network is the network's name.
	Network string
	// DeniedBy is the denying admin's name or email; may be empty.
	DeniedBy string
	// DeniedAt is when the request was denied; may be zero.
	DeniedAt time.Time
	// Note is the admin's explanation; may be empty or span lines.
	Note string
	// Extension says the request asked for more time on a grant (which
	// goes on until it expires).
	Extension bool
}

// DeniedMessage is the mail to the requester (to) whose request was denied.
// Subject: "Access denied: staging-internal".
func DeniedMessage(to string, d DeniedData) Message {
	d.Network = oneLine(d.Network)
	d.DeniedBy = oneLine(d.DeniedBy)
	d.Note = multiLine(d.Note)
	return render("denied", to, "Access denied: "+d.Network, d.PublicURL, d)
}

// ExpiredData is the content of the mail telling a user their access
// expired.
type ExpiredData struct {
	PublicURL string
	// Network is the network's name.
	Network string
	// ExpiredAt is when the access ended.
	ExpiredAt time.Time
}

// ExpiredMessage is the mail to a user (to) whose access expired.
// Subject: "Access expired: staging-internal".
func ExpiredMessage(to string, d ExpiredData) Message {
	d.Network = oneLine(d.Network)
	return render("expired", to, "Access expired: "+d.Network, d.PublicURL, d)
}

// RevokedData is the content of the mail telling a user their access ended
// early: revoked by an admin, or given up by the user.
type RevokedData struct {
	PublicURL string
	// Network is the network's name.
	Network string
	// ByUser is true when the user gave the access up themselves; the mail
	// then says "You gave up your access" and RevokedBy is not shown.
	ByUser bool
	// RevokedBy is the revoking admin's name or email; may be empty.
	RevokedBy string
	// RevokedAt is when the access ended; may be zero.
	RevokedAt time.Time
	// Note is the admin's explanation; may be empty or span lines.
	Note string
}

// RevokedMessage is the mail to a user (to) whose access ended early.
// Subject: "Access revoked: staging-internal", or "Access ended: …" when
// ByUser.
func RevokedMessage(to string, d RevokedData) Message {
	d.Network = oneLine(d.Network)
	d.RevokedBy = oneLine(d.RevokedBy)
	d.Note = multiLine(d.Note)
	subject := "Access revoked: " + d.Network
	if d.ByUser {
		subject = "Access ended: " + d.Network
	}
	return render("revoked", to, subject, d.PublicURL, d)
}

// PendingExpiredData is the content of the mail telling a user their
// pending request timed out without a decision.
type PendingExpiredData struct {
	PublicURL string
	// Network is the network's name.
	Network string
	// RequestedAt is when the request was made.
	RequestedAt time.Time
	// ExpiredAt is when the request timed out.
	ExpiredAt time.Time
}

// PendingExpiredMessage is the mail to a user (to) whose pending request
// timed out. Subject: "Access request timed out: staging-internal".
func PendingExpiredMessage(to string, d PendingExpiredData) Message {
	d.Network = oneLine(d.Network)
	return render("pending_expired", to, "Access request timed out: "+d.Network, d.PublicURL, d)
}

// InviteData is the content of the invitation mail of a new user.
type InviteData struct {
	PublicURL string
	// InviterName is the inviting admin's name or email; may be empty.
	InviterName string
	// InviteeName is the new user's name, for the greeting; may be empty.
	InviteeName string
	// URL is the link where the new user sets a password.
	URL string
	// ExpiresAt is when URL stops working.
	ExpiresAt time.Time
}

// InviteMessage is the invitation to a new user (to). Subject: "Alice
// invited you to Gatepass", or "You're invited to Gatepass" without an
// inviter.
func InviteMessage(to string, d InviteData) Message {
	d.InviterName = oneLine(d.InviterName)
	d.InviteeName = oneLine(d.InviteeName)
	d.URL = oneLine(d.URL)
	subject := "You're invited to Gatepass"
	if d.InviterName != "" {
		subject = d.InviterName + " invited you to Gatepass"
	}
	return render("invite", to, subject, d.PublicURL, d)
}

// TestMessage is the mail an admin sends to check the SMTP settings.
// Subject: "Gatepass test email".
func TestMessage(to string, publicURL string) Message {
	return render("test", to, "Gatepass test email", publicURL, struct{}{})
}
