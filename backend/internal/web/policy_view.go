package web

import (
	"fmt"
	"strings"

	"gatepass.dev/backend/internal/access"
	"gatepass.dev/backend/internal/store"
	"gatepass.dev/shared/api"
)

// How the pages show what the policies did to a request: who granted it
// (a rule, break-glass, or the approvers) and what approving it now would
// be ("Approve (2 of 2)").

// grantor names who granted an approved (or once approved) request: "rule:
// on-call", "break-glass", the approvers of a network that needed several
// ("dana@example.com, erik@example.com"), else the one who decided it; ""
// before anyone did.
func grantor(r store.Request) string {
	switch {
	case r.Rule == access.BreakGlassRule:
		return "break-glass"
	case r.Rule != "":
		return "rule: " + r.Rule
	case len(r.Approvals) > 1:
		return approverList(r)
	}
	return r.DeciderEmail
}

// approverList is the emails of those who approved r, in order.
func approverList(r store.Request) string {
	names := make([]string, 0, len(r.Approvals))
	for _, a := range r.Approvals {
		names = append(names, a.Email)
	}
	return strings.Join(names, ", ")
}

// approveLabel is the label of the button that approves r: "Grant Access"
// ("Grant Extension"), or on a network that needs several approvals the
// approval this one would be, "Approve (1 of 2)".
func approveLabel(r store.Request) string {
	if need := max(1, r.RequiredApprovals); need > 1 {
		return fmt.Sprintf("Approve (%d of %d)", min(len(r.Approvals)+1, need), need)
	}
	if r.KindOrAccess() == api.KindExtension {
		return "Grant Extension"
	}
	return "Grant Access"
}
