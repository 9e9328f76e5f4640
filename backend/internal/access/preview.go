package access

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gatepass.dev/backend/internal/fault"
	"gatepass.dev/backend/internal/store"
	"gatepass.dev/shared/api"
	"gatepass.dev/shared/humantime"
)

// Preview says what a hypothetical request — a user, a wished duration, a
// start time and a reason — would meet on a network, without filing it:
// the rule that would approve it (with every rule's verdict and reasons),
// or that it would wait for the network's approvers; or that the user has
// standing access or could not request at all. The same Evaluate decides
// real requests.
func (s *Service) Preview(ctx context.Context, networkID string, in api.PreviewRequest) (api.Preview, error) {
	now := s.opt.Clock.Now().UTC()
	q := s.opt.DB
	n, err := store.NetworkByID(ctx, q, networkID)
	if errors.Is(err, store.ErrNotFound) {
		return api.Preview{}, fault.Detail(ErrNotFound, "no network %q", networkID)
	}
	if err != nil {
		return api.Preview{}, err
	}
	if in.UserID == "" {
		return api.Preview{}, fault.Field("user_id", "is required")
	}
	if _, err := store.UserByID(ctx, q, in.UserID); err != nil {
		return api.Preview{}, fault.Field("user_id", "no user %q", in.UserID)
	}
	wished, err := OptionalSeconds("duration_seconds", in.DurationSeconds, n.MaxDuration, "no wish")
	if err != nil {
		return api.Preview{}, err
	}
	reason, err := CleanText("reason", in.Reason, MaxReasonRunes, false)
	if err != nil {
		return api.Preview{}, err
	}
	at := now
	if in.At != nil {
		at = in.At.UTC()
	}
	out := api.Preview{RequiredApprovals: max(1, n.RequiredApprovals), Checks: []api.RuleCheck{}, ServerTime: now}
	f, err := store.UserPassFacts(ctx, q, in.UserID, n.ID, at)
	if err != nil {
		return api.Preview{}, err
	}
	switch {
	case f.UserDisabled:
		out.Outcome, out.Message = api.OutcomeNotAllowed, fmt.Sprintf("the account of %s is disabled", f.UserEmail)
		return out, nil
	case !f.Member:
		out.Outcome, out.Message = api.OutcomeNotAllowed, fmt.Sprintf("%s is not a member of network %s: a request would be refused", f.UserEmail, n.Name)
		return out, nil
	case Standing(f.JITEnabled, f.Role):
		out.Outcome, out.Message = api.OutcomeStanding, fmt.Sprintf("%s has standing access to network %s: no request is needed", f.UserEmail, n.Name)
		return out, nil
	}
	c, err := candidate(ctx, q, in.UserID, n)
	if err != nil {
		return api.Preview{}, err
	}
	c.Kind, c.Reason, c.Wished, c.At = api.KindAccess, reason, wished, at
	rules, err := store.RulesOfNetwork(ctx, q, n.ID)
	if err != nil {
		return api.Preview{}, err
	}
	names, err := store.GroupNames(ctx, q)
	if err != nil {
		return api.Preview{}, err
	}
	dec := Evaluate(rules, c, names)
	out.Checks = append(out.Checks, dec.Checks...)
	if dec.Rule != nil {
		out.Outcome, out.Rule, out.RuleID = api.OutcomeAutoApprove, dec.Rule.Name, dec.Rule.ID
		out.DurationSeconds = int64(dec.Duration / time.Second)
		out.Message = fmt.Sprintf("rule %s approves it at once for %s", dec.Rule.Name, humantime.Span(dec.Duration))
		return out, nil
	}
	out.Outcome = api.OutcomeNeedsApproval
	who := "the network's approvers"
	if len(n.ApproverIDs)+len(n.ApproverGroupIDs) == 0 {
		who = "the admins"
	}
	what := "an approval"
	if out.RequiredApprovals > 1 {
		what = fmt.Sprintf("%d approvals from distinct approvers", out.RequiredApprovals)
	}
	lead := "no rule matches"
	if len(rules) == 0 {
		lead = "the network has no rules"
	}
	out.Message = fmt.Sprintf("%s: it waits for %s (%s)", lead, what, who)
	return out, nil
}
