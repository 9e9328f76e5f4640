// Package smtptest runs a real SMTP server on loopback for tests: a mail
// catcher built on github.com/emersion/go-smtp.
//
// Start a server with [Start], point the code under test at [Server.Host] and
// [Server.Port], and wait for the mail with [Server.WaitFor]. The server can
// simulate failures: [Server.Stop] refuses connections (the mail server is
// down) until [Server.Restart]; [Server.RejectRecipient] answers RCPT TO with
// a 550; [Server.FailNext] makes the next DATA commands fail with a chosen
// code; [Server.RequireAuth] demands SMTP AUTH PLAIN. With [WithSTARTTLS] or
// [WithImplicitTLS] it speaks TLS with a self-signed certificate that
// [Server.ClientTLSConfig] trusts. [Server.Transcript] is every byte of every
// session (as seen inside TLS), to check what a client sent — or did not.
package smtptest

import (
	"bytes"
	"crypto/tls"
	"errors"
	"fmt"
	"log"
	"net"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
)

// Server is a running SMTP catcher. All methods are safe for concurrent use.
type Server struct {
	tb testing.TB

	tlsMode   tlsMode
	serverTLS *tls.Config
	clientTLS *tls.Config

	// lifeMu serialises Stop and Restart.
	lifeMu    sync.Mutex
	srv       *smtp.Server
	ln        net.Listener
	serveDone chan struct{}

	mu       sync.Mutex
	addr     string
	port     int
	running  bool
	closed   bool // set once the test's cleanup ran: no more logging to tb
	messages []Received
	changed  chan struct{} // closed and replaced whenever messages grows
	rejected map[string]bool
	failN    int
	failCode int
	authUser string
	authPass string
	// transcript is every session's traffic, both directions.
	transcript bytes.Buffer
}

// Option configures a Server at Start.
type Option func(*Server)

// Start starts an SMTP server on 127.0.0.1 on a free port. It is stopped
// when the test and its subtests finish (tb.Cleanup). Without options it
// speaks plain SMTP without TLS and without AUTH.
func Start(tb testing.TB, opts ...Option) *Server {
	tb.Helper()
	s := &Server{
		tb:       tb,
		changed:  make(chan struct{}),
		rejected: make(map[string]bool),
	}
	for _, opt := range opts {
		opt(s)
	}
	if s.tlsMode != tlsNone {
		if err := s.makeCerts(); err != nil {
			tb.Fatalf("smtptest: %v", err)
		}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatalf("smtptest: listen: %v", err)
	}
	s.addr = ln.Addr().String()
	s.port = ln.Addr().(*net.TCPAddr).Port
	s.serve(ln)
	tb.Cleanup(func() {
		s.Stop()
		s.mu.Lock()
		s.closed = true
		s.mu.Unlock()
	})
	return s
}

// Addr returns the server's address as "127.0.0.1:port". It stays the same
// across Stop and Restart.
func (s *Server) Addr() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.addr
}

// Host returns the host the server listens on: "127.0.0.1".
func (s *Server) Host() string { return "127.0.0.1" }

// Port returns the TCP port the server listens on.
func (s *Server) Port() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.port
}

// Stop closes the listener and every open connection, so that new
// connections are refused: the mail server is down. Messages received so far
// are kept. Stop is idempotent.
func (s *Server) Stop() {
	s.lifeMu.Lock()
	defer s.lifeMu.Unlock()
	s.mu.Lock()
	running := s.running
	s.running = false
	s.mu.Unlock()
	if !running {
		return
	}
	// Close the listener ourselves too: srv.Close only knows listeners that
	// Serve already registered, which may not have happened yet.
	_ = s.srv.Close()
	_ = s.ln.Close()
	<-s.serveDone
}

// Restart listens again on the same port after Stop. A bind that fails with
// "address in use" is retried for up to five seconds; any other failure
// fails the test. Restart on a running server does nothing.
func (s *Server) Restart() {
	s.tb.Helper()
	s.lifeMu.Lock()
	defer s.lifeMu.Unlock()
	s.mu.Lock()
	running, addr := s.running, s.addr
	s.mu.Unlock()
	if running {
		return
	}
	deadline := time.Now().Add(5 * time.Second)
	backoff := 5 * time.Millisecond
	for {
		ln, err := net.Listen("tcp", addr)
		if err == nil {
			s.serve(ln)
			return
		}
		if !errors.Is(err, syscall.EADDRINUSE) || time.Now().After(deadline) {
			s.tb.Fatalf("smtptest: restart on %s: %v", addr, err)
			return
		}
		time.Sleep(backoff) // the port is still held by the old socket
		backoff = min(2*backoff, 100*time.Millisecond)
	}
}

// serve starts a fresh go-smtp server on ln. A go-smtp Server cannot be
// reused after Close, so every Restart gets a new one sharing our state.
func (s *Server) serve(ln net.Listener) {
	srv := smtp.NewServer(&backend{s: s})
	srv.Domain = "localhost"
	srv.AllowInsecureAuth = true
	srv.ReadTimeout = 30 * time.Second
	srv.WriteTimeout = 30 * time.Second
	srv.MaxMessageBytes = 10 << 20
	srv.ErrorLog = log.New(tbWriter{s}, "smtptest: ", 0)
	srv.Debug = transcriptWriter{s}
	switch s.tlsMode {
	case tlsStart:
		srv.TLSConfig = s.serverTLS
	case tlsImplicit:
		ln = tls.NewListener(ln, s.serverTLS)
	}
	done := make(chan struct{})
	s.srv, s.ln, s.serveDone = srv, ln, done
	s.mu.Lock()
	s.running = true
	s.mu.Unlock()
	go func() {
		defer close(done)
		_ = srv.Serve(ln)
	}()
}

// tbWriter sends go-smtp's error log to the test log while the test runs.
type tbWriter struct{ s *Server }

func (w tbWriter) Write(p []byte) (int, error) {
	w.s.mu.Lock()
	defer w.s.mu.Unlock()
	if !w.s.closed {
		w.s.tb.Logf("%s", p)
	}
	return len(p), nil
}

// transcriptWriter records go-smtp's debug copy of the traffic.
type transcriptWriter struct{ s *Server }

func (w transcriptWriter) Write(p []byte) (int, error) {
	w.s.mu.Lock()
	defer w.s.mu.Unlock()
	return w.s.transcript.Write(p)
}

// Transcript returns everything clients and the server said in every
// session so far (commands, replies, AUTH exchanges, message data), as
// seen inside TLS. Empty when no client connected.
func (s *Server) Transcript() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.transcript.String()
}

// String describes the server for test logs.
func (s *Server) String() string {
	return "smtptest server at " + net.JoinHostPort(s.Host(), strconv.Itoa(s.Port())) +
		fmt.Sprintf(" (%d message(s))", s.Count())
}
