package web

import (
	"net/url"
	"strings"
)

// localNext validates a return path: a local /admin page, never another
// site (no scheme, no host, no "//" or "/\" that browsers read as one).
// Anything else is the requests page.
func localNext(next string) string {
	const home = "/admin/requests"
	if next == "" || len(next) > 2000 || !strings.HasPrefix(next, "/admin") || strings.ContainsAny(next, "\\\r\n\t") {
		return home
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || u.Opaque != "" {
		return home
	}
	if u.Path != "/admin" && !strings.HasPrefix(u.Path, "/admin/") {
		return home
	}
	if strings.HasPrefix(u.Path, "/admin/login") || u.Path == "/admin/events" || strings.HasPrefix(u.Path, "/admin/static/") {
		return home
	}
	out := u.EscapedPath()
	if u.RawQuery != "" {
		out += "?" + u.RawQuery
	}
	return out
}
