package store

import (
	"errors"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/mattn/go-sqlite3"
)

// Constraint violations, from each driver's error codes: SQLite's extended
// result codes, PostgreSQL's SQLSTATE (23505 unique, 23503 foreign key).
// Which unique constraint failed is PostgreSQL's constraint name — the
// default <table>_<column>_key of a UNIQUE column — and, on SQLite, which
// has no such field, the "table.column" its message ends with.

// isUnique reports whether err is a violation of a unique constraint (or
// a primary key).
func isUnique(err error) bool {
	if err == nil {
		return false
	}
	var se sqlite3.Error
	if errors.As(err, &se) {
		return se.ExtendedCode == sqlite3.ErrConstraintUnique || se.ExtendedCode == sqlite3.ErrConstraintPrimaryKey
	}
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "23505"
}

// isUniqueOn reports whether err violates the UNIQUE constraint of one
// column of a table.
func isUniqueOn(err error, table, column string) bool {
	if !isUnique(err) {
		return false
	}
	var se sqlite3.Error
	if errors.As(err, &se) {
		return strings.Contains(se.Error(), " "+table+"."+column)
	}
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.ConstraintName == table+"_"+column+"_key"
}

// isForeignKey reports whether err is a violation of a foreign key.
func isForeignKey(err error) bool {
	if err == nil {
		return false
	}
	var se sqlite3.Error
	if errors.As(err, &se) {
		return se.ExtendedCode == sqlite3.ErrConstraintForeignKey
	}
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "23503"
}
