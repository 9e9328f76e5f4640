package datadir

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"syscall"
)

// Error is a data directory that cannot be used: its path, what is wrong
// and how to fix it.
type Error struct {
	Path    string
	Problem string
	Fix     string
	Err     error // the cause, if any
}

func (e *Error) Error() string {
	return fmt.Sprintf("data directory %s: %s. %s", e.Path, e.Problem, e.Fix)
}

func (e *Error) Unwrap() error { return e.Err }

// otherFix ends every fix: the alternative that always works.
const otherFix = "or choose another --data-dir (GATEPASS_DATA_DIR)"

// Prepare makes dir ready for the server, as the package comment describes:
// created 0700 when missing (its parent must exist), refused when it is not
// a writable directory or is accessible to others and not ours, tightened
// to 0700 with its files to 0600 when it is ours. Every change is logged.
func Prepare(dir string, log *slog.Logger) error {
	if log == nil {
		log = slog.Default()
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return &Error{Path: dir, Problem: "the path cannot be resolved: " + err.Error(), Fix: "Give an absolute path, " + otherFix + ".", Err: err}
	}
	dir = abs
	fi, err := os.Stat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist), errors.Is(err, syscall.ENOTDIR):
		return create(dir, log)
	case err != nil:
		return &Error{Path: dir, Problem: "cannot be inspected: " + reason(err), Fix: "Check the permissions of its parent directories, " + otherFix + ".", Err: err}
	case !fi.IsDir():
		return &Error{Path: dir, Problem: "is a file, not a directory", Fix: "Remove or rename the file, " + otherFix + "."}
	}
	if err := checkWritable(dir); err != nil {
		return err
	}
	if err := tightenDir(dir, fi, log); err != nil {
		return err
	}
	return tightenFiles(dir, log)
}

// create makes a missing data directory 0700; its parent must exist.
func create(dir string, log *slog.Logger) error {
	parent := filepath.Dir(dir)
	pi, err := os.Stat(parent)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return &Error{Path: dir, Problem: "does not exist, and neither does its parent directory " + parent,
			Fix: fmt.Sprintf("Create the parent first (mkdir -p %s), %s.", parent, otherFix), Err: err}
	case err != nil:
		return &Error{Path: dir, Problem: "does not exist, and its parent " + parent + " cannot be inspected: " + reason(err),
			Fix: "Check the permissions of " + parent + ", " + otherFix + ".", Err: err}
	case !pi.IsDir():
		return &Error{Path: dir, Problem: "cannot be created: its parent " + parent + " is a file, not a directory",
			Fix: "Fix the path, " + otherFix + "."}
	}
	if err := os.Mkdir(dir, 0o700); err != nil {
		switch {
		case errors.Is(err, syscall.EROFS):
			return &Error{Path: dir, Problem: "does not exist and cannot be created: " + parent + " is on a read-only file system",
				Fix: "Create it on a writable file system (mount it read-write), " + otherFix + ".", Err: err}
		case errors.Is(err, fs.ErrPermission):
			return &Error{Path: dir, Problem: fmt.Sprintf("does not exist and cannot be created: this process (%s) may not write to %s", whoami(), parent),
				Fix: fmt.Sprintf("Create it as a user who may (mkdir -m 700 %s) and give it to %s, %s.", dir, whoami(), otherFix), Err: err}
		}
		return &Error{Path: dir, Problem: "cannot be created: " + reason(err), Fix: "Create it yourself (mkdir -m 700 " + dir + "), " + otherFix + ".", Err: err}
	}
	// Mkdir's mode is reduced by the umask, never widened; make it exact.
	if err := os.Chmod(dir, 0o700); err != nil {
		return &Error{Path: dir, Problem: "was created but cannot be made private: " + reason(err), Fix: "Run chmod 700 " + dir + ", " + otherFix + ".", Err: err}
	}
	log.Info("created the data directory", "dir", dir, "mode", "0700")
	return nil
}

