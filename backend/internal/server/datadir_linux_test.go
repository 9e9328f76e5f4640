package server_test

import (
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"gatepass.dev/backend/internal/datadir"
	"gatepass.dev/backend/internal/server"
)

// nobody is the uid (and gid) of a second local user.
const nobody = 65534

func needRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root: chown to and run as a second uid")
	}
}

// TestDataDirFilesArePrivate: from a pre-existing 0755 data directory the
// server owns (with a database file an older version left 0644), a start
// with writes leaves the directory 0700 and every file in it 0600 — the
// database, its -wal and -shm, the demo credentials — whatever the umask,
// and logs the tightening. A second user cannot read the WAL, not even when
// the directory lets them through.
func TestDataDirFilesArePrivate(t *testing.T) {
	needRoot(t)
	looseUmask(t)
	dir := filepath.Join(t.TempDir(), "data")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	cfg := testConfig(dir)
	cfg.Demo = true
	st := start(t, cfg)
	if st.err != nil {
		t.Fatal(st.err)
	}
	if log := st.log.String(); !strings.Contains(log, "tightened") || !strings.Contains(log, "from=0755") {
		t.Errorf("no log line of the tightening:\n%s", log)
	}

	fi, err := os.Stat(dir)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o700 {
		t.Errorf("data directory mode %04o, want 0700", fi.Mode().Perm())
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, e := range entries {
		info, err := e.Info()
		if err != nil {
			t.Fatal(err)
		}
		seen[e.Name()] = true
		if info.Mode().Perm() != 0o600 {
			t.Errorf("%s: mode %04o, want 0600", e.Name(), info.Mode().Perm())
		}
	}
	for _, want := range []string{server.DatabaseFile, server.DatabaseFile + "-wal", server.DatabaseFile + "-shm", "demo-credentials.txt"} {
		if !seen[want] {
			t.Errorf("no %s in the data directory (%v): the test proves nothing about it", want, seen)
		}
	}

	wal := filepath.Join(dir, server.DatabaseFile+"-wal")
	readAs := func(uid int) (string, error) {
		cmd := exec.Command("head", "-c", "64", wal)
		cmd.Dir = "/"
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uint32(uid), Gid: uint32(uid)}}
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	if out, err := readAs(0); err != nil {
		t.Fatalf("the server's own user cannot read the WAL: %v %s", err, out)
	}
	if out, err := readAs(nobody); err == nil || !strings.Contains(out, "Permission denied") {
		t.Errorf("uid %d read the WAL: %v %q", nobody, err, out)
	}
	// Through a directory others may traverse, the file's own mode holds.
	if err := os.Chmod(dir, 0o711); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.Chmod(dir, 0o700) })
	if out, err := readAs(nobody); err == nil || !strings.Contains(out, "Permission denied") {
		t.Errorf("uid %d read the WAL through a 0711 directory: %v %q", nobody, err, out)
	}
}

// TestDataDirStaleFilesTightened: files an older version left readable
// (the database 0644, a WAL 0640) are made 0600 at start.
func TestDataDirStaleFilesTightened(t *testing.T) {
	looseUmask(t)
	dir := t.TempDir()
	st := start(t, testConfig(dir))
	if st.err != nil {
		t.Fatal(st.err)
	}
	st.srv.Close()
	for name, mode := range map[string]fs.FileMode{server.DatabaseFile: 0o644, server.DatabaseFile + "-wal": 0o640, "demo-credentials.txt": 0o604} {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, nil, 0o600); err != nil && !errors.Is(err, fs.ErrExist) {
			t.Fatal(err)
		}
		if err := os.Chmod(path, mode); err != nil {
			t.Fatal(err)
		}
	}
	st = start(t, testConfig(dir))
	if st.err != nil {
		t.Fatal(st.err)
	}
	for _, name := range []string{server.DatabaseFile, server.DatabaseFile + "-wal", "demo-credentials.txt"} {
		fi, err := os.Stat(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: mode %04o after a restart, want 0600", name, fi.Mode().Perm())
		}
	}
	if log := st.log.String(); !strings.Contains(log, "demo-credentials.txt") || !strings.Contains(log, "from=0604") {
		t.Errorf("no log line of the tightened file:\n%s", log)
	}
}

