package store

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// The rules of portable SQL (see the package doc) that can be checked
// without a database: what each dialect does not understand.
var (
	sqliteOnly = map[string]*regexp.Regexp{
		"INSERT OR":           regexp.MustCompile(`(?i)\bINSERT\s+OR\b`),
		"REPLACE INTO":        regexp.MustCompile(`(?i)\bREPLACE\s+INTO\b`),
		"AUTOINCREMENT":       regexp.MustCompile(`(?i)\bAUTOINCREMENT\b`),
		"PRAGMA":              regexp.MustCompile(`(?i)\bPRAGMA\b`),
		"datetime()":          regexp.MustCompile(`(?i)\b(datetime|strftime|julianday|unixepoch)\s*\(`),
		"IFNULL()":            regexp.MustCompile(`(?i)\bIFNULL\s*\(`),
		"GLOB":                regexp.MustCompile(`(?i)\bGLOB\b`),
		"rowid":               regexp.MustCompile(`(?i)\b(rowid|last_insert_rowid)\b`),
		"RAISE()":             regexp.MustCompile(`(?i)\bRAISE\s*\(`),
		"sqlite_ tables":      regexp.MustCompile(`(?i)\bsqlite_\w+`),
		"INTEGER PRIMARY KEY": regexp.MustCompile(`(?i)\bINTEGER\s+PRIMARY\s+KEY\s+AUTO`),
		"JSON functions":      regexp.MustCompile(`(?i)\b(json_group_array|json_group_object|json_object|json_array|json_each|json_extract|group_concat)\s*\(`),
	}
	postgresOnly = map[string]*regexp.Regexp{
		"::cast":        regexp.MustCompile(`::\s*[a-zA-Z]`),
		"ILIKE":         regexp.MustCompile(`(?i)\bILIKE\b`),
		"NOW()":         regexp.MustCompile(`(?i)\b(NOW|CURRENT_TIMESTAMP|CURRENT_DATE)\b`),
		"SERIAL":        regexp.MustCompile(`(?i)\b(BIG)?SERIAL\b`),
		"FOR UPDATE":    regexp.MustCompile(`(?i)\bFOR\s+(NO\s+KEY\s+)?(UPDATE|SHARE)\b`),
		"$n":            regexp.MustCompile(`\$\d`),
		"pg_ functions": regexp.MustCompile(`(?i)\bpg_\w+\s*\(`),
		"plpgsql":       regexp.MustCompile(`(?i)\bplpgsql\b`),
		"IDENTITY":      regexp.MustCompile(`(?i)\bGENERATED\b`),
		"DISTINCT ON":   regexp.MustCompile(`(?i)\bDISTINCT\s+ON\b`),
		"booleans":      regexp.MustCompile(`(?i)\b(TRUE|FALSE)\b`),
	}
	looksLikeSQL = regexp.MustCompile(`\b(SELECT|INSERT|UPDATE|DELETE|CREATE|ALTER|DROP|WHERE)\b`)
	likeOp       = regexp.MustCompile(`(?i)\bLIKE\b`)
)

// TestPortableSQL: every SQL string of this package is portable — none
// uses what only one dialect understands, except a migration's part for
// that dialect and constants named for it (…Postgres, …SQLite) — and LIKE
// always compares LOWER(…). No code asks for LastInsertId. A query that
// passes here can still fail on PostgreSQL (a boolean scanned from an
// expression, a subquery without an alias): the suites on PostgreSQL catch
// those.
func TestPortableSQL(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	checked := 0
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		src, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(src), ".LastInsertId(") {
			t.Errorf("%s: uses LastInsertId: write INSERT … RETURNING id (PostgreSQL has no last insert id)", name)
		}
		f, err := parser.ParseFile(fset, name, src, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			vs, ok := n.(*ast.ValueSpec)
			if ok {
				for i, v := range vs.Values {
					if i < len(vs.Names) {
						checked += checkLiterals(t, fset, vs.Names[i].Name, v)
					}
				}
				return false
			}
			if fn, ok := n.(*ast.FuncDecl); ok && fn.Body != nil {
				checked += checkLiterals(t, fset, fn.Name.Name, fn.Body)
				return false
			}
			return true
		})
	}
	if checked < 50 {
		t.Fatalf("only %d SQL strings checked: is the scan broken?", checked)
	}
}

