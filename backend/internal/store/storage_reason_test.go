package store

import (
	"errors"
	"fmt"
	"testing"

	"github.com/mattn/go-sqlite3"
)

// TestStorageReason: which SQLite errors are storage failures (each code
// that a test cannot easily provoke is checked here on its value).
func TestStorageReason(t *testing.T) {
	for _, c := range []struct {
		err  error
		want string
	}{
		{sqlite3.Error{Code: sqlite3.ErrFull}, "full"},
		{fmt.Errorf("commit: %w", sqlite3.Error{Code: sqlite3.ErrReadonly, ExtendedCode: sqlite3.ErrReadonlyDbMoved}), "readonly"},
		{sqlite3.Error{Code: sqlite3.ErrBusy, ExtendedCode: sqlite3.ErrBusySnapshot}, "busy"},
		{sqlite3.Error{Code: sqlite3.ErrLocked}, "locked"},
		{sqlite3.Error{Code: sqlite3.ErrIoErr, ExtendedCode: sqlite3.ErrIoErrFsync}, "ioerr"},
		{sqlite3.Error{Code: sqlite3.ErrCantOpen}, "cantopen"},
		{sqlite3.Error{Code: sqlite3.ErrConstraint}, ""},
		{sqlite3.Error{Code: sqlite3.ErrInterrupt}, ""},
		{errors.New("disk is full"), ""},
	} {
		if got := storageReason(c.err); got != c.want {
			t.Errorf("storageReason(%v) = %q, want %q", c.err, got, c.want)
		}
	}
}
