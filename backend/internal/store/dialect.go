package store

import (
	"bufio"
	"strings"
)

// Dialect is the SQL database behind a DB.
type Dialect string

// The dialects.
const (
	SQLite   Dialect = "sqlite"
	Postgres Dialect = "postgres"
)

// Dialect is the database's dialect.
func (db *DB) Dialect() Dialect { return db.dialect }

// forDialect keeps the lines of a migration that apply to d. A line
// "-- if sqlite" or "-- if postgres" starts a part that only that dialect
// runs, up to the next such line or "-- end"; every other line is for
// both.
func forDialect(text string, d Dialect) string {
	var b strings.Builder
	keep := true
	sc := bufio.NewScanner(strings.NewReader(text))
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		switch t := strings.TrimSpace(line); {
		case strings.HasPrefix(t, "-- if "):
			keep = Dialect(strings.TrimSpace(strings.TrimPrefix(t, "-- if "))) == d
			continue
		case t == "-- end":
			keep = true
			continue
		}
		if keep {
			b.WriteString(line)
			b.WriteByte('\n')
		}
	}
	return b.String()
}
