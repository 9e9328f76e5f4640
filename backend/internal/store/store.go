// Package store is Gatepass's persistence: hand-written SQL over
// database/sql, on SQLite (github.com/mattn/go-sqlite3; WAL,
// synchronous=FULL, foreign keys, a busy timeout) by default, or on
// PostgreSQL (github.com/jackc/pgx/v5 through its database/sql driver) for
// several gatepass-server replicas on one database. Migrations are an
// ordered list applied at start, for both.
//
// Every function takes a Querier — a *sql.DB or a *sql.Tx — so callers
// combine several of them in one transaction (the lifecycle change, its audit
// row and its outbox rows commit together or not at all).
//
// A write refused for a storage reason (disk full, read-only, locked, I/O
// error, the database unreachable) is a fault.Unavailable — 503 with
// Retry-After, "the server cannot save changes right now" — counted and
// reported to DB.OnWriteFailure; WriteProbe checks the write path for
// /healthz (see storage_fault.go).
//
// # One set of queries for both dialects
//
// A query is written once, in the SQL both dialects accept; only what
// truly differs has per-dialect variants. Portable SQL, which every query
// must follow:
//
//   - Placeholders are "?"; on PostgreSQL the driver rebinds them to $1,
//     $2, … (rebind: never inside quotes or comments). Never write $n, and
//     never use PostgreSQL's "?" operators.
//   - Times are BIGINT Unix milliseconds (UTC), ids TEXT (NewID), booleans
//     INTEGER 0/1 compared as "= 1". A boolean EXPRESSION in a select list
//     (x IS NULL, EXISTS …, a = b) is a bool on PostgreSQL and an integer
//     on SQLite: write CASE WHEN … THEN 1 ELSE 0 END and scan an int.
//   - A new row's generated id comes back with INSERT … RETURNING id
//     (QueryRowContext + Scan), never Result.LastInsertId (PostgreSQL has
//     none). Upserts are INSERT … ON CONFLICT (…) DO UPDATE / DO NOTHING.
//   - LIKE is case-sensitive on PostgreSQL and ASCII-case-insensitive on
//     SQLite: compare LOWER(column) LIKE a lower-cased pattern (ESCAPE '\').
//   - A subquery in FROM has an alias (… FROM (SELECT …) AS p).
//   - No SQLite-only syntax (INSERT OR …, REPLACE INTO, AUTOINCREMENT
//     outside a migration's SQLite part, PRAGMA, datetime(), strftime(),
//     IFNULL(), GLOB, rowid, last_insert_rowid()) and no PostgreSQL-only
//     syntax outside per-dialect code (::casts, ILIKE, NOW(), SERIAL,
//     FOR UPDATE). TestPortableSQL rejects these in this package's strings.
//   - ORDER BY text follows the database's collation: SQLite compares
//     bytes; PostgreSQL databases are made with a C.UTF-8 (or C)
//     collation for the same order (README "Production").
//   - Constraint violations are told by code, never by message text:
//     isUnique, isUniqueOn (PostgreSQL's default <table>_<column>_key
//     constraint names), isForeignKey.
//
// The suites catch what slips through: the API's tests run on both stores
// (GATEPASS_TEST_STORE=postgres, see backendtest), and this package's
// tests run on both where PostgreSQL is installed (package pgtest).
//
// Per-dialect parts: a migration's lines between "-- if sqlite" or
// "-- if postgres" and "-- end" (autoincrement ids, the audit log's
// append-only triggers); the outbox claim (FOR UPDATE SKIP LOCKED on
// PostgreSQL); errors (constraints.go, storage_fault.go); and DB.Tx.
//
// # Transactions
//
// DB.Tx queues this process's write transactions on a mutex. On SQLite
// that is the whole story: one writer at a time, BEGIN IMMEDIATE. On
// PostgreSQL the transactions of different replicas run at once, at
// SERIALIZABLE isolation, so that every read-then-write (a compare-and-set,
// a rate limit, "the last admin", a free address) behaves as it does on
// SQLite; one that PostgreSQL aborts for a serialization failure or a
// deadlock is run again, up to maxTxAttempts times with a short random
// wait, and then answers 503 like any storage failure. So fn MAY RUN MORE
// THAN ONCE: it must only read and write through tx, and reset at its
// start what it collects (slices, flags, a settle function from an earlier
// run). Migrations run under an advisory lock (pg_advisory_lock), so that
// replicas starting together migrate once.
//
// What a SERIALIZABLE transaction reads, PostgreSQL keeps as predicate
// locks (a row, an index page, a whole table after a sequential scan), and
// a write by a concurrent transaction under one of them is a read-write
// conflict; enough of them abort a transaction. So a transaction reads only
// what its decision needs, by key: an approval reads its own request
// through the primary key (SaveRequestCAS compares id and rev, never the
// status, which the planner could scan by), no other grants
// (UserMemberFacts) and no approvals of a request never saved
// (addApprovals). One UPDATE whose rows are re-checked as it writes them
// runs at READ COMMITTED instead (ClaimMail, MarkMailUndeliverable). On
// small tables, whose index fits in a page or two, approvals of different
// requests still meet on those pages and one of them runs again; the
// chance falls as the tables grow.
//
// The SQLite database holds secrets (gateway private keys, token hashes):
// Open creates the file 0600 before SQLite opens it, so SQLite gives the
// -wal and -shm files it creates the same mode, and makes existing ones
// 0600.
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

	"github.com/jackc/pgx/v5"
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
	// Path is the SQLite file, or the PostgreSQL URL without its password.
	Path     string
	dialect  Dialect
	pgConfig *pgx.ConnConfig // PostgreSQL only
	// wmu queues this process's write transactions in Go. SQLite admits one
	// writer at a time and makes the others retry with sleeps of up to
	// 100 ms (the busy handler); a mutex hands the lock over at once. On
	// PostgreSQL it keeps a replica's own transactions from aborting each
	// other (see the package doc).
	wmu sync.Mutex
	// OnWriteFailure, when set (before the database is used concurrently),
	// hears of every write that failed for a storage reason ("full",
	// "readonly", "busy", "locked", "ioerr", "cantopen", "unreachable"):
	// for the metric and the log.
	OnWriteFailure func(reason string, err error)
	writeFailures  atomic.Int64
	txRetries      atomic.Int64
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
	s := &DB{DB: db, Path: path, dialect: SQLite}
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
// as a fault.Unavailable (see StorageMessage). On PostgreSQL the
// transaction is SERIALIZABLE and fn runs again when it was aborted for a
// serialization failure: fn must do nothing but its statements on tx, and
// reset at its start whatever it collects (see the package doc).
func (db *DB) Tx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	if db.dialect == Postgres {
		return db.pgTx(ctx, sql.LevelSerializable, fn)
	}
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
