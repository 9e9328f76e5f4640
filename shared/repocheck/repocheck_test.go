// Package repocheck holds the repository's own hygiene test: nothing built,
// no database and no private key is committed. It has no code of its own.
package repocheck

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"testing"
)

// headers of executables and databases, by their first bytes.
var headers = []struct {
	what  string
	magic []byte
}{
	{"an ELF executable", []byte{0x7f, 'E', 'L', 'F'}},
	{"a Windows executable", []byte{'M', 'Z'}},
	{"a Mach-O executable", []byte{0xcf, 0xfa, 0xed, 0xfe}},
	{"a Mach-O executable", []byte{0xce, 0xfa, 0xed, 0xfe}},
	{"a universal Mach-O executable", []byte{0xca, 0xfe, 0xba, 0xbe}},
	{"a SQLite database", []byte("SQLite format 3\x00")},
}

var privateKey = regexp.MustCompile(`-----BEGIN [A-Z ]*PRIVATE KEY-----`)

// root is the repository's top directory: the one holding go.work.
func root(t *testing.T) string {
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.work")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Skip("no go.work above the test: not in the repository")
		}
		dir = parent
	}
}

func TestNothingBuiltIsCommitted(t *testing.T) {
	dir := root(t)
	cmd := exec.Command("git", "ls-files", "-z")
	cmd.Dir = dir
	out, err := cmd.Output()
	if err != nil {
		t.Skipf("git ls-files: %v (not a git checkout)", err)
	}
	for _, name := range bytes.Split(bytes.TrimRight(out, "\x00"), []byte{0}) {
		path := filepath.Join(dir, string(name))
		data, err := os.ReadFile(path)
		if err != nil {
			continue // deleted in the work tree
		}
		for _, h := range headers {
			if bytes.HasPrefix(data, h.magic) {
				t.Errorf("%s is %s: build output and databases are not committed (.gitignore)", name, h.what)
			}
		}
		if privateKey.Match(data) {
			t.Errorf("%s holds a private key: keys are not committed", name)
		}
	}
}
