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

// isUniqueOn reports whether err violates the UNIQUE constraint of a
// table's columns (one column, or several in a table constraint
// UNIQUE (a, b), named in its order).
func isUniqueOn(err error, table string, columns ...string) bool {
	if !isUnique(err) {
		return false
	}
	var se sqlite3.Error
	if errors.As(err, &se) {
		for _, c := range columns {
			if !strings.Contains(se.Error(), " "+table+"."+c) {
				return false
			}
		}
		return true
	}
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.ConstraintName == table+"_"+strings.Join(columns, "_")+"_key"
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
