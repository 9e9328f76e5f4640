package store_test

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"sync"
	"testing"

	"github.com/mattn/go-sqlite3"

	"gatepass.dev/backend/backendtest"
	"gatepass.dev/backend/internal/fault"
	"gatepass.dev/backend/internal/store"
)

// failures records what DB.OnWriteFailure heard.
type failures struct {
	mu      sync.Mutex
	reasons []string
}

func (f *failures) hook(reason string, _ error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.reasons = append(f.reasons, reason)
}

func (f *failures) list() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.reasons...)
}

// openOnDisk opens a database on a small tmpfs that the test can fill.
func openOnDisk(t *testing.T) (*store.DB, *backendtest.Disk, *failures) {
	t.Helper()
	disk := backendtest.NewDisk(t, "16m")
	db, err := store.Open(t.Context(), filepath.Join(disk.Dir, "gatepass.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	f := &failures{}
	db.OnWriteFailure = f.hook
	return db, disk, f
}

func putSetting(ctx context.Context, db *store.DB, key string) error {
	return db.Tx(ctx, func(tx *sql.Tx) error {
		if err := store.PutSetting(ctx, tx, key, "1"); err != nil {
			return err
		}
		return store.PutSetting(ctx, tx, key+".second", "2")
	})
}

// TestFullDiskIsUnavailable: on a full disk a transaction and a write
// outside one fail as fault.Unavailable with the storage message and a
// Retry-After, are counted and reported, and write nothing; reads go on;
// once space is back, writes work again.
func TestFullDiskIsUnavailable(t *testing.T) {
	db, disk, seen := openOnDisk(t)
	ctx := t.Context()
	if err := putSetting(ctx, db, "before"); err != nil {
		t.Fatal(err)
	}
	disk.Fill(t)

	err := putSetting(ctx, db, "during")
	f := fault.From(err)
	if f == nil || f.Kind != fault.Unavailable || f.Message != store.StorageMessage || f.RetryAfter != store.StorageRetryAfter {
		t.Fatalf("transaction on a full disk: %v (%#v), want Unavailable %q with RetryAfter %s", err, f, store.StorageMessage, store.StorageRetryAfter)
	}
	var se sqlite3.Error
	if !errors.As(err, &se) || se.Code != sqlite3.ErrFull {
		t.Errorf("cause of %v is not SQLITE_FULL", err)
	}
	if err := store.PutSetting(ctx, db, "outside", "1"); !fault.Is(err, fault.Unavailable) {
		t.Errorf("write outside a transaction on a full disk: %v, want Unavailable", err)
	}
	if got := seen.list(); len(got) != 2 || got[0] != "full" || got[1] != "full" {
		t.Errorf("reported failures %v, want [full full]", got)
	}
	if n := db.WriteFailures(); n != 2 {
		t.Errorf("WriteFailures() = %d, want 2", n)
	}
	if v, ok, err := store.Setting(ctx, db, "before"); err != nil || !ok || v != "1" {
		t.Errorf("read on a full disk: %q %v %v", v, ok, err)
	}

	disk.Free(t)
	if err := putSetting(ctx, db, "after"); err != nil {
		t.Fatalf("write after freeing the disk: %v", err)
	}
	for key, want := range map[string]bool{"during": false, "during.second": false, "outside": false, "after": true, "after.second": true} {
		if _, ok, err := store.Setting(ctx, db, key); err != nil || ok != want {
			t.Errorf("setting %s stored = %v (%v), want %v", key, ok, err, want)
		}
	}
}

// TestOtherErrorsStayAsTheyAre: a constraint violation or a domain error
// in a transaction is not a storage failure.
func TestOtherErrorsStayAsTheyAre(t *testing.T) {
	db, err := store.Open(t.Context(), filepath.Join(t.TempDir(), "gatepass.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	f := &failures{}
	db.OnWriteFailure = f.hook
	ctx := t.Context()
	err = db.Tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO write_probe (id, at) VALUES (2, 0)`)
		return err
	})
	if err == nil || fault.Is(err, fault.Unavailable) {
		t.Errorf("CHECK violation: %v, want a plain error", err)
	}
	if err := db.Tx(ctx, func(*sql.Tx) error { return store.ErrNotFound }); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("domain error: %v", err)
	}
	if got := f.list(); len(got) != 0 {
		t.Errorf("reported failures %v, want none", got)
	}
}
