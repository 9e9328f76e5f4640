package backendtest

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
)

// Disk is a small tmpfs mounted on a temporary directory: a data directory
// whose disk a test can fill up (Fill) and free again (Free). Mounting needs
// root, as tests and CI run; elsewhere NewDisk skips the test, saying so.
type Disk struct {
	Dir    string
	filler string
}

// NewDisk mounts a tmpfs of size (e.g. "32m") and unmounts it when the test
// ends — after the cleanups registered later, such as a server using it.
func NewDisk(tb testing.TB, size string) *Disk {
	tb.Helper()
	if os.Geteuid() != 0 {
		tb.Skip("SKIPPED: this test mounts a tmpfs to fill its disk and needs root")
	}
	dir := tb.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size="+size+",mode=0700", "tmpfs", dir).CombinedOutput(); err != nil {
		tb.Fatalf("mount a tmpfs on %s: %v: %s", dir, err, out)
	}
	tb.Cleanup(func() {
		if out, err := exec.Command("umount", dir).CombinedOutput(); err != nil {
			tb.Errorf("unmount %s: %v: %s", dir, err, out)
		}
	})
	return &Disk{Dir: dir, filler: filepath.Join(dir, "filler")}
}

// Fill writes a file until the disk is full (ENOSPC).
func (d *Disk) Fill(tb testing.TB) {
	tb.Helper()
	f, err := os.OpenFile(d.filler, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		tb.Fatalf("fill the disk: %v", err)
	}
	defer f.Close()
	for _, chunk := range []int{1 << 20, 4 << 10, 512, 1} {
		buf := make([]byte, chunk)
		for {
			if _, err = f.Write(buf); err != nil {
				break
			}
		}
		if !errors.Is(err, syscall.ENOSPC) {
			tb.Fatalf("fill the disk: %v", err)
		}
	}
}

// Free removes what Fill wrote.
func (d *Disk) Free(tb testing.TB) {
	tb.Helper()
	if err := os.Remove(d.filler); err != nil && !errors.Is(err, os.ErrNotExist) {
		tb.Fatalf("free the disk: %v", err)
	}
}
