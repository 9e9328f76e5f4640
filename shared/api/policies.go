package api

import (
	"encoding/json"
	"time"
)

// The wire types of the policies: groups, per-network approvers, rules,
// multi-party approval, extensions, scheduled access, break-glass and the
// request patterns admins see.

// RequestKind says what a request asks for.
type RequestKind string

const (
	// KindAccess is a request for access to a network (now, or from
	// starts_at).
	KindAccess RequestKind = "access"
	// KindExtension asks for more time on an active grant (grant_id); when
	// approved, the grant's expires_at moves and the extension itself holds
	// no access.
	KindExtension RequestKind = "extension"
	// KindBreakGlass is emergency access, approved at once by the
	// network's break-glass policy and flagged for review.
	KindBreakGlass RequestKind = "break_glass"
)

// Valid reports whether k is a known kind.
func (k RequestKind) Valid() bool {
	return k == KindAccess || k == KindExtension || k == KindBreakGlass
}

// StateScheduled is the network state of an approved grant whose start
// (starts_at) is still ahead: the window shows "Access starts in 2h 10m"
// from MyNetwork.StartsAt, and the tunnel stays down until then.
const StateScheduled NetworkState = "scheduled"

// Approval is one approver's approval of a request that needs several.
type Approval struct {
	UserID string    `json:"user_id"`
	By     string    `json:"by"` // the approver's email
	At     time.Time `json:"at"`
	// DurationSeconds is the duration this approver granted; the grant
	// is the shortest of the approvals' durations.
	DurationSeconds int64 `json:"duration_seconds"`
}

// ExtendRequest is the body of POST /api/v1/requests/{id}/extend: more
// time on an active grant.
type ExtendRequest struct {
	Reason          string `json:"reason"`
	DurationSeconds *int64 `json:"duration_seconds"`
}

// BreakGlassRequest is the body of POST /api/v1/networks/{id}/break-glass.
// An absent duration means the network's break-glass maximum.
type BreakGlassRequest struct {
	Reason          string `json:"reason"`
	DurationSeconds *int64 `json:"duration_seconds,omitempty"`
}

// AcknowledgeRequest is the body of POST
// /api/v1/admin/requests/{id}/acknowledge: an approver has reviewed a
// break-glass access after the fact.
type AcknowledgeRequest struct {
	Note string `json:"note,omitempty"`
}

// BreakGlass is a network's break-glass policy: members of GroupIDs may
// take access at once for at most MaxDurationSeconds, with a reason.
type BreakGlass struct {
	Enabled            bool     `json:"enabled"`
	GroupIDs           []string `json:"group_ids"`
	MaxDurationSeconds int64    `json:"max_duration_seconds"`
}

// BreakGlassInput changes a network's break-glass policy; absent fields
// are kept.
type BreakGlassInput struct {
	Enabled            *bool     `json:"enabled"`
	GroupIDs           *[]string `json:"group_ids"`
	MaxDurationSeconds *int64    `json:"max_duration_seconds"`
}

// MyBreakGlass tells the window that the user may break the glass on a
// network, and for how long at most.
type MyBreakGlass struct {
	MaxDurationSeconds int64 `json:"max_duration_seconds"`
}

