package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/url"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"
)

// Advisory lock keys (pg_advisory_lock): one database-wide lock per job
// that only one replica may do at a time.
const (
	lockMigrate int64 = 0x67617465_70617301 // applying migrations
	// LockEmbeddedGateways is held, for as long as it runs them, by the one
	// replica that runs the embedded gateways.
	LockEmbeddedGateways int64 = 0x67617465_70617302
	// LockBootstrap is held while a starting replica looks for the first
	// admin and creates it (and the demo data) in an empty database.
	LockBootstrap int64 = 0x67617465_70617303
)

// The advisory locks' statements (a session lock: it ends with the
// connection at the latest).
const (
	sqlLockPostgres    = `SELECT pg_advisory_lock(?)`
	sqlTryLockPostgres = `SELECT pg_try_advisory_lock(?)`
	sqlUnlockPostgres  = `SELECT pg_advisory_unlock(?)`
)

// maxTxAttempts bounds how often DB.Tx runs a transaction that PostgreSQL
// aborted for a serialization failure or a deadlock.
const maxTxAttempts = 16

// OpenPostgres connects to the PostgreSQL database of a postgres:// URL and
// applies pending migrations, under an advisory lock so that replicas
// starting together migrate once.
func OpenPostgres(ctx context.Context, dsn string) (*DB, error) {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("database URL: %w", err)
	}
	if _, ok := cfg.RuntimeParams["application_name"]; !ok {
		cfg.RuntimeParams["application_name"] = "gatepass-server"
	}
	sdb := sql.OpenDB(rebindConnector{stdlib.GetConnector(*cfg)})
	sdb.SetMaxOpenConns(16)
	sdb.SetMaxIdleConns(16)
	sdb.SetConnMaxIdleTime(5 * time.Minute)
	where := RedactURL(dsn)
	if err := sdb.PingContext(ctx); err != nil {
		sdb.Close()
		return nil, fmt.Errorf("connect to the database %s: %w", where, err)
	}
	db := &DB{DB: sdb, dialect: Postgres, Path: where, pgConfig: cfg}
	if err := db.migrate(ctx); err != nil {
		sdb.Close()
		return nil, err
	}
	return db, nil
}

// RedactURL returns a database URL without its password, for logs.
func RedactURL(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil {
		return "(unparsable database URL)"
	}
	if _, has := u.User.Password(); has {
		u.User = url.UserPassword(u.User.Username(), "redacted")
	}
	q := u.Query()
	if q.Has("password") {
		q.Set("password", "redacted")
		u.RawQuery = q.Encode()
	}
	return u.String()
}

// PgxConfig is the connection configuration of a PostgreSQL database (nil
// for SQLite), for connections of their own (LISTEN).
func (db *DB) PgxConfig() *pgx.ConnConfig {
	if db.pgConfig == nil {
		return nil
	}
	return db.pgConfig.Copy()
}

// pgTx runs fn in a transaction at level, again (after a short random
// wait) when PostgreSQL aborted it for a serialization failure or a
// deadlock: fn may run more than once (see the package doc).
func (db *DB) pgTx(ctx context.Context, level sql.IsolationLevel, fn func(tx *sql.Tx) error) error {
	db.wmu.Lock()
	defer db.wmu.Unlock()
	for attempt := 1; ; attempt++ {
		err := db.pgTxOnce(ctx, level, fn)
		if err == nil || !retryable(err) || attempt >= maxTxAttempts {
			return db.writeFailed(err)
		}
		db.txRetries.Add(1)
		// A bounded, jittered back-off between attempts: I/O pacing, not
		// logic, so on the real clock like every I/O timeout.
		wait := time.Duration(rand.Int64N(int64(min(time.Millisecond<<attempt, 50*time.Millisecond))))
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return db.writeFailed(err)
		case <-t.C:
		}
	}
}

func (db *DB) pgTxOnce(ctx context.Context, level sql.IsolationLevel, fn func(tx *sql.Tx) error) error {
	tx, err := db.BeginTx(ctx, &sql.TxOptions{Isolation: level})
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// retryable reports whether PostgreSQL aborted a transaction that may
// succeed when run again: a serialization failure (40001) or a deadlock
// (40P01).
func retryable(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && (pe.Code == "40001" || pe.Code == "40P01")
}

// TxRetries counts the transactions run again after a serialization
// failure or a deadlock since Open.
func (db *DB) TxRetries() int64 { return db.txRetries.Load() }

// Lock is a PostgreSQL advisory lock held by this process on a connection
// of its own, until Release or until that connection ends (the process
// died, the database restarted).
type Lock struct {
	conn *sql.Conn
	key  int64
}

// TryLock takes the advisory lock key if no other session holds it; ok is
// false when one does.
func (db *DB) TryLock(ctx context.Context, key int64) (l *Lock, ok bool, err error) {
	conn, err := db.Conn(ctx)
	if err != nil {
		return nil, false, err
	}
	if err := conn.QueryRowContext(ctx, sqlTryLockPostgres, key).Scan(&ok); err != nil || !ok {
		conn.Close()
		return nil, false, err
	}
	return &Lock{conn: conn, key: key}, true, nil
}

// Exclusive runs fn while this process holds the advisory lock key,
// waiting for another replica that holds it: what fn reads and then writes
// across several transactions (is the database empty? then create the
// first admin) is done by one replica at a time. On SQLite, one process
// has the database: fn just runs.
func (db *DB) Exclusive(ctx context.Context, key int64, fn func() error) error {
	if db.dialect != Postgres {
		return fn()
	}
	conn, err := db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, sqlLockPostgres, key); err != nil {
		return fmt.Errorf("take the database lock: %w", err)
	}
	defer func() {
		// The lock ends with the session anyway; unlock so that the
		// connection returns to the pool clean.
		_, _ = conn.ExecContext(context.WithoutCancel(ctx), sqlUnlockPostgres, key)
	}()
	return fn()
}

// Held reports whether the lock is still held: its connection answers.
func (l *Lock) Held(ctx context.Context) bool {
	return l.conn.PingContext(ctx) == nil
}

// Release gives the lock up.
func (l *Lock) Release() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, _ = l.conn.ExecContext(ctx, sqlUnlockPostgres, l.key)
	l.conn.Close()
}
