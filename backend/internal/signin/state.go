package signin

import (
	"context"
	"database/sql"
	"time"

	"gatepass.dev/backend/internal/auth"
	"gatepass.dev/backend/internal/store"
)

// DBState is the limiter's state in the database (auth.State): one record
// per key (store.Throttle), so that every replica of the server counts the
// same failures and a restart forgets none. Take checks and records its
// keys in one write transaction (SERIALIZABLE on PostgreSQL), so
// concurrent attempts — on one replica or several — cannot all pass a
// limit; it also deletes the records that stopped mattering. Undo and
// Reset write inside the sign-in's transaction when they get one.
type DBState struct{ DB *store.DB }

// Take implements auth.State.
func (s DBState) Take(ctx context.Context, now time.Time, keys []auth.Key) ([]time.Duration, error) {
	var waits []time.Duration
	err := s.DB.Tx(ctx, func(tx *sql.Tx) error {
		waits = nil
		names := make([]string, len(keys))
		for i, k := range keys {
			names[i] = k.Name
		}
		have, err := store.Throttles(ctx, tx, names)
		if err != nil {
			return err
		}
		live := func(name string) []time.Time {
			if th, ok := have[name]; ok && now.Before(th.ExpiresAt) {
				return th.Fails
			}
			return nil
		}
		for i, k := range keys {
			if w := k.Rule.Wait(live(k.Name), now); w > 0 {
				if waits == nil {
					waits = make([]time.Duration, len(keys))
				}
				waits[i] = w
			}
		}
		if waits != nil {
			return nil
		}
		if err := store.PruneThrottles(ctx, tx, now); err != nil {
			return err
		}
		for _, k := range keys {
			n, ttl := k.Rule.Retain()
			fails := append(live(k.Name), now)
			if len(fails) > n {
				fails = fails[len(fails)-n:]
			}
			if err := store.PutThrottle(ctx, tx, store.Throttle{Key: k.Name, Fails: fails, ExpiresAt: now.Add(ttl)}); err != nil {
				return err
			}
		}
		return nil
	})
	return waits, err
}

// Undo implements auth.State.
func (s DBState) Undo(ctx context.Context, tx *sql.Tx, at time.Time, keys []string) error {
	return s.in(ctx, tx, func(tx *sql.Tx) error {
		have, err := store.Throttles(ctx, tx, keys)
		if err != nil {
			return err
		}
		for _, th := range have {
			for i := len(th.Fails) - 1; i >= 0; i-- {
				if th.Fails[i].UnixMilli() == at.UnixMilli() {
					th.Fails = append(th.Fails[:i], th.Fails[i+1:]...)
					if err := store.PutThrottle(ctx, tx, th); err != nil {
						return err
					}
					break
				}
			}
		}
		return nil
	})
}

// Reset implements auth.State.
func (s DBState) Reset(ctx context.Context, tx *sql.Tx, keys []string) error {
	return s.in(ctx, tx, func(tx *sql.Tx) error { return store.DeleteThrottles(ctx, tx, keys) })
}

// in runs fn in tx, or in a transaction of its own when tx is nil.
func (s DBState) in(ctx context.Context, tx *sql.Tx, fn func(tx *sql.Tx) error) error {
	if tx != nil {
		return fn(tx)
	}
	return s.DB.Tx(ctx, fn)
}
