package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"io"
	"net"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/mattn/go-sqlite3"

	"gatepass.dev/backend/internal/fault"
)

// Storage failures. A write that the database refuses because of its
// disk, its lock or its connection — on SQLite the disk is full
// (SQLITE_FULL), the file or its directory is read-only (SQLITE_READONLY),
// another process held the write lock past the busy timeout (SQLITE_BUSY,
// SQLITE_LOCKED), the disk failed (SQLITE_IOERR and its extended codes) or
// a file could not be opened (SQLITE_CANTOPEN); on PostgreSQL the same
// causes by SQLSTATE and the server being unreachable (postgresReason) —
// is not a bug and not the caller's fault: it passes once an operator frees
// space, the lock or the database. Such an error becomes a
// fault.Unavailable with StorageMessage and StorageRetryAfter (the API
// answers 503 with Retry-After, the page its 503 page), is counted and
// reported to DB.OnWriteFailure. The transaction was rolled back, so
// nothing is half-written. Classified are the errors of DB.Tx (begin, the
// statements, commit) and of DB.ExecContext (the writes outside a
// transaction); reads keep their errors, since reads keep working when
// only writes fail.

// StorageMessage is the message of a storage failure, for people.
const StorageMessage = "the server cannot save changes right now"

// StorageRetryAfter is how long a client should wait after a storage
// failure before it tries again.
const StorageRetryAfter = 10 * time.Second

// storageReason names the storage failure behind err ("full", "readonly",
// "busy", "locked", "ioerr", "cantopen", "unreachable"), or "" when err is
// something else.
func storageReason(err error) string {
	if err == nil {
		return ""
	}
	var se sqlite3.Error
	if errors.As(err, &se) {
		return sqliteReason(se)
	}
	return postgresReason(err)
}

func sqliteReason(se sqlite3.Error) string {
	switch se.Code {
	case sqlite3.ErrFull:
		return "full"
	case sqlite3.ErrReadonly:
		return "readonly"
	case sqlite3.ErrBusy:
		return "busy"
	case sqlite3.ErrLocked:
		return "locked"
	case sqlite3.ErrIoErr:
		return "ioerr"
	case sqlite3.ErrCantOpen:
		return "cantopen"
	}
	return ""
}

// postgresReason classifies PostgreSQL's failures: the server cannot be
// reached or went away (connection errors, SQLSTATE class 08, shutdowns
// 57P01–57P03), its disk is full (53100) or it lacks other resources
// (class 53: "busy"), it is read-only (25006: a standby, or
// default_transaction_read_only), its I/O failed (58030), a lock was not
// available (55P03), or a transaction still failed to serialize after
// DB.Tx's attempts (40001, 40P01: "busy").
func postgresReason(err error) string {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch {
		case pe.Code == "53100":
			return "full"
		case strings.HasPrefix(pe.Code, "53"), pe.Code == "40001", pe.Code == "40P01":
			return "busy"
		case pe.Code == "25006":
			return "readonly"
		case pe.Code == "58030":
			return "ioerr"
		case pe.Code == "55P03":
			return "locked"
		case strings.HasPrefix(pe.Code, "08"), pe.Code == "57P01", pe.Code == "57P02", pe.Code == "57P03":
			return "unreachable"
		}
		return ""
	}
	var ce *pgconn.ConnectError
	var ne net.Error
	switch {
	case errors.As(err, &ce), errors.As(err, &ne), errors.Is(err, driver.ErrBadConn),
		errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), pgconn.Timeout(err):
		return "unreachable"
	}
	return ""
}

// writeFailed classifies the error of a write: a storage failure becomes a
// fault.Unavailable (counted, reported); anything else is returned as is.
func (db *DB) writeFailed(err error) error {
	if err == nil {
		return nil
	}
	reason := storageReason(err)
	if reason == "" {
		return err
	}
	db.writeFailures.Add(1)
	if db.OnWriteFailure != nil {
		db.OnWriteFailure(reason, err)
	}
	f := fault.Wrap(fault.Unavailable, err, StorageMessage)
	f.RetryAfter = StorageRetryAfter
	return f
}

// WriteFailures is how many writes failed for a storage reason since Open.
func (db *DB) WriteFailures() int64 { return db.writeFailures.Load() }

// ExecContext runs a statement outside a transaction (shadowing
// sql.DB.ExecContext), classifying storage failures as DB.Tx does.
func (db *DB) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	res, err := db.DB.ExecContext(ctx, query, args...)
	return res, db.writeFailed(err)
}
