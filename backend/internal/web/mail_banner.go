package web

import (
	"context"
	"strings"

	"gatepass.dev/backend/internal/outbox"
	"gatepass.dev/backend/internal/store"
)

// MailState tells why mail cannot be delivered; *outbox.Worker is one.
type MailState interface {
	Problem() (outbox.Problem, bool)
}

// mailBanner is the banner every admin page shows while mail cannot be
// delivered and messages wait: the reason (the error of the last attempt or
// probe, escaped like all text) and how many wait.
type mailBanner struct {
	Reason  string
	Waiting int
}

// mailBanner returns the banner, or nil when mail flows, nothing waits or
// the count cannot be read (the page matters more than the banner).
func (s *Server) mailBanner(ctx context.Context) *mailBanner {
	if s.Mail == nil {
		return nil
	}
	p, failing := s.Mail.Problem()
	if !failing {
		return nil
	}
	n, err := store.MailWaiting(ctx, s.DB)
	if err != nil || n == 0 {
		return nil
	}
	return &mailBanner{Reason: strings.TrimRight(strings.TrimSpace(p.Reason), "."), Waiting: n}
}
