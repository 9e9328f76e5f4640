package server_test

import (
	"bytes"
	"context"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"gatepass.dev/backend/internal/auth"
	"gatepass.dev/backend/internal/config"
	"gatepass.dev/backend/internal/server"
)

// testConfig is a server on dir with no gateway and no SMTP.
func testConfig(dir string) *config.Config {
	return &config.Config{Listen: "127.0.0.1:0", DataDir: dir, PublicURL: "http://127.0.0.1:8080",
		PendingTTL: 7 * 24 * time.Hour, LogLevel: "info", Gateway: "off"}
}

// syncBuffer is a bytes.Buffer safe for the server's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// started is a server.New result with what it printed and logged.
type started struct {
	srv      *server.Server
	err      error
	out, log *syncBuffer
}

// start runs server.New on cfg (closing the server at the end of the test).
func start(t *testing.T, cfg *config.Config) started {
	t.Helper()
	auth.SetTestCost()
	st := started{out: &syncBuffer{}, log: &syncBuffer{}}
	st.srv, st.err = server.New(context.Background(), server.Options{Config: cfg, Clock: clockwork.NewFakeClockAt(time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)),
		Logger: slog.New(slog.NewTextHandler(st.log, nil)), Out: st.out})
	if st.err == nil {
		t.Cleanup(func() { st.srv.Close() })
	}
	return st
}
