// Package metrics holds Gatepass's Prometheus collectors. Each server has its
// own registry (no globals), so tests can run several servers in one process.
package metrics

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// Metrics are the server's collectors.
type Metrics struct {
	Registry *prometheus.Registry

	HTTPRequests   *prometheus.CounterVec // by route pattern and status code
	Requests       prometheus.Counter     // access requests created
	Transitions    *prometheus.CounterVec // lifecycle events applied, by event
	Approvals      prometheus.Counter     // approvals
	Expiries       prometheus.Counter     // grants expired
	ExpiryLateness prometheus.Histogram   // seconds from expires_at to expired
	MailSent       prometheus.Counter     // emails accepted by SMTP
	MailFailures   *prometheus.CounterVec // failed attempts, by kind: temporary|permanent|undeliverable
	LoginFailures  prometheus.Counter     // failed logins
	StoreFailures  *prometheus.CounterVec // writes refused by the database, by reason: full|readonly|busy|locked|ioerr|cantopen
	SSEStreams     prometheus.Gauge       // open event streams
	OutboxDepth    prometheus.GaugeFunc   // pending emails (set by New's caller)
	outboxDepth    func() float64
}

// New creates the collectors on a fresh registry. outboxDepth is called at
// scrape time.
func New(outboxDepth func() float64) *Metrics {
	m := &Metrics{Registry: prometheus.NewRegistry(), outboxDepth: outboxDepth}
	m.HTTPRequests = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "gatepass_http_requests_total", Help: "HTTP requests by route and status code."}, []string{"route", "code"})
	m.Requests = prometheus.NewCounter(prometheus.CounterOpts{Name: "gatepass_access_requests_total", Help: "Access requests created."})
	m.Transitions = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "gatepass_request_transitions_total", Help: "Lifecycle events applied, by event."}, []string{"event"})
	m.Approvals = prometheus.NewCounter(prometheus.CounterOpts{Name: "gatepass_approvals_total", Help: "Access requests approved."})
	m.Expiries = prometheus.NewCounter(prometheus.CounterOpts{Name: "gatepass_expiries_total", Help: "Grants expired."})
	m.ExpiryLateness = prometheus.NewHistogram(prometheus.HistogramOpts{Name: "gatepass_expiry_lateness_seconds", Help: "Time from a grant's expires_at to its expiry being committed.",
		Buckets: []float64{0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5, 60, 3600}})
	m.MailSent = prometheus.NewCounter(prometheus.CounterOpts{Name: "gatepass_mail_sent_total", Help: "Emails accepted by the SMTP server."})
	m.MailFailures = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "gatepass_mail_failures_total", Help: "Failed email delivery attempts, by kind."}, []string{"kind"})
	m.LoginFailures = prometheus.NewCounter(prometheus.CounterOpts{Name: "gatepass_login_failures_total", Help: "Failed logins."})
	m.StoreFailures = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "gatepass_store_write_failures_total", Help: "Writes the database refused for a storage reason (disk full, read-only, locked, I/O error), by reason."}, []string{"reason"})
	m.SSEStreams = prometheus.NewGauge(prometheus.GaugeOpts{Name: "gatepass_event_streams", Help: "Open event streams."})
	m.OutboxDepth = prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "gatepass_outbox_depth", Help: "Emails waiting for delivery."}, func() float64 {
		if m.outboxDepth == nil {
			return 0
		}
		return m.outboxDepth()
	})
	m.Registry.MustRegister(m.HTTPRequests, m.Requests, m.Transitions, m.Approvals, m.Expiries, m.ExpiryLateness,
		m.MailSent, m.MailFailures, m.LoginFailures, m.StoreFailures, m.SSEStreams, m.OutboxDepth,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}
