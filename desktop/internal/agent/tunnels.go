package agent

// Tunnels: bringing one up in the background (the tunnel config from the
// backend, the device's key, the tunnel backend), closing it, and watching
// a new one for its first handshake. What to do when is StepTunnel's and
// reconcileLocked's; these only carry it out.

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"time"

	"gatepass.dev/desktop/internal/tunnel"
	"gatepass.dev/shared/api"
	"gatepass.dev/shared/backoff"
	"gatepass.dev/shared/wgkey"
)

// handshakePoll spaces the reads of a new tunnel's counters until its
// first handshake (real time: it is about the network).
var handshakePoll = backoff.Policy{Min: 10 * time.Millisecond, Max: time.Second}

// errNoHandshake is a handshake poll that saw none yet.
var errNoHandshake = errors.New("no handshake yet")

// closeTunnelLocked closes n's tunnel at once.
func (a *Agent) closeTunnelLocked(n *netState, why string) {
	if n.stopWatch != nil {
		n.stopWatch()
		n.stopWatch = nil
	}
	if n.tun != nil {
		if err := n.tun.Close(); err != nil {
			a.log.Warn("tunnel close", "network", n.view.Name, "err", err)
		}
		a.log.Info("tunnel down", "network", n.view.Name, "why", why)
	}
	n.tun, n.cfg, n.handshake = nil, nil, false
}

// watchHandshakeLocked reads n's new tunnel's counters until they show a
// handshake, then reconciles (handshaking → connected). It ends when the
// tunnel is closed.
func (a *Agent) watchHandshakeLocked(id string, n *netState) {
	t := n.tun
	ctx, cancel := context.WithCancel(a.ctx)
	n.stopWatch = cancel
	a.wg.Add(1)
	go func() {
		defer a.wg.Done()
		defer cancel()
		backoff.Loop{Policy: handshakePoll}.Run(ctx, func(context.Context, func()) error { //nolint:errcheck // ends when seen or closed
			if t.Status().LastHandshake.IsZero() {
				return errNoHandshake
			}
			a.mu.Lock()
			defer a.mu.Unlock()
			if n := a.nets[id]; n != nil && n.tun == t && !a.closed {
				n.handshake = true
				a.reconcileLocked()
			}
			return backoff.Stop(nil)
		})
	}()
}

// startTunnelLocked fetches the tunnel config and brings the tunnel up in
// the background; the result comes back through reconcileLocked.
func (a *Agent) startTunnelLocked(id string, n *netState) {
	s := a.sess
	a.gen++
	g := a.gen
	ctx, cancel := context.WithCancel(s.ctx)
	n.up = &bringUp{gen: g, cancel: cancel}
	name := n.view.Name
	a.wg.Add(1)
	go func() {
		defer a.wg.Done()
		a.bringUp(ctx, s, id, name, g)
	}()
}

func (a *Agent) bringUp(ctx context.Context, s *session, id, name string, g uint64) {
	a.mu.Lock()
	deviceID, key := s.state.DeviceID, s.key
	a.mu.Unlock()
	var (
		cfg api.TunnelConfig
		t   tunnel.Tunnel
		err error
	)
	sent := a.clock.Now()
	if deviceID == "" {
		err = errors.New("this device is not registered yet")
	} else {
		cctx, cancel := context.WithTimeout(ctx, callTimeout)
		cfg, err = s.client.Tunnel(cctx, id, deviceID)
		cancel()
	}
	recv := a.clock.Now()
	reached := err == nil
	var ae *api.Error
	if errors.As(err, &ae) {
		reached = true
	}
	if err == nil {
		var tc tunnel.Config
		if tc, err = tunnelConfig(cfg, key); err == nil {
			t, err = a.backend.Up(ctx, name, tc)
		}
	}

	a.mu.Lock()
	defer a.mu.Unlock()
	n := a.nets[id]
	if a.closed || a.sess != s || n == nil || n.up == nil || n.up.gen != g {
		if t != nil {
			t.Close() // abandoned: no longer wanted
		}
		return
	}
	n.up.cancel()
	n.up = nil
	if reached {
		a.reachable = true
		a.observeLocked(cfg.ServerTime, sent, recv)
	} else {
		a.reachable = false
	}
	n.result = &bringUpResult{tun: t, cfg: cfg, err: err}
	a.reconcileLocked()
}

// tunnelConfig turns the backend's tunnel config into the tunnel's, with
// the device's private key.
func tunnelConfig(c api.TunnelConfig, key wgkey.Key) (tunnel.Config, error) {
	out := tunnel.Config{PrivateKey: key, Endpoint: c.Endpoint, PersistentKeepalive: time.Duration(c.PersistentKeepalive) * time.Second}
	var err error
	if out.Address, err = parsePrefix(c.Address); err != nil {
		return out, fmt.Errorf("tunnel config: address: %w", err)
	}
	if out.GatewayPublicKey, err = wgkey.Parse(c.GatewayPublicKey); err != nil {
		return out, fmt.Errorf("tunnel config: gateway key: %w", err)
	}
	if c.Endpoint == "" {
		return out, errors.New("tunnel config: no endpoint")
	}
	for _, s := range c.AllowedIPs {
		p, err := parsePrefix(s)
		if err != nil {
			return out, fmt.Errorf("tunnel config: allowed IPs: %w", err)
		}
		out.AllowedIPs = append(out.AllowedIPs, p)
	}
	for _, s := range c.DNS {
		ip, err := netip.ParseAddr(s)
		if err != nil {
			return out, fmt.Errorf("tunnel config: DNS: %w", err)
		}
		out.DNS = append(out.DNS, ip)
	}
	return out, nil
}

func parsePrefix(s string) (netip.Prefix, error) {
	if strings.Contains(s, "/") {
		return netip.ParsePrefix(s)
	}
	ip, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, err
	}
	return netip.PrefixFrom(ip, ip.BitLen()), nil
}
