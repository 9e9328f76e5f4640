package store_test

import (
	"strings"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"gatepass.dev/backend/internal/fault"
	"gatepass.dev/backend/internal/store"
)

// TestWriteProbe: the probe reports a full disk, caches its answer for its
// TTL, and reports writes that failed since the previous probe even when
// its own write fitted.
func TestWriteProbe(t *testing.T) {
	db, disk, _ := openOnDisk(t)
	clock := clockwork.NewFakeClock()
	p := &store.WriteProbe{DB: db, Clock: clock}
	ctx := t.Context()
	if err := p.Check(ctx); err != nil {
		t.Fatalf("probe of a healthy database: %v", err)
	}
	disk.Fill(t)
	if err := p.Check(ctx); err != nil {
		t.Fatalf("probe within its TTL: %v, want the cached answer", err)
	}
	clock.Advance(time.Second)
	if err := p.Check(ctx); !fault.Is(err, fault.Unavailable) {
		t.Fatalf("probe of a full disk: %v, want Unavailable", err)
	}
	disk.Free(t)
	clock.Advance(time.Second)
	if err := p.Check(ctx); err != nil {
		t.Fatalf("probe after freeing the disk: %v", err)
	}

	// A failed write since the last probe counts, though the probe wrote.
	disk.Fill(t)
	_ = putSetting(ctx, db, "lost")
	disk.Free(t)
	clock.Advance(time.Second)
	if err := p.Check(ctx); err == nil || !strings.Contains(err.Error(), "1 writes failed") {
		t.Fatalf("probe after a failed write: %v", err)
	}
	clock.Advance(time.Second)
	if err := p.Check(ctx); err != nil {
		t.Fatalf("probe after writes recovered: %v", err)
	}
}
