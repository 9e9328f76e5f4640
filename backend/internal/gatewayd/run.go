package gatewayd

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	"gatepass.dev/backend/internal/gateway"
	"gatepass.dev/shared/api"
	"gatepass.dev/shared/backoff"
	"gatepass.dev/shared/client"
)

// Back-off of the watch's reconnections.
const (
	backoffMin = time.Second
	backoffMax = 30 * time.Second
)

type gw struct {
	cfg        Config
	log        *slog.Logger
	c          *client.Client
	rt         *gateway.Runtime
	report     chan struct{}
	enrollment enrollment

	mu    sync.Mutex
	lease time.Duration // the last lease the server gave
}

// run watches, applies and reports until ctx ends or the gateway is
// revoked.
func (g *gw) run(ctx context.Context) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var wg sync.WaitGroup
	wg.Go(func() { g.rt.Run(ctx) })
	wg.Go(func() {
		if err := g.reporter(ctx); err != nil {
			cancel(err)
		}
	})
	err := g.watchLoop(ctx)
	if err == nil {
		err = context.Cause(ctx)
	}
	if errors.Is(err, ErrRevoked) {
		g.rt.DropAll("the gateway was revoked")
	}
	cancel(err)
	wg.Wait()
	g.rt.Close()
	if errors.Is(err, ErrRevoked) {
		forget(g.cfg.StateDir) // after Close: nothing is written again
		return err
	}
	return nil
}

// watchLoop keeps the watch stream open, reconnecting with back-off (1 s
// doubling to 30 s, at most half the lease, with jitter: shared/backoff);
// it returns a *RevokedError, or nil when ctx ends.
func (g *gw) watchLoop(ctx context.Context) error {
	loop := backoff.Loop{
		Policy: backoff.Policy{Min: backoffMin, Max: backoffMax},
		Jitter: true,
		Cap: func() time.Duration {
			g.mu.Lock()
			defer g.mu.Unlock()
			if g.lease > 0 {
				return max(g.lease/2, backoffMin)
			}
			return 0
		},
		OnBreak: func(err error, wait time.Duration) {
			g.log.Warn("watch stream ended: reconnecting", "err", err, "in", wait.Round(time.Millisecond))
		},
	}
	err := loop.Run(ctx, func(ctx context.Context, healthy func()) error {
		err := g.watchOnce(ctx, healthy)
		if errors.Is(err, ErrRevoked) {
			return backoff.Stop(err)
		}
		if client.StatusOf(err) == http.StatusUnauthorized {
			return backoff.Stop(&RevokedError{Message: "the server refuses the gateway's credential: " + errText(err)})
		}
		return err
	})
	if errors.Is(err, ErrRevoked) {
		return err
	}
	return nil
}

// watchOnce holds one watch stream; healthy is called when a State
// arrives on it.
func (g *gw) watchOnce(ctx context.Context, healthy func()) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	idleAfter := func() time.Duration {
		g.mu.Lock()
		defer g.mu.Unlock()
		if g.lease > 0 {
			return g.lease / 2 // two pings missed
		}
		return 30 * time.Second // until the first State says the lease
	}
	idle := time.AfterFunc(idleAfter(), cancel) // a dead connection, in real time
	defer idle.Stop()
	leaseSeconds := int(g.cfg.Lease / time.Second)
	return g.c.WatchGateway(ctx, leaseSeconds, func(ev api.GatewayEvent) error {
		switch ev.Type {
		case api.GatewayEventState:
			if ev.State == nil {
				return nil
			}
			g.mu.Lock()
			g.lease = time.Duration(ev.State.LeaseSeconds) * time.Second
			if g.cfg.Lease > 0 && (g.lease <= 0 || g.cfg.Lease < g.lease) {
				g.lease = g.cfg.Lease
			}
			g.mu.Unlock()
			if err := g.rt.Apply(*ev.State); err != nil {
				g.log.Error("apply the state", "revision", ev.State.Revision, "err", err)
			} else {
				g.log.Info("state applied", "revision", ev.State.Revision, "peers", len(ev.State.Peers))
				healthy()
				if g.cfg.Applied != nil {
					g.cfg.Applied(*ev.State)
				}
			}
			g.kickReport()
		case api.GatewayEventPing:
			g.rt.Heard(ev.ServerTime)
		case api.GatewayEventRevoked:
			return &RevokedError{Message: ev.Message}
		}
		idle.Reset(idleAfter())
		return nil
	})
}

func (g *gw) kickReport() {
	select {
	case g.report <- struct{}{}:
	default:
	}
}

// reporter sends a report every Config.ReportEvery and after each State; it
// returns a *RevokedError when the server refuses the credential.
func (g *gw) reporter(ctx context.Context) error {
	t := time.NewTicker(g.cfg.ReportEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		case <-g.report:
		}
		if err := g.sendReport(ctx); client.StatusOf(err) == http.StatusUnauthorized {
			return &RevokedError{Message: "the server refuses the gateway's credential: " + errText(err)}
		} else if err != nil && ctx.Err() == nil {
			g.log.Debug("report not sent", "err", err)
		}
	}
}

func (g *gw) sendReport(ctx context.Context) error {
	st := g.rt.Status()
	if !st.Up {
		return nil
	}
	r := api.GatewayReport{Version: g.cfg.Version, Revision: st.Revision, Endpoint: localEndpoint(st.ListenPort), Peers: []api.GatewayPeerReport{}}
	for _, p := range g.rt.Stats() {
		pr := api.GatewayPeerReport{PublicKey: p.PublicKey, Endpoint: p.Endpoint, RxBytes: p.RxBytes, TxBytes: p.TxBytes}
		if !p.LastHandshake.IsZero() {
			t := p.LastHandshake.UTC()
			pr.LastHandshake = &t
		}
		r.Peers = append(r.Peers, pr)
	}
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	_, err := g.c.GatewayReport(ctx, r)
	return err
}

// localEndpoint is the host's first global unicast address with the listen
// port: where the gateway listens, as it sees it ("" when unknown).
func localEndpoint(port int) string {
	if port <= 0 {
		return ""
	}
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		return ""
	}
	var v6 string
	for _, a := range addrs {
		ipn, ok := a.(*net.IPNet)
		if !ok || !ipn.IP.IsGlobalUnicast() {
			continue
		}
		if ipn.IP.To4() != nil {
			return net.JoinHostPort(ipn.IP.String(), strconv.Itoa(port))
		}
		if v6 == "" {
			v6 = net.JoinHostPort(ipn.IP.String(), strconv.Itoa(port))
		}
	}
	return v6
}

func errText(err error) string {
	var ae *api.Error
	if errors.As(err, &ae) {
		return ae.Message
	}
	return err.Error()
}
