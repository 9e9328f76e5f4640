package web

import (
	"bytes"
	"embed"
	"encoding/json"
	"html/template"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"time"

	"gatepass.dev/backend/internal/actor"
	"gatepass.dev/backend/internal/admin"
	"gatepass.dev/backend/internal/fault"
)

//go:embed templates/*.html
var templateFS embed.FS

// pages holds one template set per page: the shared layout and partials
// (files starting with "_") plus the page's own file.
type pages struct {
	byName map[string]*template.Template
}

func mustParsePages() *pages {
	base := template.New("").Funcs(funcs)
	files, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		panic(err)
	}
	var pageFiles []string
	for _, f := range files {
		if strings.HasPrefix(path.Base(f), "_") {
			template.Must(base.ParseFS(templateFS, f))
		} else {
			pageFiles = append(pageFiles, f)
		}
	}
	p := &pages{byName: map[string]*template.Template{}}
	for _, f := range pageFiles {
		t := template.Must(template.Must(base.Clone()).ParseFS(templateFS, f))
		p.byName[strings.TrimSuffix(path.Base(f), ".html")] = t
	}
	return p
}

// flash is the outcome message of the previous POST, shown once: Text, or
// Words when it holds times (each viewer reads them in their own zone),
// and the Lines of a bulk action, one per request.
type flash struct {
	Kind  string           `json:"kind"` // ok | error
	Text  string           `json:"text,omitempty"`
	Words admin.Sentence   `json:"words,omitempty"`
	Lines []admin.Sentence `json:"lines,omitempty"`
}

func encodeFlash(f flash) string {
	b, _ := json.Marshal(f)
	return string(b)
}

// pageData is what every page's template gets; Data is the page's own.
type pageData struct {
	Title    string
	Nav      string
	User     actor.Actor // who is signed in
	SignedIn bool
	IsAdmin  bool
	// Reviewer is an admin, or an approver who sees their queue.
	Reviewer bool
	CSRF     string
	Flash    *flash
	Mail     *mailBanner // while mail cannot be delivered (admin pages)
	// BreakGlass lists the break-glass accesses awaiting the visitor's
	// review (admins, and approvers of their networks).
	BreakGlass *breakGlassBanner
	Now        time.Time
	Data       any
}

// navOf maps a page to its entry in the main navigation.
var navOf = map[string]string{
	"requests": "requests", "request": "requests",
	"networks": "networks", "network": "networks", "network_form": "networks", "rule_form": "networks",
	"gateways": "gateways", "gateway_added": "gateways",
	"users": "users", "user": "users", "service_token": "users", "groups": "groups", "group": "groups", "settings": "settings", "audit": "audit", "outbox": "outbox",
}

func (s *Server) pageData(v *visit, name, title string, data any) pageData {
	d := pageData{Title: title, Nav: navOf[name], Now: s.now(), Data: data}
	if v != nil {
		d.User, d.SignedIn, d.IsAdmin, d.Reviewer, d.CSRF = v.Actor, true, v.isAdmin(), v.isReviewer(), v.Session.CSRF
	}
	return d
}

// render writes a full page with the layout. The session's flash message
// is shown (and cleared) on it.
func (s *Server) render(w http.ResponseWriter, r *http.Request, v *visit, status int, name, title string, data any) {
	d := s.pageData(v, name, title, data)
	if d.IsAdmin {
		d.Mail = s.mailBanner(r.Context())
	}
	if d.Reviewer {
		d.BreakGlass = s.breakGlassBanner(r.Context(), v)
	}
	if v != nil {
		if raw, err := s.SignIn.TakeFlash(r.Context(), v.Session.Hash); err == nil && raw != "" {
			var f flash
			if json.Unmarshal([]byte(raw), &f) == nil {
				d.Flash = &f
			}
		}
	}
	s.execute(w, r, status, name, "layout", d)
}

// renderPart writes one named template of a page without the layout: the
// fragment that live updates swap in.
func (s *Server) renderPart(w http.ResponseWriter, r *http.Request, v *visit, name, part string, data any) {
	s.execute(w, r, http.StatusOK, name, part, s.pageData(v, name, "", data))
}

func (s *Server) execute(w http.ResponseWriter, r *http.Request, status int, name, tmpl string, d pageData) {
	t := s.pages.byName[name]
	if t == nil {
		panic("web: no page " + name)
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, tmpl, d); err != nil {
		s.Logger.Error("web: render", "page", name, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// errorView is the error page's data.
type errorView struct {
	Heading string
	Message string
}

// renderError shows the error page with a status.
func (s *Server) renderError(w http.ResponseWriter, r *http.Request, v *visit, status int, heading, message string) {
	s.render(w, r, v, status, "error", heading, errorView{Heading: heading, Message: message})
}

// serverError logs err and shows the 500 page — or, when the storage is
// failing, the 503 page that says so.
func (s *Server) serverError(w http.ResponseWriter, r *http.Request, v *visit, err error) {
	if fault.Is(err, fault.Unavailable) {
		retryAfter(w, err)
		s.renderError(w, r, v, http.StatusServiceUnavailable, "Cannot save right now", unavailableText)
		return
	}
	if r.Context().Err() == nil {
		s.Logger.Error("web: internal error", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	s.renderError(w, r, v, http.StatusInternalServerError, "Something went wrong", "The server hit an error. Try again in a moment.")
}

// notFound is the 404 page of every unknown path outside the API.
func (s *Server) notFound(w http.ResponseWriter, r *http.Request) {
	v, _, _ := s.currentSession(r)
	s.renderError(w, r, v, http.StatusNotFound, "Not found", "There is no page at this address.")
}

// root sends / to /admin/, and /admin/ to the requests page.
func (s *Server) root(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/" {
		http.Redirect(w, r, "/admin/", http.StatusFound)
		return
	}
	http.Redirect(w, r, "/admin/requests", http.StatusFound)
}

// redirect answers a POST with 303 See Other to a local page.
func redirect(w http.ResponseWriter, r *http.Request, to string) {
	http.Redirect(w, r, to, http.StatusSeeOther)
}