// checkWritable creates and removes a file in dir: the only check that
// sees read-only mounts, ACLs and the rest as the database will.
func checkWritable(dir string) error {
	f, err := os.CreateTemp(dir, ".gatepass-write-check-*")
	if err != nil {
		switch {
		case errors.Is(err, syscall.EROFS):
			return &Error{Path: dir, Problem: "is on a read-only file system: the database cannot be written",
				Fix: "Mount it read-write, " + otherFix + ".", Err: err}
		case errors.Is(err, fs.ErrPermission):
			return &Error{Path: dir, Problem: fmt.Sprintf("is not writable by this process (%s): the database cannot be written", whoami()),
				Fix: fmt.Sprintf("Make it writable by %s (e.g. chown it to that user and chmod 700 %s), %s.", whoami(), dir, otherFix), Err: err}
		}
		return &Error{Path: dir, Problem: "cannot be written: " + reason(err), Fix: "Check the directory and its file system, " + otherFix + ".", Err: err}
	}
	name := f.Name()
	_ = f.Close()
	if err := os.Remove(name); err != nil {
		return &Error{Path: dir, Problem: "accepts new files but not their removal: " + reason(err), Fix: "Check the directory's permissions, " + otherFix + ".", Err: err}
	}
	return nil
}

// tightenDir makes dir 0700, or refuses it when it is open to others and
// belongs to another user.
func tightenDir(dir string, fi fs.FileInfo, log *slog.Logger) error {
	mode := fi.Mode().Perm()
	if mode&0o077 == 0 {
		return nil
	}
	owner, known := ownerOf(fi)
	if known && owner != euid() {
		return &Error{Path: dir,
			Problem: fmt.Sprintf("is accessible to other users (mode %04o) and is owned by uid %d, not by this process (%s), so it is not changed", mode, owner, whoami()),
			Fix:     fmt.Sprintf("Run chmod 700 %s as its owner, or chown it to %s, %s.", dir, whoami(), otherFix)}
	}
	if err := os.Chmod(dir, 0o700); err != nil {
		return &Error{Path: dir, Problem: fmt.Sprintf("is accessible to other users (mode %04o) and cannot be tightened: %s", mode, reason(err)),
			Fix: "Run chmod 700 " + dir + ", " + otherFix + ".", Err: err}
	}
	log.Warn("the data directory was accessible to other users: tightened it", "dir", dir, "from", fmt.Sprintf("%04o", mode), "to", "0700")
	return nil
}

// tightenFiles takes group and world permissions away from the regular
// files in dir that this process owns.
func tightenFiles(dir string, log *slog.Logger) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return &Error{Path: dir, Problem: "cannot be listed: " + reason(err), Fix: "Make it readable by " + whoami() + ", " + otherFix + ".", Err: err}
	}
	for _, e := range entries {
		if !e.Type().IsRegular() {
			continue
		}
		path := filepath.Join(dir, e.Name())
		fi, err := os.Lstat(path)
		if err != nil {
			continue // removed meanwhile
		}
		mode := fi.Mode().Perm()
		if owner, known := ownerOf(fi); mode&0o077 == 0 || (known && owner != euid()) {
			continue
		}
		if err := os.Chmod(path, mode&0o700); err != nil {
			return &Error{Path: dir, Problem: fmt.Sprintf("holds %s, accessible to other users (mode %04o), which cannot be tightened: %s", e.Name(), mode, reason(err)),
				Fix: fmt.Sprintf("Run chmod 600 %s, %s.", path, otherFix), Err: err}
		}
		log.Warn("a file in the data directory was accessible to other users: tightened it", "file", path,
			"from", fmt.Sprintf("%04o", mode), "to", fmt.Sprintf("%04o", mode&0o700))
	}
	return nil
}

// reason is the system's words for err, without the path it repeats.
func reason(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}
