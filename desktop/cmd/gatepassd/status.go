package main

// `gatepassd status`: the table for people. Its columns stay as they were
// (scripts read `status --json`, whose keys are only ever added); what the
// policies add comes as one line per network under the table:
//
//	staging-internal: 1 of 2 approvals (dana@example.com)
//	lab: access starts Tue 24 Nov 09:00 CET, until 10:00 (in 2h 10m)
//	office-network: extension requested: +2h, pending
//	office-network: approved by rule on-call
//	production-db: break-glass access: every approver was alerted
//	production-db: break-glass open to you (up to 1h): gatepassd break-glass production-db --reason R
//
// Names, rules, emails and notes are the backend's cleaned text; anything
// unprintable is still shown quoted (printable), so no text can drive the
// terminal. Local times are in the machine's zone.

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"gatepass.dev/desktop/internal/localapi"
	"gatepass.dev/shared/api"
	"gatepass.dev/shared/humantime"
)

// printStatus prints the status as a table for people.
func printStatus(w io.Writer, st localapi.Status) {
	if !st.SignedIn {
		fmt.Fprintln(w, "Not signed in.")
		if st.Message != "" {
			fmt.Fprintln(w, st.Message)
		}
		fmt.Fprintln(w, "Sign in with: gatepassd login --server URL --email E --password-stdin")
		fmt.Fprintln(w, "(a service account: gatepassd login --server URL --token-stdin)")
		return
	}
	who := ""
	if st.User != nil {
		who = st.User.Email
		if st.User.Service {
			who += ", a service account"
		}
	}
	reach := "reachable"
	if !st.BackendReachable {
		reach = "UNREACHABLE"
	}
	fmt.Fprintf(w, "Signed in to %s as %s (server %s).\n", st.Server, who, reach)
	printProxies(w, st)
	if len(st.Networks) == 0 {
		fmt.Fprintln(w, "No networks.")
		return
	}
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NETWORK\tSTATE\tTIME LEFT\tCONNECTED\tADDRESS")
	for _, n := range st.Networks {
		left := "-"
		switch {
		case n.State == api.StateActive && n.ExpiresAt != nil:
			left = timeLeft(n.ExpiresAt.Sub(st.ServerTime))
		case n.State == api.StateScheduled && n.StartsAt != nil:
			left = "starts in " + humantime.Countdown(n.StartsAt.Sub(st.ServerTime))
		}
		conn := "no"
		switch n.TunnelState {
		case localapi.TunnelConnected:
			conn = "yes"
		case localapi.TunnelHandshaking:
			conn = "handshaking" // up, the gateway not heard from yet
		case localapi.TunnelConnecting:
			conn = "connecting"
		case localapi.TunnelRetrying:
			conn = "retrying"
		}
		addr := n.Address
		if addr == "" {
			addr = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", n.Name, stateLabel(n.State), left, conn, addr)
	}
	tw.Flush()
	for _, n := range st.Networks {
		for _, note := range notes(n, st.ServerTime, time.Local) {
			fmt.Fprintf(w, "%s: %s\n", printable(n.Name), note)
		}
		if n.Error != "" {
			fmt.Fprintf(w, "%s: %s\n", n.Name, n.Error)
		}
	}
}

// notes are what the policies add to a network's line, in words: the
// approvals of a pending request, a scheduled start, an extension, who or
// what approved the grant, break-glass. now is the server clock; times
// are shown in loc.
func notes(n localapi.Network, now time.Time, loc *time.Location) []string {
	var out []string
	r := n.Request
	switch n.State {
	case api.StatePending:
		if r == nil {
			break
		}
		if need := max(r.RequiredApprovals, n.RequiredApprovals); need > 1 {
			out = append(out, approvalsText(r.Approvals, need))
		}
		if r.StartsAt != nil {
			out = append(out, "asked to start "+localTime(*r.StartsAt, loc))
		}
	case api.StateScheduled:
		if n.StartsAt != nil {
			s := "access starts " + localTime(*n.StartsAt, loc)
			if r != nil && r.ExpiresAt != nil {
				s += ", until " + r.ExpiresAt.In(loc).Format("15:04")
			}
			out = append(out, s+" (in "+humantime.Countdown(n.StartsAt.Sub(now))+")")
		}
	case api.StateActive:
		if r != nil {
			if s := grantedBy(*r); s != "" {
				out = append(out, s)
			}
		}
		if e := n.Extension; e != nil {
			if s := extensionText(*e, max(e.RequiredApprovals, n.RequiredApprovals)); s != "" {
				out = append(out, s)
			}
		}
	}
	if bg := n.BreakGlass; bg != nil {
		out = append(out, fmt.Sprintf("break-glass open to you (up to %s): gatepassd break-glass %s --reason R",
			humantime.Span(time.Duration(bg.MaxDurationSeconds)*time.Second), shellWord(n.Name)))
	}
	return out
}

// approvalsText is "1 of 2 approvals (dana@example.com)".
func approvalsText(approvals []api.Approval, need int) string {
	s := fmt.Sprintf("%d of %d approvals", len(approvals), need)
	if len(approvals) > 0 {
		by := make([]string, len(approvals))
		for i, a := range approvals {
			by[i] = printable(a.By)
		}
		s += " (" + strings.Join(by, ", ") + ")"
	}
	return s
}

// grantedBy says how an active grant was given, when it was not one
// person's plain approval: break-glass, a rule, several approvers.
func grantedBy(r api.Request) string {
	switch {
	case r.Kind == api.KindBreakGlass:
		s := "break-glass access: every approver was alerted"
		if r.ReviewRequired {
			s += "; it awaits their review"
		}
		return s
	case r.Rule != "":
		return "approved by rule " + printable(r.Rule)
	case len(r.Approvals) > 1:
		by := make([]string, len(r.Approvals))
		for i, a := range r.Approvals {
			by[i] = printable(a.By)
		}
		return "approved by " + strings.Join(by, " and ")
	}
	return ""
}

// extensionText is "extension requested: +2h, pending (1 of 2 approvals
// (dana@example.com))", or how it ended.
func extensionText(e api.Request, need int) string {
	more := "+" + humantime.Span(time.Duration(e.DurationSeconds)*time.Second)
	switch e.Status {
	case api.StatusPending:
		s := "extension requested: " + more + ", pending"
		if need > 1 {
			s += " (" + approvalsText(e.Approvals, need) + ")"
		}
		return s
	case api.StatusApproved:
		if g := e.GrantedSeconds; g > 0 {
			more = "+" + humantime.Span(time.Duration(g)*time.Second)
		}
		s := "extended " + more
		if e.Rule != "" {
			s += " by rule " + printable(e.Rule)
		}
		return s
	case api.StatusDenied:
		s := "extension " + more + " denied"
		if e.Note != "" {
			s += ": " + printable(e.Note)
		}
		return s
	}
	return ""
}

// localTime is an instant in loc for people: "Tue 24 Nov 09:00 CET".
func localTime(t time.Time, loc *time.Location) string {
	return t.In(loc).Format("Mon 2 Jan 15:04 MST")
}

// shellWord quotes a network name for a command line when it needs it.
func shellWord(s string) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_.@", r))
	}) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(printable(s), "'", `'\''`) + "'"
}

func stateLabel(s api.NetworkState) string {
	switch s {
	case api.StateRequest:
		return "request"
	case api.StatePending:
		return "pending"
	case api.StateScheduled:
		return "scheduled"
	case api.StateActive:
		return "active"
	case api.StateStanding:
		return "standing"
	}
	return string(s)
}

// timeLeft is the time left on a grant as the window and the tray show it
// ("29d 23h", "7h 59m", "12m", "40s"), or "expired".
func timeLeft(d time.Duration) string {
	if d <= 0 {
		return "expired"
	}
	return humantime.Countdown(d)
}
