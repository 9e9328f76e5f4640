package web

import (
	"net/http"
)

// csp allows only this origin's files: no inline script or style, no
// frames, forms posting only here.
const csp = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; " +
	"object-src 'none'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'"

// setHeaders sets the security headers of every web response.
func setHeaders(w http.ResponseWriter) {
	h := w.Header()
	h.Set("Content-Security-Policy", csp)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "same-origin")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
	h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=()")
	h.Set("Cache-Control", "no-store")
}

// guard sets the headers and turns a panic into the error page.
func (s *Server) guard(w http.ResponseWriter, r *http.Request) func() {
	setHeaders(w)
	return func() {
		if v := recover(); v != nil {
			if v == http.ErrAbortHandler {
				panic(v)
			}
			s.Logger.Error("web: panic", "method", r.Method, "path", r.URL.Path, "panic", v)
			s.renderError(w, r, nil, http.StatusInternalServerError, "Something went wrong", "The server hit an error. Nothing was changed by this page; try again.")
		}
	}
}

// public wraps a handler that needs no session.
func (s *Server) public(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		defer s.guard(w, r)()
		h(w, r)
	}
}

// handler is a handler of a signed-in visitor (see authz.go for who).
type handler func(w http.ResponseWriter, r *http.Request, v *visit)

// page wraps an admin's GET handler: signed-out visits are sent to sign
// in, and everyone else gets the 403 page.
func (s *Server) page(h handler) http.HandlerFunc { return s.get(h, forAdmins) }

// queuePage wraps a GET handler of the request queue: admins and
// approvers (who see only their networks' requests).
func (s *Server) queuePage(h handler) http.HandlerFunc { return s.get(h, forReviewers) }

func (s *Server) get(h handler, a audience) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		defer s.guard(w, r)()
		v, ok := s.signedIn(w, r, a)
		if !ok {
			return
		}
		h(w, r, v)
	}
}

// action wraps an admin's POST handler: the request must pass the CSRF
// checks first.
func (s *Server) action(h handler) http.HandlerFunc { return s.post(h, forAdmins) }

// queueAction wraps a POST handler of the request queue (a decision):
// admins and approvers, on their networks' requests.
func (s *Server) queueAction(h handler) http.HandlerFunc { return s.post(h, forReviewers) }

// userAction wraps a POST handler of any signed-in user (signing out).
func (s *Server) userAction(h handler) http.HandlerFunc { return s.post(h, forAnyone) }

func (s *Server) post(h handler, a audience) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		defer s.guard(w, r)()
		r.Body = http.MaxBytesReader(w, r.Body, maxForm)
		if !s.sameOrigin(r) {
			s.csrfRefused(w, r, nil, "the form was sent from another site")
			return
		}
		v, ok := s.signedIn(w, r, forAnyone)
		if !ok {
			return
		}
		if !v.checkCSRF(r) {
			s.csrfRefused(w, r, v, "the form's security token is missing or out of date")
			return
		}
		if !v.allows(a) {
			s.forbidden(w, r, v)
			return
		}
		h(w, r, v)
	}
}

// maxForm bounds a form body.
const maxForm = 64 << 10