// Group is a named set of users.
type Group struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	MemberIDs []string  `json:"member_ids"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// GroupInput is the body of POST and PATCH /api/v1/admin/groups; absent
// fields are kept on PATCH.
type GroupInput struct {
	Name      *string   `json:"name"`
	MemberIDs *[]string `json:"member_ids"`
}

// GroupList wraps the list of groups.
type GroupList struct {
	Groups     []Group   `json:"groups"`
	ServerTime time.Time `json:"server_time"`
}

// GroupResponse wraps one group.
type GroupResponse struct {
	Group      Group     `json:"group"`
	ServerTime time.Time `json:"server_time"`
}

// RuleAction is what a rule does when it matches.
type RuleAction string

// ActionAutoApprove approves a matching request at once, by the rule.
const ActionAutoApprove RuleAction = "auto_approve"

// Schedule is a weekly time window in a time zone, e.g. Mon–Fri
// 08:00–18:00 Europe/Berlin. Days are "mon" … "sun"; From and To are
// "HH:MM" (To may be "24:00"); a window whose To is not after its From
// runs past midnight into the next day.
type Schedule struct {
	Days     []string `json:"days"`
	From     string   `json:"from"`
	To       string   `json:"to"`
	TimeZone string   `json:"time_zone"`
}

// Rule is one of a network's ordered policy rules.
type Rule struct {
	ID        string     `json:"id"`
	NetworkID string     `json:"network_id"`
	Position  int        `json:"position"` // 1 = evaluated first
	Name      string     `json:"name"`
	Action    RuleAction `json:"action"`
	UserIDs   []string   `json:"user_ids"`
	GroupIDs  []string   `json:"group_ids"`
	// MaxDurationSeconds caps the grant the rule gives (0: the network's
	// maximum).
	MaxDurationSeconds int64     `json:"max_duration_seconds"`
	Schedule           *Schedule `json:"schedule"`
	ReasonPattern      string    `json:"reason_pattern"`
	CreatedAt          time.Time `json:"created_at"`
	UpdatedAt          time.Time `json:"updated_at"`
}

// OptionalSchedule is a schedule field of a PATCH: absent keeps the
// schedule, null removes it, an object sets it.
type OptionalSchedule struct {
	Set   bool
	Value *Schedule
}

// UnmarshalJSON records that the field was given.
func (o *OptionalSchedule) UnmarshalJSON(b []byte) error {
	o.Set = true
	if string(b) == "null" {
		o.Value = nil
		return nil
	}
	var s Schedule
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	o.Value = &s
	return nil
}

// MarshalJSON writes the value (null when unset or removed).
func (o OptionalSchedule) MarshalJSON() ([]byte, error) { return json.Marshal(o.Value) }

// RuleInput is the body of POST /api/v1/admin/networks/{id}/rules and
// PATCH /api/v1/admin/rules/{id}; absent fields are kept on PATCH.
type RuleInput struct {
	Name               *string          `json:"name"`
	Action             *RuleAction      `json:"action"`
	UserIDs            *[]string        `json:"user_ids"`
	GroupIDs           *[]string        `json:"group_ids"`
	MaxDurationSeconds *int64           `json:"max_duration_seconds"`
	Schedule           OptionalSchedule `json:"schedule"`
	ReasonPattern      *string          `json:"reason_pattern"`
	// Position moves the rule (1 = first); absent on POST appends it.
	Position *int `json:"position"`
}

// RuleList wraps a network's rules, in the order they are evaluated.
type RuleList struct {
	Rules      []Rule    `json:"rules"`
	ServerTime time.Time `json:"server_time"`
}

// RuleResponse wraps one rule.
type RuleResponse struct {
	Rule       Rule      `json:"rule"`
	ServerTime time.Time `json:"server_time"`
}

// PreviewRequest is the body of POST
// /api/v1/admin/networks/{id}/rules/preview: a hypothetical request.
type PreviewRequest struct {
	UserID string `json:"user_id"`
	// DurationSeconds is the wished duration; absent for none.
	DurationSeconds *int64 `json:"duration_seconds,omitempty"`
	// At is when access would start; absent for now.
	At *time.Time `json:"at,omitempty"`
	// Reason is the request's reason (for rules with a reason pattern).
	Reason string `json:"reason,omitempty"`
}

// Outcomes of a preview.
const (
	OutcomeAutoApprove   = "auto_approve"   // a rule approves it at once
	OutcomeNeedsApproval = "needs_approval" // it waits for people
	OutcomeStanding      = "standing"       // no request needed (JIT off, or an admin)
	OutcomeNotAllowed    = "not_allowed"    // the user could not request (not a member, disabled)
)

// RuleCheck is how one rule judged a request: matched or not, and why.
type RuleCheck struct {
	RuleID  string   `json:"rule_id"`
	Rule    string   `json:"rule"`
	Matched bool     `json:"matched"`
	Reasons []string `json:"reasons"`
}

// Preview is what a request would meet.
type Preview struct {
	Outcome string `json:"outcome"`
	// Rule and RuleID name the rule that decides (auto_approve); "".
	Rule   string `json:"rule"`
	RuleID string `json:"rule_id"`
	// DurationSeconds is the grant a rule would give.
	DurationSeconds   int64       `json:"duration_seconds,omitempty"`
	RequiredApprovals int         `json:"required_approvals"`
	Message           string      `json:"message"`
	Checks            []RuleCheck `json:"checks"`
	ServerTime        time.Time   `json:"server_time"`
}

// Hint kinds of the request patterns.
const (
	HintRule           = "rule"            // an auto-approval rule would spare the wait
	HintLongerDuration = "longer_duration" // grants run out before the work is done
)

// Hint is a suggestion drawn from a user's requests.
type Hint struct {
	Kind    string `json:"kind"`
	Message string `json:"message"`
}

// Patterns are how often a user asked for a network lately: GET
// /api/v1/admin/requests/{id}/patterns, for the request's page.
type Patterns struct {
	UserID    string    `json:"user_id"`
	NetworkID string    `json:"network_id"`
	Since     time.Time `json:"since"`
	// Requests counts the access and break-glass requests since Since
	// (this one included); Extensions the extension requests.
	Requests     int `json:"requests"`
	Extensions   int `json:"extensions"`
	Approved     int `json:"approved"`
	AutoApproved int `json:"auto_approved"`
	Denied       int `json:"denied"`
	// GrantedSeconds lists the grants' total durations, oldest first.
	GrantedSeconds       []int64   `json:"granted_seconds"`
	MedianGrantedSeconds int64     `json:"median_granted_seconds"`
	MaxGrantedSeconds    int64     `json:"max_granted_seconds"`
	Hints                []Hint    `json:"hints"`
	ServerTime           time.Time `json:"server_time"`
}

// ServiceTokenResponse answers POST /api/v1/admin/users/{id}/token: a new
// API token of a service user, shown once.
type ServiceTokenResponse struct {
	User       User      `json:"user"`
	Token      string    `json:"token"`
	ExpiresAt  time.Time `json:"expires_at"`
	ServerTime time.Time `json:"server_time"`
}
