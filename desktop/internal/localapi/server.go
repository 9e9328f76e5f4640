package localapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"gatepass.dev/shared/api"
	"gatepass.dev/shared/sse"
)

// Service is what the LocalAPI serves; the agent implements it. Errors that
// are *api.Error are answered with their status and code; any other error
// is a 500.
type Service interface {
	Status() Status
	// Subscribe returns a channel that receives the current Status at once
	// and then the latest Status after every change (a slow reader skips
	// intermediate ones, never the last), until cancel is called.
	Subscribe() (updates <-chan Status, cancel func())
	Login(ctx context.Context, in LoginRequest) error
	Logout(ctx context.Context) error
	Request(ctx context.Context, network string, in AccessRequest) error
	// Extend asks for more time on the network's active grant.
	Extend(ctx context.Context, network string, in ExtendRequest) error
	// BreakGlass takes emergency access to the network at once.
	BreakGlass(ctx context.Context, network string, in BreakGlassRequest) error
	Cancel(ctx context.Context, network string) error
	Connect(ctx context.Context, network string) error
	Disconnect(ctx context.Context, network string) error
	Release(ctx context.Context, network string) error
	Prefs() Prefs
	SetPrefs(ctx context.Context, in PrefsInput) error
	// Devices lists the signed-in user's devices (this one current).
	Devices(ctx context.Context) (Devices, error)
	// RemoveDevice removes one of the user's devices by id, or by name
	// when it is unambiguous (see Devices.Find).
	RemoveDevice(ctx context.Context, device string) error
	// History lists the user's latest requests on a network.
	History(ctx context.Context, network string) (History, error)
}

// maxBody bounds request bodies.
const maxBody = 64 << 10

// keepAlive is the interval of SSE comments on /watch.
const keepAlive = 20 * time.Second

// EventStatus is the type of /watch's events: each one's data is a Status.
const EventStatus = "status"

// Server serves the LocalAPI of one Service.
type Server struct {
	svc  Service
	log  *slog.Logger
	srv  *http.Server
	uid  int
	peer func(c net.Conn, uid int) error
}

// NewServer returns a server of svc. Only connections whose peer is the
// current user are served (see CheckPeer).
func NewServer(svc Service, log *slog.Logger) *Server {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Server{svc: svc, log: log, uid: currentUID(), peer: CheckPeer}
	s.srv = &http.Server{
		Handler:           s.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		ConnContext: func(ctx context.Context, c net.Conn) context.Context {
			return context.WithValue(ctx, peerKey{}, peerResult{err: s.peer(c, s.uid)})
		},
		ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelDebug),
	}
	return s
}

type peerKey struct{}

type peerResult struct{ err error }

// Serve serves connections of ln until Close.
func (s *Server) Serve(ln net.Listener) error {
	err := s.srv.Serve(ln)
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}

// Close stops the server and ends every connection (watch streams too).
func (s *Server) Close() error { return s.srv.Close() }

// Handler returns the LocalAPI routes. The peer check is done per
// connection by Serve; a connection whose check failed is answered 403.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /localapi/v1/status", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, s.svc.Status())
	})
	mux.HandleFunc("GET /localapi/v1/watch", s.watch)
	mux.HandleFunc("POST /localapi/v1/login", func(w http.ResponseWriter, r *http.Request) {
		var in LoginRequest
		if !decode(w, r, &in) {
			return
		}
		s.answer(w, s.svc.Login(r.Context(), in))
	})
	mux.HandleFunc("POST /localapi/v1/logout", func(w http.ResponseWriter, r *http.Request) {
		s.answer(w, s.svc.Logout(r.Context()))
	})
	mux.HandleFunc("POST /localapi/v1/networks/{name}/{action}", s.networkAction)
	mux.HandleFunc("GET /localapi/v1/networks/{name}/requests", func(w http.ResponseWriter, r *http.Request) {
		h, err := s.svc.History(r.Context(), r.PathValue("name"))
		if err != nil {
			writeError(w, err)
			return
		}
		writeJSON(w, http.StatusOK, h)
	})
	mux.HandleFunc("GET /localapi/v1/prefs", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, s.svc.Prefs())
	})
	mux.HandleFunc("PUT /localapi/v1/prefs", func(w http.ResponseWriter, r *http.Request) {
		var in PrefsInput
		if !decode(w, r, &in) {
			return
		}
		s.answer(w, s.svc.SetPrefs(r.Context(), in))
	})
	mux.HandleFunc("GET /localapi/v1/devices", func(w http.ResponseWriter, r *http.Request) {
		d, err := s.svc.Devices(r.Context())
		if err != nil {
			writeError(w, err)
			return
		}
		writeJSON(w, http.StatusOK, d)
	})
	mux.HandleFunc("DELETE /localapi/v1/devices/{device}", func(w http.ResponseWriter, r *http.Request) {
		s.answer(w, s.svc.RemoveDevice(r.Context(), r.PathValue("device")))
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, &api.Error{Status: http.StatusNotFound, Code: api.CodeNotFound, Message: "no such LocalAPI endpoint: " + r.Method + " " + r.URL.Path})
	})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if p, ok := r.Context().Value(peerKey{}).(peerResult); ok && p.err != nil {
			s.log.Warn("localapi: connection refused", "reason", p.err)
			writeError(w, &api.Error{Status: http.StatusForbidden, Code: api.CodeForbidden, Message: "the Gatepass agent serves only the user who runs it: " + p.err.Error()})
			return
		}
		w.Header().Set("Cache-Control", "no-store")
		mux.ServeHTTP(w, r)
	})
}

