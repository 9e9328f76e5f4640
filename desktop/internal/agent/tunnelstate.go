package agent

// The state of one network's tunnel on this device, and its one pure
// transition function.
//
//	         want                    up                     first handshake
//	  off ───────────▶ connecting ──────────▶ handshaking ──────────────────▶ connected
//	   ▲                 │    ▲                    │                              │
//	   │           fail  ▼    │ retry              │                              │
//	   │               retrying                    │                              │
//	   │                 │                         │                              │
//	   └─────────────────┴─────────────────────────┴──────────────────────────────┘
//	      unwant or expire, from every state: the bring-up abandoned, the tunnel closed
//
//   - want: the network is active (or standing), the user's toggle is on and
//     the device is registered. From off a bring-up starts (fetch the
//     tunnel config, bring the tunnel up in the background); elsewhere it
//     changes nothing.
//   - up / fail: the bring-up's result. A failure counts towards the
//     back-off (backoff.Policy: 1 s doubling to 30 s) and sets the time of
//     the next try; the agent's one timer wakes it (retry).
//   - first handshake: the tunnel is up but is "connected" only once the
//     gateway answered: its first WireGuard handshake, read from the
//     tunnel's counters (the gateway's configuration sets a persistent
//     keepalive, so wireguard-go handshakes as the device comes up).
//   - unwant: the user turned the toggle off, signed out, or the network
//     is no longer active (revoked, released, removed); expire: the
//     grant's expires_at passed on the server clock — the agent's own
//     timer, so it happens even when the backend is unreachable (fail
//     closed). Both take every state to off, closing what is open.
//
// Any other (state, event) pair is ErrTunnelMove: a result that arrives
// for a bring-up that was abandoned, a handshake of a tunnel already
// closed. The agent ignores those (and closes a tunnel nobody wants).

import (
	"errors"

	"gatepass.dev/desktop/internal/localapi"
)

// The states are the LocalAPI's (localapi.TunnelState): the window, the
// tray and the CLI show them.
const (
	TunnelOff         = localapi.TunnelOff
	TunnelConnecting  = localapi.TunnelConnecting
	TunnelHandshaking = localapi.TunnelHandshaking
	TunnelConnected   = localapi.TunnelConnected
	TunnelRetrying    = localapi.TunnelRetrying
)

// TunnelStates lists every state.
var TunnelStates = []localapi.TunnelState{TunnelOff, TunnelConnecting, TunnelHandshaking, TunnelConnected, TunnelRetrying}

// TunnelEvent is what happens to a network's tunnel.
type TunnelEvent string

const (
	EvWant      TunnelEvent = "want"      // it should be up
	EvUnwant    TunnelEvent = "unwant"    // it should be down
	EvExpire    TunnelEvent = "expire"    // the grant ended on the server clock
	EvUp        TunnelEvent = "up"        // the bring-up succeeded
	EvFail      TunnelEvent = "fail"      // the bring-up failed
	EvHandshake TunnelEvent = "handshake" // the first handshake was seen
	EvRetry     TunnelEvent = "retry"     // the back-off elapsed (or the user asked to try now)
)

// TunnelEvents lists every event.
var TunnelEvents = []TunnelEvent{EvWant, EvUnwant, EvExpire, EvUp, EvFail, EvHandshake, EvRetry}

// TunnelAction is what the agent must do for a transition.
type TunnelAction string

const (
	ActNone    TunnelAction = ""         // nothing
	ActBringUp TunnelAction = "bring_up" // start a bring-up in the background
	ActAdopt   TunnelAction = "adopt"    // keep the tunnel just brought up and watch for its first handshake
	ActBackoff TunnelAction = "backoff"  // count the failure and set the time of the next try
	ActAbort   TunnelAction = "abort"    // abandon the bring-up in flight
	ActClose   TunnelAction = "close"    // close the running tunnel
	ActForget  TunnelAction = "forget"   // forget the failures and their error
)

// ErrTunnelMove is the error of an event that does not apply in a state.
var ErrTunnelMove = errors.New("agent: this event does not apply to the tunnel's state")

// StepTunnel moves a tunnel in state s by event e: the next state and the
// action the agent must take, or ErrTunnelMove (s is returned unchanged).
func StepTunnel(s localapi.TunnelState, e TunnelEvent) (localapi.TunnelState, TunnelAction, error) {
	switch e {
	case EvUnwant, EvExpire:
		switch s {
		case TunnelOff:
			return TunnelOff, ActNone, nil
		case TunnelConnecting:
			return TunnelOff, ActAbort, nil
		case TunnelHandshaking, TunnelConnected:
			return TunnelOff, ActClose, nil
		case TunnelRetrying:
			return TunnelOff, ActForget, nil
		}
	case EvWant:
		switch s {
		case TunnelOff:
			return TunnelConnecting, ActBringUp, nil
		case TunnelConnecting, TunnelHandshaking, TunnelConnected, TunnelRetrying:
			return s, ActNone, nil
		}
	case EvUp:
		if s == TunnelConnecting {
			return TunnelHandshaking, ActAdopt, nil
		}
	case EvFail:
		if s == TunnelConnecting {
			return TunnelRetrying, ActBackoff, nil
		}
	case EvHandshake:
		switch s {
		case TunnelHandshaking:
			return TunnelConnected, ActNone, nil
		case TunnelConnected:
			return TunnelConnected, ActNone, nil
		}
	case EvRetry:
		if s == TunnelRetrying {
			return TunnelConnecting, ActBringUp, nil
		}
	}
	return s, ActNone, ErrTunnelMove
}
