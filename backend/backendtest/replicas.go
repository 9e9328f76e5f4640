package backendtest

import (
	"testing"

	"gatepass.dev/backend/internal/config"
	"gatepass.dev/backend/internal/mail/smtptest"
)

// WithSMTPServer uses an SMTP catcher that exists already (another
// replica's) instead of starting one.
func WithSMTPServer(s *smtptest.Server) Option {
	return func(o *options) { o.smtp, o.smtpSrv = true, s }
}

// NewReplicas starts n servers on one new PostgreSQL database (skipping
// the test, loudly, where PostgreSQL is not installed): replicas sharing
// the first one's clock and SMTP catcher. The first runs the embedded
// gateways as opts say; the others run none (--gateway off: only one
// replica may run them). opts apply to every replica.
func NewReplicas(tb testing.TB, n int, opts ...Option) []*Server {
	tb.Helper()
	db := NewDatabase(tb)
	first := NewServer(tb, append(append([]Option{}, opts...), WithDatabase(db))...)
	out := []*Server{first}
	for range n - 1 {
		o := append(append([]Option{}, opts...), WithDatabase(db), WithClock(first.Clock), WithConfig(func(c *config.Config) { c.Gateway = "off" }))
		if first.SMTP != nil {
			o = append(o, WithSMTPServer(first.SMTP))
		}
		out = append(out, NewServer(tb, o...))
	}
	return out
}