// TestDataDirOfAnotherUserRefused: a group/world-accessible directory that
// belongs to another user is refused, untouched, with the fix named.
func TestDataDirOfAnotherUserRefused(t *testing.T) {
	needRoot(t)
	dir := filepath.Join(t.TempDir(), "data")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o750); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(dir, nobody, nobody); err != nil {
		t.Fatal(err)
	}
	st := start(t, testConfig(dir))
	if st.err == nil {
		t.Fatal("the server started in another user's 0750 directory")
	}
	msg := st.err.Error()
	for _, want := range []string{dir, "accessible to other users (mode 0750)", "owned by uid 65534", "chmod 700 " + dir, "--data-dir"} {
		if !strings.Contains(msg, want) {
			t.Errorf("the error %q lacks %q", msg, want)
		}
	}
	var de *datadir.Error
	if !errors.As(st.err, &de) {
		t.Errorf("the error is a %T, want a *datadir.Error", st.err)
	}
	if fi, err := os.Stat(dir); err != nil || fi.Mode().Perm() != 0o750 {
		t.Errorf("the refused directory was changed: %v %v", fi.Mode(), err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("the server wrote into the refused directory: %v", entries)
	}
}

// TestDataDirStartErrors: a missing parent, a file, a read-only directory
// each stop the start with the path, the problem and the fix; a missing
// directory whose parent exists is created 0700.
func TestDataDirStartErrors(t *testing.T) {
	looseUmask(t)
	base := t.TempDir()
	file := filepath.Join(base, "a-file")
	if err := os.WriteFile(file, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	readOnly := readOnlyDir(t)
	for _, tc := range []struct {
		name, dir string
		want      []string
	}{
		{"missing parent", filepath.Join(base, "no", "data"), []string{filepath.Join(base, "no", "data"), "neither does its parent directory " + filepath.Join(base, "no"), "mkdir -p " + filepath.Join(base, "no")}},
		{"a file", file, []string{file, "is a file, not a directory", "--data-dir"}},
		{"parent is a file", filepath.Join(file, "data"), []string{filepath.Join(file, "data"), "its parent " + file + " is a file"}},
		{"read-only", readOnly.dir, []string{readOnly.dir, readOnly.problem, "--data-dir"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st := start(t, testConfig(tc.dir))
			if st.err == nil {
				t.Fatal("the server started")
			}
			for _, w := range tc.want {
				if !strings.Contains(st.err.Error(), w) {
					t.Errorf("the error %q lacks %q", st.err, w)
				}
			}
		})
	}

	created := filepath.Join(base, "new")
	st := start(t, testConfig(created))
	if st.err != nil {
		t.Fatal(st.err)
	}
	if fi, err := os.Stat(created); err != nil || fi.Mode().Perm() != 0o700 {
		t.Errorf("the created data directory: %v %v, want 0700", fi.Mode(), err)
	}
}

// looseUmask runs the test with the usual 022 umask, so that only the
// server's own modes keep its files private.
func looseUmask(t *testing.T) {
	old := syscall.Umask(0o022)
	t.Cleanup(func() { syscall.Umask(old) })
}

type roDir struct{ dir, problem string }

// readOnlyDir is a directory the test process cannot write: a read-only
// tmpfs for root (who writes through any mode), a 0500 directory otherwise.
func readOnlyDir(t *testing.T) roDir {
	dir := t.TempDir()
	if os.Geteuid() != 0 {
		if err := os.Chmod(dir, 0o500); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = os.Chmod(dir, 0o700) })
		return roDir{dir, "is not writable by this process"}
	}
	if err := syscall.Mount("tmpfs", dir, "tmpfs", syscall.MS_RDONLY, "size=64k,mode=0700"); err != nil {
		t.Skipf("cannot mount a read-only tmpfs: %v", err)
	}
	t.Cleanup(func() { _ = syscall.Unmount(dir, 0) })
	return roDir{dir, "is on a read-only file system"}
}
