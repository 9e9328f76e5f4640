package main

// The commands of the policies:
//
//	gatepassd extend NETWORK --reason R --duration D
//	gatepassd break-glass NETWORK --reason R [--duration D]
//
// and `request --start S` (start.go). Each is one LocalAPI call; the
// agent and the backend say what is wrong in words (no room left on the
// grant, break-glass not open to you, a start in the past), printed as
// they are.

import (
	"context"
	"fmt"
	"io"
	"time"

	"gatepass.dev/desktop/internal/localapi"
	"gatepass.dev/shared/api"
	"gatepass.dev/shared/humantime"
)

func cmdExtend(ctx context.Context, args []string, stdout io.Writer) error {
	fs, socket := clientFlags("extend")
	reason := fs.String("reason", "", "why you need more time (required)")
	dur := fs.String("duration", "", "how much more time, e.g. 2h, 90m (required)")
	network, d, err := parseAsk(fs, args, reason, dur, "--reason is required", "--duration is required: how much more time (e.g. 2h)")
	if err != nil {
		return err
	}
	pos := []string{network}
	ctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	st, err := localapi.NewClient(*socket).Extend(ctx, pos[0], *reason, d)
	if err != nil {
		return err
	}
	n, _ := st.NetworkByName(pos[0])
	switch e := n.Extension; {
	case e != nil && e.Status == api.StatusApproved && n.ExpiresAt != nil:
		// A rule decided at once.
		how := ""
		if e.Rule != "" {
			how = " by rule " + printable(e.Rule)
		}
		fmt.Fprintf(stdout, "Extended your access to %s by %s%s: it now expires in %s.\n", pos[0], humantime.Span(d), how, timeLeft(n.ExpiresAt.Sub(st.ServerTime)))
	default:
		msg := fmt.Sprintf("Asked for %s more on %s: pending", humantime.Span(d), pos[0])
		if e != nil {
			if need := max(e.RequiredApprovals, n.RequiredApprovals); need > 1 {
				msg += fmt.Sprintf(" (%d approvals needed)", need)
			}
		}
		fmt.Fprintln(stdout, msg+". Your access and the tunnel go on meanwhile.")
	}
	return nil
}

func cmdBreakGlass(ctx context.Context, args []string, stdout io.Writer) error {
	fs, socket := clientFlags("break-glass")
	reason := fs.String("reason", "", "what the emergency is (required; every approver reads it)")
	dur := fs.String("duration", "", "how long, e.g. 30m (default: the network's break-glass maximum)")
	network, d, err := parseAsk(fs, args, reason, dur, "--reason is required: say what the emergency is", "")
	if err != nil {
		return err
	}
	pos := []string{network}
	ctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	st, err := localapi.NewClient(*socket).BreakGlass(ctx, pos[0], *reason, d)
	if err != nil {
		return err
	}
	msg := "Break-glass access to " + pos[0] + " granted"
	if n, ok := st.NetworkByName(pos[0]); ok && n.ExpiresAt != nil {
		msg += " for " + timeLeft(n.ExpiresAt.Sub(st.ServerTime))
	}
	fmt.Fprintln(stdout, msg+". Every approver of the network has been alerted and will review it.")
	return nil
}

// requestStart reads --start against the agent's server clock.
func requestStart(ctx context.Context, c *localapi.Client, s string) (*time.Time, error) {
	if s == "" {
		return nil, nil
	}
	now := time.Now()
	if st, err := c.Status(ctx); err == nil && !st.ServerTime.IsZero() {
		now = st.ServerTime
	} else if err != nil {
		return nil, err
	}
	t, err := parseStart(s, now, time.Local)
	if err != nil {
		return nil, usageErr("--start: %v", err)
	}
	t = t.UTC()
	return &t, nil
}
