// Package traymenu builds the tray's menu from the agent's status: a pure
// function, so the tray process (cmd/gatepass-tray, systray glue only) is
// tested without a desktop.
//
// The menu:
//
//	Gatepass — contractor@example.com          (or "Not signed in", "Agent not running")
//	───
//	○ office-network — Request access…         → opens the window's Request dialog
//	○ staging-internal — Access request pending (disabled)
//	○ production-db — Access request pending · 1 of 2 approvals (disabled; who in the tooltip)
//	○ lab — Access starts in 2h 10m             (disabled: scheduled)
//	● zero-path — Connected · 29d 23h left      → disconnects
//	○ wiki — 7h 59m left · extension pending    → connects
//	───
//	Request access…                             → the window, Request dialog
//	Extend access…                              → the window, Extend dialog
//	Open Gatepass                               → the window
//	───
//	Quit Gatepass
//
// The icon is green while any tunnel is connected (the gateway answered
// its first handshake), grey otherwise. "Extend access…" is enabled while
// some active grant may grow (max_extension_seconds) and has no pending
// extension; it names the network when there is one such grant, else the
// window's dialog asks which. Countdowns ("7h 59m left", "Access starts in
// 2h 10m") follow shared/humantime, and Refresh says when one reads
// differently next: the tray redraws then, not on a ticker.
package traymenu

import (
	"time"

	"gatepass.dev/desktop/internal/localapi"
	"gatepass.dev/shared/api"
	"gatepass.dev/shared/humantime"
)

// Action is what clicking a network's item does.
type Action string

const (
	None       Action = ""
	Connect    Action = "connect"
	Disconnect Action = "disconnect"
	Request    Action = "request"
)

// Item is one network's menu item.
type Item struct {
	Network string
	Title   string
	Tooltip string
	Enabled bool
	Action  Action
}

// Menu is the whole tray state.
type Menu struct {
	// TunnelUp selects the icon: any tunnel up.
	TunnelUp bool
	Tooltip  string
	// Header is the first, disabled line.
	Header   string
	Networks []Item
	// CanRequest enables "Request access…" (some network can be requested).
	CanRequest bool
	// CanExtend enables "Extend access…" (some active grant may grow and
	// has no pending extension); ExtendNetwork names it when it is the
	// only one ("": the window asks which).
	CanExtend     bool
	ExtendNetwork string
	// Refresh is when the labels change next (0: not until the status does).
	Refresh time.Duration
}

// Build is the menu for st (nil: the agent has not answered; agentErr
// says why) at now on the server clock.
func Build(st *localapi.Status, agentErr string, now time.Time) Menu {
	m := Menu{Tooltip: "Gatepass"}
	switch {
	case st == nil:
		m.Header = "Gatepass agent not running"
		if agentErr != "" {
			m.Tooltip = "Gatepass: " + agentErr
		}
		return m
	case !st.SignedIn:
		m.Header = "Not signed in"
		m.Tooltip = "Gatepass: not signed in"
		return m
	}
	m.Header = "Gatepass"
	if st.User != nil {
		m.Header += " — " + st.User.Email
	}
	if !st.BackendReachable {
		m.Header += " (server unreachable)"
	}
	up := 0
	var refresh time.Duration
	var extendable []string
	for _, n := range st.Networks {
		it := Item{Network: n.Name, Enabled: true}
		mark := "○ "
		if n.TunnelState == localapi.TunnelConnected {
			mark = "● "
			up++
		}
		switch n.State {
		case api.StateRequest:
			it.Title = mark + n.Name + " — Request access…"
			it.Action = Request
			m.CanRequest = true
		case api.StatePending:
			it.Title = mark + n.Name + " — Access request pending"
			if r := n.Request; r != nil {
				if need := max(r.RequiredApprovals, n.RequiredApprovals); need > 1 {
					it.Title += " · " + itoa(len(r.Approvals)) + " of " + itoa(need) + " approvals"
					it.Tooltip = approvedBy(r.Approvals, need)
				}
			}
			it.Enabled = false
		case api.StateScheduled:
			it.Title = mark + n.Name + " — Access scheduled"
			if n.StartsAt != nil {
				left := n.StartsAt.Sub(now)
				it.Title = mark + n.Name + " — Access starts in " + humantime.Countdown(left)
				refresh = sooner(refresh, humantime.NextChange(left))
			}
			it.Enabled = false
		case api.StateActive, api.StateStanding:
			detail := connText(n)
			if n.State == api.StateActive && n.ExpiresAt != nil {
				left := n.ExpiresAt.Sub(now)
				detail += humantime.Countdown(left) + " left"
				refresh = sooner(refresh, humantime.NextChange(left))
			} else if detail != "" {
				detail = detail[:len(detail)-len(" · ")]
			}
			if n.State == api.StateActive {
				if e := n.Extension; e != nil && e.Status == api.StatusPending {
					detail += " · extension pending"
				} else if n.MaxExtensionSeconds > 0 {
					extendable = append(extendable, n.Name)
				}
			}
			it.Title = mark + n.Name + " — " + detail
			if n.WantConnected {
				it.Action = Disconnect
				it.Tooltip = "Disconnect from " + n.Name
			} else {
				it.Action = Connect
				it.Tooltip = "Connect to " + n.Name
			}
		default:
			it.Title = mark + n.Name
			it.Enabled = false
		}
		m.Networks = append(m.Networks, it)
	}
	m.CanExtend = len(extendable) > 0
	if len(extendable) == 1 {
		m.ExtendNetwork = extendable[0]
	}
	m.TunnelUp = up > 0
	switch up {
	case 0:
		m.Tooltip = "Gatepass: not connected"
	case 1:
		m.Tooltip = "Gatepass: 1 network connected"
	default:
		m.Tooltip = "Gatepass: " + itoa(up) + " networks connected"
	}
	m.Refresh = refresh
	return m
}

// sooner is the earlier of two refresh delays (0: none).
func sooner(cur, d time.Duration) time.Duration {
	if d > 0 && (cur == 0 || d < cur) {
		return d
	}
	return cur
}

// approvedBy is a pending request's tooltip: who approved, and how many
// more are needed.
func approvedBy(approvals []api.Approval, need int) string {
	s := ""
	for i, a := range approvals {
		if i > 0 {
			s += ", "
		}
		s += a.By
	}
	if s == "" {
		s = "No approval yet"
	} else {
		s = "Approved by " + s
	}
	return s + "; waiting for " + itoa(max(0, need-len(approvals))) + " more"
}

func connText(n localapi.Network) string {
	switch n.TunnelState {
	case localapi.TunnelConnected:
		return "Connected · "
	case localapi.TunnelConnecting, localapi.TunnelHandshaking:
		// Up or not, it is connected only once the gateway answered.
		return "Connecting… · "
	}
	switch {
	case n.State == api.StateStanding:
		return "Not connected · "
	}
	return ""
}

func itoa(n int) string {
	if n < 10 {
		return string(rune('0' + n))
	}
	return itoa(n/10) + string(rune('0'+n%10))
}
