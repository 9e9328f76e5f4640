// Package store is Gatepass's persistence: database/sql over SQLite
// (github.com/mattn/go-sqlite3) with WAL, synchronous=FULL, foreign keys and a
// busy timeout. Migrations are an ordered list applied at start.
//
// Every function takes a Querier — a *sql.DB or a *sql.Tx — so callers
// combine several of them in one transaction (the lifecycle change, its audit
// row and its outbox rows commit together or not at all).
//
// A write refused for a storage reason (disk full, read-only, locked, I/O
// error) is a fault.Unavailable — 503 with Retry-After, "the server cannot
// save changes right now" — counted and reported to DB.OnWriteFailure;
// WriteProbe checks the write path for /healthz (see storage_fault.go).
//
// The SQL is kept portable so that a PostgreSQL store can follow: times are
// BIGINT Unix milliseconds (UTC), booleans are integers 0/1, ids are TEXT,
// placeholders are "?" (rebound to $n for PostgreSQL), and the only
// SQLite-specific statements are the connection pragmas in Open.
//
// The database holds secrets (gateway private keys, token hashes): Open
// creates the file 0600 before SQLite opens it, so SQLite gives the -wal and
// -shm files it creates the same mode, and makes existing ones 0600.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	_ "github.com/mattn/go-sqlite3" // the database/sql driver "sqlite3"

	"gatepass.dev/backend/internal/fault"
)

// ErrNotFound is returned when a row does not exist.
var ErrNotFound = fault.Sentinel(fault.NotFound, "not found")

// ErrConflict is returned when a unique constraint or a compare-and-set fails.
var ErrConflict = fault.Sentinel(fault.Conflict, "conflict")

// Querier is what store functions need: a *sql.DB or a *sql.Tx.
type Querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// DB is the database handle.
type DB struct {
	*sql.DB
	Path string
	// wmu queues this process's write transactions in Go. SQLite admits one
	// writer at a time and makes the others retry with sleeps of up to
	// 100 ms (the busy handler); a mutex hands the lock over at once.
	wmu sync.Mutex
	// OnWriteFailure, when set (before the database is used concurrently),
	// hears of every write that failed for a storage reason ("full",
	// "readonly", "busy", "locked", "ioerr", "cantopen"): for the metric
	// and the log.
	OnWriteFailure func(reason string, err error)
	writeFailures  atomic.Int64
}

// Open opens (creating if needed) the SQLite database at path and applies
// pending migrations.
func Open(ctx context.Context, path string) (*DB, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("create data directory: %w", err)
	}
	if err := privateFiles(path); err != nil {
		return nil, err
	}
	q := url.Values{}
	q.Set("_journal_mode", "WAL")
	q.Set("_synchronous", "FULL")
	q.Set("_foreign_keys", "on")
	q.Set("_busy_timeout", "10000")
	// Write transactions take the write lock at BEGIN, so two writers queue on
	// the busy timeout instead of failing when a read upgrades to a write.
	q.Set("_txlock", "immediate")
	dsn := "file:" + filepath.ToSlash(path) + "?" + q.Encode()
	db, err := sql.Open("sqlite3", dsn)
	if err != nil {
		return nil, fmt.Errorf("open database %s: %w", path, err)
	}
	db.SetMaxOpenConns(8)
	db.SetMaxIdleConns(8)
	db.SetConnMaxIdleTime(5 * time.Minute)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("open database %s: %w", path, err)
	}
	s := &DB{DB: db, Path: path}
	if err := s.migrate(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return s, nil
}

// privateFiles creates the database file 0600 if it is missing and makes it
// and its -wal, -shm and -journal files 0600 if they exist. SQLite creates
// the latter with the database file's mode, whatever the umask.
func privateFiles(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("open database %s: %w", path, err)
	}
	err = f.Chmod(0o600)
	_ = f.Close()
	if err != nil {
		return fmt.Errorf("make the database %s private: %w", path, err)
	}
	for _, suffix := range []string{"-wal", "-shm", "-journal"} {
		if err := os.Chmod(path+suffix, 0o600); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("make %s private: %w", path+suffix, err)
		}
	}
	return nil
}

// Tx runs fn in a write transaction and commits if it returns nil. A
// storage failure at begin, in fn or at commit rolls back and is returned
// as a fault.Unavailable (see StorageMessage).
func (db *DB) Tx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	db.wmu.Lock()
	defer db.wmu.Unlock()
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return db.writeFailed(fmt.Errorf("begin: %w", err))
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		return db.writeFailed(err)
	}
	if err := tx.Commit(); err != nil {
		return db.writeFailed(fmt.Errorf("commit: %w", err))
	}
	return nil
}

// ms converts a time to the stored form; the zero time is NULL.
func ms(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UnixMilli()
}

// fromMS converts a stored time back; NULL is the zero time.
func fromMS(v sql.NullInt64) time.Time {
	if !v.Valid {
		return time.Time{}
	}
	return time.UnixMilli(v.Int64).UTC()
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// nullStr stores "" as NULL (for optional foreign keys).
func nullStr(s string) any {
	if s == "" {
		return nil
	}
	return s
}
