package store

import (
	"strconv"
	"strings"
)

// rebind rewrites the portable "?" placeholders of query as PostgreSQL's
// "$1", "$2", … in order. A "?" inside a string literal ('…'), a quoted
// identifier ("…"), a comment (-- … or /* … */) or a dollar-quoted body
// ($$…$$, $tag$…$tag$) is left alone.
func rebind(query string) string {
	if !strings.Contains(query, "?") {
		return query
	}
	var b strings.Builder
	b.Grow(len(query) + 16)
	n := 0
	for i := 0; i < len(query); {
		c := query[i]
		switch {
		case c == '?':
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			i++
		case c == '\'' || c == '"':
			j := closeQuote(query, i+1, c)
			b.WriteString(query[i:j])
			i = j
		case c == '-' && strings.HasPrefix(query[i:], "--"):
			j := strings.IndexByte(query[i:], '\n')
			if j < 0 {
				j = len(query) - i
			}
			b.WriteString(query[i : i+j])
			i += j
		case c == '/' && strings.HasPrefix(query[i:], "/*"):
			j := strings.Index(query[i+2:], "*/")
			end := len(query)
			if j >= 0 {
				end = i + 2 + j + 2
			}
			b.WriteString(query[i:end])
			i = end
		case c == '$':
			if tag, ok := dollarTag(query[i:]); ok {
				end := len(query)
				if j := strings.Index(query[i+len(tag):], tag); j >= 0 {
					end = i + len(tag) + j + len(tag)
				}
				b.WriteString(query[i:end])
				i = end
				continue
			}
			b.WriteByte(c)
			i++
		default:
			b.WriteByte(c)
			i++
		}
	}
	return b.String()
}

// closeQuote returns the index just past the quote that closes the literal
// opened before i (a doubled quote is part of the literal).
func closeQuote(s string, i int, q byte) int {
	for i < len(s) {
		if s[i] == q {
			if i+1 < len(s) && s[i+1] == q {
				i += 2
				continue
			}
			return i + 1
		}
		i++
	}
	return len(s)
}

// dollarTag returns the opening tag of a dollar-quoted string at the start
// of s ("$$" or "$name$"); a positional parameter ("$1") is none.
func dollarTag(s string) (string, bool) {
	for j := 1; j < len(s); j++ {
		c := s[j]
		switch {
		case c == '$':
			return s[:j+1], true
		case c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z':
		case c >= '0' && c <= '9' && j > 1:
		default:
			return "", false
		}
	}
	return "", false
}
