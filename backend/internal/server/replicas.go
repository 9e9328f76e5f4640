package server

// Several replicas on one PostgreSQL database. Nothing of a replica is
// sticky: every request may go to any replica (sessions, CSRF tokens and
// the sign-in limiter are in the database), every replica runs the expiry
// scheduler and the outbox worker (their writes are compare-and-set and
// row claims), and changes reach every replica's streams and gateways
// through the bus's transport (package pgnotify).
//
// The embedded gateways are for the single-server default. They listen on
// the host of the process that runs them, with the network's one key, so
// two replicas running them would be two gateways of one network. With
// PostgreSQL, a replica whose --gateway is not "off" runs them only while
// it holds a database-wide advisory lock (store.LockEmbeddedGateways); one
// that finds the lock held refuses to start and says why. Production with
// several replicas runs remote gateways (gatepass-gateway, which reconnect
// to any replica) and --gateway off on every replica (README
// "Production").

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gatepass.dev/backend/internal/events/pgnotify"
	"gatepass.dev/backend/internal/store"
)

// ErrGatewaysElsewhere refuses to start a second replica with embedded
// gateways.
var ErrGatewaysElsewhere = errors.New("the embedded gateways already run on another replica of this database")

// lockCheck is how often the replica that runs the embedded gateways
// checks that it still holds their lock.
const lockCheck = 15 * time.Second

// joinReplicas, on PostgreSQL, takes the embedded gateways' lock when this
// replica runs them (gateways: the backend's kind) and starts the
// transport of changes, before anything is published or served.
func (s *Server) joinReplicas(ctx context.Context, gateways string) error {
	if s.DB.Dialect() != store.Postgres {
		return nil
	}
	if gateways != "off" {
		lock, ok, err := s.DB.TryLock(ctx, store.LockEmbeddedGateways)
		if err != nil {
			return fmt.Errorf("take the embedded gateways' lock: %w", err)
		}
		if !ok {
			return fmt.Errorf("%w (--gateway %s): run them on one replica and start the others with --gateway off; "+
				"with several replicas prefer remote gateways (gatepass-gateway) and --gateway off everywhere (README \"Production\")", ErrGatewaysElsewhere, gateways)
		}
		s.gatewaysLock = lock
		s.wg.Add(1)
		go func() { defer s.wg.Done(); s.keepGatewaysLock() }()
	}
	s.Events = pgnotify.New(s.DB.DB, s.DB.PgxConfig(), s.Bus, s.Log)
	wait, err := s.Events.Start(s.ctx)
	if err != nil {
		s.releaseGateways()
		return fmt.Errorf("listen for the other replicas' changes: %w", err)
	}
	s.wg.Add(1)
	go func() { defer s.wg.Done(); wait() }()
	return nil
}

// keepGatewaysLock checks the embedded gateways' lock until the server
// stops, and takes it again when its connection was lost (the database
// restarted). Should another replica have taken it meanwhile, two
// replicas run embedded gateways: that is logged as an error at every
// check until one stops.
func (s *Server) keepGatewaysLock() {
	t := time.NewTicker(lockCheck) // liveness of a connection: real time
	defer t.Stop()
	for {
		select {
		case <-s.ctx.Done():
			return
		case <-t.C:
		}
		s.lockMu.Lock()
		lock := s.gatewaysLock
		s.lockMu.Unlock()
		if lock != nil && lock.Held(s.ctx) {
			continue
		}
		if lock != nil {
			lock.Release()
		}
		again, ok, err := s.DB.TryLock(s.ctx, store.LockEmbeddedGateways)
		switch {
		case err != nil:
			s.Log.Error("gateway: the embedded gateways' lock was lost and cannot be taken again", "err", err)
		case !ok:
			s.Log.Error("gateway: another replica took the embedded gateways' lock while this one's connection was down: two replicas run embedded gateways; stop one, or start it with --gateway off")
		}
		s.lockMu.Lock()
		s.gatewaysLock = again // nil unless taken again
		s.lockMu.Unlock()
	}
}

// releaseGateways gives up the embedded gateways' lock (their devices are
// closed by then).
func (s *Server) releaseGateways() {
	s.lockMu.Lock()
	defer s.lockMu.Unlock()
	if s.gatewaysLock != nil {
		s.gatewaysLock.Release()
		s.gatewaysLock = nil
	}
}
