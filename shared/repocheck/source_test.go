package repocheck

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// sourceRules are patterns the product's Go code must not contain, each
// with the reason. They hold the write boundary's promises where a type
// cannot: an audit row or an outbox row whose error is dropped is a
// change nobody can trace, and an error recognised by its text breaks
// the day its message is reworded (errors carry a kind: fault.KindOf).
var sourceRules = []struct {
	pattern *regexp.Regexp
	why     string
	// exempt: files (paths from the repository's top, a trailing "/" for
	// a directory) where the pattern is the only way, each for a reason.
	exempt []string
}{
	{pattern: regexp.MustCompile(`_\s*(,\s*_\s*)?=\s*[\w.]*(InsertAudit|InsertAuditMany|EnqueueMail|EnqueueMailMany|Enqueue|EnqueueHeld)\(`),
		why: "drops the error of an audit or outbox write: return it so the transaction rolls back"},
	{pattern: regexp.MustCompile(`strings\.(TrimPrefix|HasPrefix|Contains|HasSuffix)\(\s*err\.Error\(\)`),
		why: "recognises an error by its text: use its kind (fault.KindOf, errors.Is/As)",
		exempt: []string{
			"backend/internal/httpapi/respond.go", // encoding/json's unknown-field error has no type
			"backend/internal/mail/headers.go",    // net/mail's errors have no type
			"desktop/internal/tunnel/proxy.go",    // the netstack's refused dial carries no errno
		}},
}

func exempted(rel string, exempt []string) bool {
	for _, e := range exempt {
		if rel == e || (strings.HasSuffix(e, "/") && strings.HasPrefix(rel, e)) {
			return true
		}
	}
	return false
}

func TestSourceRules(t *testing.T) {
	dir := root(t)
	checked := 0
	for _, top := range []string{"backend", "desktop", "shared"} {
		err := filepath.WalkDir(filepath.Join(dir, top), func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() && (d.Name() == "node_modules" || d.Name() == "testdata") {
				return filepath.SkipDir
			}
			if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
				return nil
			}
			data, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			checked++
			rel, _ := filepath.Rel(dir, path)
			rel = filepath.ToSlash(rel)
			for i, line := range strings.Split(string(data), "\n") {
				for _, r := range sourceRules {
					if r.pattern.MatchString(line) && !exempted(rel, r.exempt) {
						t.Errorf("%s:%d %s\n\t%s", rel, i+1, r.why, strings.TrimSpace(line))
					}
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if checked < 100 {
		t.Fatalf("checked only %d Go files: the walk missed the source", checked)
	}
}

// TestSourceRulesMatch keeps the patterns honest: each catches the line it
// is meant for and lets the right form through.
func TestSourceRulesMatch(t *testing.T) {
	bad := []string{
		`	_ = store.InsertAudit(ctx, tx, e)`,
		`	_, _ = store.EnqueueMail(ctx, tx, m)`,
		`	_ = outbox.Enqueue(ctx, tx, "x", m, now)`,
		`	msg := strings.TrimPrefix(err.Error(), "conflict: ")`,
		`	if strings.Contains(err.Error(), "UNIQUE") {`,
	}
	good := []string{
		`	if err := store.InsertAudit(ctx, tx, e); err != nil {`,
		`	id, err := store.EnqueueMail(ctx, tx, m)`,
		`	if fault.KindOf(err) == fault.Conflict {`,
	}
	match := func(line string) bool {
		for _, r := range sourceRules {
			if r.pattern.MatchString(line) {
				return true
			}
		}
		return false
	}
	for _, l := range bad {
		if !match(l) {
			t.Errorf("not caught: %s", l)
		}
	}
	for _, l := range good {
		if match(l) {
			t.Errorf("caught wrongly: %s", l)
		}
	}
}