func (s *Server) networkAction(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	ctx := r.Context()
	var err error
	switch r.PathValue("action") {
	case "request":
		var in AccessRequest
		if !decode(w, r, &in) {
			return
		}
		err = s.svc.Request(ctx, name, in)
	case "extend":
		var in ExtendRequest
		if !decode(w, r, &in) {
			return
		}
		err = s.svc.Extend(ctx, name, in)
	case "break-glass":
		var in BreakGlassRequest
		if !decode(w, r, &in) {
			return
		}
		err = s.svc.BreakGlass(ctx, name, in)
	case "cancel":
		err = s.svc.Cancel(ctx, name)
	case "connect":
		err = s.svc.Connect(ctx, name)
	case "disconnect":
		err = s.svc.Disconnect(ctx, name)
	case "release":
		err = s.svc.Release(ctx, name)
	default:
		err = &api.Error{Status: http.StatusNotFound, Code: api.CodeNotFound, Message: fmt.Sprintf("unknown network action %q (request, extend, break-glass, cancel, connect, disconnect, release)", r.PathValue("action"))}
	}
	s.answer(w, err)
}

// answer writes the error, or the Status after a successful change.
func (s *Server) answer(w http.ResponseWriter, err error) {
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, s.svc.Status())
}

func (s *Server) watch(w http.ResponseWriter, r *http.Request) {
	updates, cancel := s.svc.Subscribe()
	defer cancel()
	sw, err := sse.Start(w)
	if err != nil {
		return
	}
	ping := time.NewTicker(keepAlive) // transport keep-alive, not logic
	defer ping.Stop()
	for {
		select {
		case <-r.Context().Done():
			return
		case <-ping.C:
			if sw.KeepAlive() != nil {
				return
			}
		case st, ok := <-updates:
			if !ok {
				return
			}
			b, err := json.Marshal(st)
			if err != nil {
				return
			}
			if sw.Event(sse.Event{Type: EventStatus, Data: string(b)}) != nil {
				return
			}
		}
	}
}

// decode reads a JSON body (empty means {}); on error it answers 400.
func decode(w http.ResponseWriter, r *http.Request, v any) bool {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		writeError(w, &api.Error{Status: http.StatusRequestEntityTooLarge, Code: api.CodeTooLarge, Message: "request body too large"})
		return false
	}
	if strings.TrimSpace(string(body)) == "" {
		return true
	}
	dec := json.NewDecoder(strings.NewReader(string(body)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		writeError(w, &api.Error{Status: http.StatusBadRequest, Code: api.CodeBadRequest, Message: "bad JSON body: " + err.Error()})
		return false
	}
	return true
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	_ = enc.Encode(v)
}

// writeError answers err as {"error":{"code","message"}}.
func writeError(w http.ResponseWriter, err error) {
	var e *api.Error
	if !errors.As(err, &e) {
		e = &api.Error{Status: http.StatusInternalServerError, Code: api.CodeInternal, Message: err.Error()}
	}
	out := *e
	if out.Status == 0 {
		out.Status = http.StatusInternalServerError
	}
	if out.Code == "" {
		out.Code = codeOf(out.Status)
	}
	writeJSON(w, out.Status, api.ErrorBody{Error: out})
}

func codeOf(status int) api.ErrorCode {
	switch status {
	case 400:
		return api.CodeBadRequest
	case 401:
		return api.CodeUnauthorized
	case 403:
		return api.CodeForbidden
	case 404:
		return api.CodeNotFound
	case 409:
		return api.CodeConflict
	case 413:
		return api.CodeTooLarge
	case 429:
		return api.CodeRateLimited
	case 503, 502, 504:
		return api.CodeUnavailable
	}
	return api.CodeInternal
}
