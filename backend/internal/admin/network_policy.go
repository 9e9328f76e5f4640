package admin

import (
	"context"
	"time"

	"gatepass.dev/backend/internal/fault"
	"gatepass.dev/backend/internal/store"
	"gatepass.dev/shared/api"
	"gatepass.dev/shared/humantime"
)

// Policy fields of a network.
const (
	// MaxRequiredApprovals bounds required_approvals.
	MaxRequiredApprovals = 5
	// DefaultBreakGlass is the break-glass maximum when none is given
	// (at most the network's maximum).
	DefaultBreakGlass = time.Hour
	// MaxBreakGlass is the longest break-glass access any network allows:
	// emergency access is short by design.
	MaxBreakGlass = 24 * time.Hour
)

// applyPolicyInput merges the network's policy fields — approvers,
// required approvals, break-glass — over n and validates them.
func applyPolicyInput(ctx context.Context, q store.Querier, n *store.Network, in api.NetworkInput, create bool, mark func(string)) error {
	if in.ApproverIDs != nil {
		ids, err := userIDs(ctx, q, "approver_ids", *in.ApproverIDs, true)
		if err != nil {
			return err
		}
		n.ApproverIDs = ids
		mark("approver_ids")
	}
	if in.ApproverGroupIDs != nil {
		ids, err := groupIDs(ctx, q, "approver_group_ids", *in.ApproverGroupIDs)
		if err != nil {
			return err
		}
		n.ApproverGroupIDs = ids
		mark("approver_group_ids")
	}
	if in.RequiredApprovals != nil {
		if *in.RequiredApprovals < 1 || *in.RequiredApprovals > MaxRequiredApprovals {
			return fault.Field("required_approvals", "must be from 1 to %d", MaxRequiredApprovals)
		}
		n.RequiredApprovals = *in.RequiredApprovals
		mark("required_approvals")
	} else if create {
		n.RequiredApprovals = 1
	}
	bg := in.BreakGlass
	if bg != nil {
		mark("break_glass")
		if bg.Enabled != nil {
			n.BreakGlass.Enabled = *bg.Enabled
		}
		if bg.GroupIDs != nil {
			ids, err := groupIDs(ctx, q, "break_glass.group_ids", *bg.GroupIDs)
			if err != nil {
				return err
			}
			n.BreakGlass.GroupIDs = ids
		}
		if bg.MaxDurationSeconds != nil {
			secs := *bg.MaxDurationSeconds
			if secs <= 0 || secs > int64(MaxBreakGlass/time.Second) {
				return fault.Field("break_glass.max_duration_seconds", "must be from 1 second to %s", humantime.Span(MaxBreakGlass))
			}
			n.BreakGlass.MaxDuration = time.Duration(secs) * time.Second
		}
	}
	if n.BreakGlass.MaxDuration == 0 {
		n.BreakGlass.MaxDuration = min(DefaultBreakGlass, n.MaxDuration)
	}
	if n.BreakGlass.MaxDuration > n.MaxDuration {
		if bg != nil && bg.MaxDurationSeconds != nil {
			return fault.Field("break_glass.max_duration_seconds", "%s is longer than the network's maximum (%s)",
				humantime.Span(n.BreakGlass.MaxDuration), humantime.Span(n.MaxDuration))
		}
		n.BreakGlass.MaxDuration = n.MaxDuration // the network's maximum was lowered
	}
	if n.BreakGlass.Enabled && len(n.BreakGlass.GroupIDs) == 0 {
		return fault.Field("break_glass.group_ids", "name the groups whose members may break the glass")
	}
	return nil
}
