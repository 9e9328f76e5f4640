package agent

import (
	"errors"
	"testing"

	"gatepass.dev/desktop/internal/localapi"
)

// TestStepTunnel covers every (state, event) pair.
func TestStepTunnel(t *testing.T) {
	type move struct {
		next localapi.TunnelState
		act  TunnelAction
	}
	illegal := move{"", "illegal"}
	table := map[localapi.TunnelState]map[TunnelEvent]move{
		TunnelOff: {
			EvWant: {TunnelConnecting, ActBringUp}, EvUnwant: {TunnelOff, ActNone}, EvExpire: {TunnelOff, ActNone},
			EvUp: illegal, EvFail: illegal, EvHandshake: illegal, EvRetry: illegal,
		},
		TunnelConnecting: {
			EvWant: {TunnelConnecting, ActNone}, EvUnwant: {TunnelOff, ActAbort}, EvExpire: {TunnelOff, ActAbort},
			EvUp: {TunnelHandshaking, ActAdopt}, EvFail: {TunnelRetrying, ActBackoff}, EvHandshake: illegal, EvRetry: illegal,
		},
		TunnelHandshaking: {
			EvWant: {TunnelHandshaking, ActNone}, EvUnwant: {TunnelOff, ActClose}, EvExpire: {TunnelOff, ActClose},
			EvUp: illegal, EvFail: illegal, EvHandshake: {TunnelConnected, ActNone}, EvRetry: illegal,
		},
		TunnelConnected: {
			EvWant: {TunnelConnected, ActNone}, EvUnwant: {TunnelOff, ActClose}, EvExpire: {TunnelOff, ActClose},
			EvUp: illegal, EvFail: illegal, EvHandshake: {TunnelConnected, ActNone}, EvRetry: illegal,
		},
		TunnelRetrying: {
			EvWant: {TunnelRetrying, ActNone}, EvUnwant: {TunnelOff, ActForget}, EvExpire: {TunnelOff, ActForget},
			EvUp: illegal, EvFail: illegal, EvHandshake: illegal, EvRetry: {TunnelConnecting, ActBringUp},
		},
	}
	pairs := 0
	for _, s := range TunnelStates {
		for _, e := range TunnelEvents {
			want, ok := table[s][e]
			if !ok {
				t.Errorf("the table misses (%s, %s)", s, e)
				continue
			}
			pairs++
			next, act, err := StepTunnel(s, e)
			if want == illegal {
				if !errors.Is(err, ErrTunnelMove) || next != s || act != ActNone {
					t.Errorf("(%s, %s) = %s, %q, %v; want ErrTunnelMove and no change", s, e, next, act, err)
				}
				continue
			}
			if err != nil || next != want.next || act != want.act {
				t.Errorf("(%s, %s) = %s, %q, %v; want %s, %q", s, e, next, act, err, want.next, want.act)
			}
		}
	}
	if pairs != len(TunnelStates)*len(TunnelEvents) || len(table) != len(TunnelStates) {
		t.Errorf("%d pairs tested", pairs)
	}
}

// Every state is reachable from off, and off from every state, by both
// unwant and expire: no tunnel outlives its grant.
func TestStepTunnelReachesOff(t *testing.T) {
	seen := map[localapi.TunnelState]bool{TunnelOff: true}
	frontier := []localapi.TunnelState{TunnelOff}
	for len(frontier) > 0 {
		s := frontier[0]
		frontier = frontier[1:]
		for _, e := range TunnelEvents {
			if next, _, err := StepTunnel(s, e); err == nil && !seen[next] {
				seen[next] = true
				frontier = append(frontier, next)
			}
		}
	}
	for _, s := range TunnelStates {
		if !seen[s] {
			t.Errorf("%s is unreachable", s)
		}
		for _, e := range []TunnelEvent{EvUnwant, EvExpire} {
			if next, _, err := StepTunnel(s, e); err != nil || next != TunnelOff {
				t.Errorf("(%s, %s) = %s, %v; want off", s, e, next, err)
			}
		}
	}
}