// checkLiterals checks the SQL string literals under n, found in the
// declaration called name, and returns how many it checked.
func checkLiterals(t *testing.T, fset *token.FileSet, name string, n ast.Node) int {
	checked := 0
	ast.Inspect(n, func(n ast.Node) bool {
		lit, ok := n.(*ast.BasicLit)
		if !ok || lit.Kind != token.STRING {
			return true
		}
		s, err := strconv.Unquote(lit.Value)
		if err != nil || !looksLikeSQL.MatchString(s) {
			return true
		}
		checked++
		at := fset.Position(lit.Pos()).String()
		switch {
		case name == "migrations":
			checkSQL(t, at+" (SQLite's part)", forDialect(s, SQLite), postgresOnly)
			checkSQL(t, at+" (PostgreSQL's part)", forDialect(s, Postgres), sqliteOnly)
		case strings.HasSuffix(name, "Postgres"):
			checkSQL(t, at, s, sqliteOnly)
		case strings.HasSuffix(name, "SQLite"):
			checkSQL(t, at, s, postgresOnly)
		default:
			checkSQL(t, at, s, sqliteOnly, postgresOnly)
		}
		return true
	})
	return checked
}

func checkSQL(t *testing.T, at, s string, rules ...map[string]*regexp.Regexp) {
	t.Helper()
	for _, p := range sqlProblems(s, rules...) {
		t.Errorf("%s: %s: see the package doc", at, p)
	}
}

// sqlProblems lists what in s is not portable by rules, and a LIKE that
// does not compare LOWER(…).
func sqlProblems(s string, rules ...map[string]*regexp.Regexp) []string {
	var out []string
	code := withoutComments(s)
	for _, set := range rules {
		for what, re := range set {
			if m := re.FindString(code); m != "" {
				out = append(out, fmt.Sprintf("%q is not portable SQL (%s)", m, what))
			}
		}
	}
	for _, loc := range likeOp.FindAllStringIndex(code, -1) {
		before := strings.TrimRight(code[:loc[0]], " \t\n")
		if !strings.HasSuffix(before, ")") {
			out = append(out, "LIKE must compare LOWER(column) with a lower-cased pattern (PostgreSQL's LIKE is case-sensitive)")
		}
	}
	return out
}

// withoutComments drops "-- …" comments and string literals' contents,
// so that words in them are not taken for SQL.
func withoutComments(s string) string {
	var b strings.Builder
	for _, line := range strings.Split(s, "\n") {
		if i := strings.Index(line, "--"); i >= 0 {
			line = line[:i]
		}
		b.WriteString(line)
		b.WriteByte('\n')
	}
	return regexp.MustCompile(`'[^']*'`).ReplaceAllString(b.String(), "''")
}

// TestPortableSQLRules: the checks reject what they are for.
func TestPortableSQLRules(t *testing.T) {
	for _, bad := range []string{
		"INSERT OR IGNORE INTO users (id) VALUES (?)",
		"SELECT id FROM audit WHERE at > strftime('%s')",
		"SELECT id FROM users WHERE name LIKE ?",
		"SELECT id::text FROM users",
		"SELECT id FROM outbox WHERE id = $1",
		"SELECT id FROM outbox LIMIT 1 FOR UPDATE SKIP LOCKED",
		"CREATE TABLE x (id INTEGER PRIMARY KEY AUTOINCREMENT)",
		"SELECT id FROM users WHERE disabled = false",
		"SELECT (SELECT json_group_array(json_object('u', a.user_id)) FROM request_approvals a) FROM requests r",
	} {
		if len(sqlProblems(bad, sqliteOnly, postgresOnly)) == 0 {
			t.Errorf("accepted: %s", bad)
		}
	}
	for _, good := range []string{
		"SELECT id FROM users WHERE LOWER(name) LIKE ? ESCAPE '\\' AND role = 'admin' -- now()",
		"INSERT INTO outbox (kind) VALUES (?) RETURNING id",
		"INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
	} {
		if p := sqlProblems(good, sqliteOnly, postgresOnly); len(p) > 0 {
			t.Errorf("rejected: %s: %v", good, p)
		}
	}
}
