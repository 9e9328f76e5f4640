package httpapi_test

// Helpers of the policy tests (groups, approvers, rules, extensions,
// scheduled access, break-glass, service users).

import (
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"gatepass.dev/backend/backendtest"
	"gatepass.dev/backend/internal/gateway"
	"gatepass.dev/shared/api"
	"gatepass.dev/shared/client"
	"gatepass.dev/shared/wgkey"
)

// uapiLog records every configuration written to the gateways' real
// devices (a wrapper around the netstack backend).
type uapiLog struct {
	mu     sync.Mutex
	writes []string
}

func (l *uapiLog) wrap(b gateway.Backend) gateway.Backend { return recordingBackend{b, l} }

// removed reports whether any write removed the peer with this public key
// (base64).
func (l *uapiLog) removed(t *testing.T, publicKey string) bool {
	t.Helper()
	k, err := wgkey.Parse(publicKey)
	if err != nil {
		t.Fatal(err)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, w := range l.writes {
		lines := strings.Split(w, "\n")
		for i, line := range lines {
			if line == "public_key="+k.Hex() {
				for _, next := range lines[i+1:] {
					if strings.HasPrefix(next, "public_key=") {
						break
					}
					if next == "remove=true" {
						return true
					}
				}
			}
		}
	}
	return false
}

// added counts the writes that (re)configured the peer with this key as a
// new peer (its allowed IPs replaced).
func (l *uapiLog) added(t *testing.T, publicKey string) int {
	t.Helper()
	k, err := wgkey.Parse(publicKey)
	if err != nil {
		t.Fatal(err)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, w := range l.writes {
		n += strings.Count(w, "public_key="+k.Hex()+"\nreplace_allowed_ips=true\n")
	}
	return n
}

type recordingBackend struct {
	gateway.Backend
	log *uapiLog
}

func (b recordingBackend) Open(spec gateway.Spec, status http.Handler) (gateway.Device, error) {
	d, err := b.Backend.Open(spec, status)
	if err != nil {
		return nil, err
	}
	return recordingDevice{d, b.log}, nil
}

type recordingDevice struct {
	gateway.Device
	log *uapiLog
}

func (d recordingDevice) IpcSet(uapi string) error {
	d.log.mu.Lock()
	d.log.writes = append(d.log.writes, uapi)
	d.log.mu.Unlock()
	return d.Device.IpcSet(uapi)
}

// registerDevice gives c a device and returns it.
func registerDevice(t *testing.T, c *client.Client) api.Device {
	t.Helper()
	dev, err := c.RegisterDevice(t.Context(), "laptop", newDeviceKey(t))
	if err != nil {
		t.Fatal(err)
	}
	return dev
}

// request files a request, failing the test on an error.
func request(t *testing.T, c *client.Client, networkID, reason string, wished time.Duration) api.Request {
	t.Helper()
	r, err := c.Request(t.Context(), networkID, reason, wished)
	if err != nil {
		t.Fatalf("request: %v", err)
	}
	return r
}

// wantStatus fails the test unless r is in status st.
func wantStatus(t *testing.T, what string, r api.Request, st api.RequestStatus) {
	t.Helper()
	if r.Status != st {
		t.Fatalf("%s: status %s, want %s (%+v)", what, r.Status, st, r)
	}
}

// auditOf returns the audit rows of one request and action.
func auditOf(t *testing.T, admin *client.Client, requestID, action string) []api.AuditEntry {
	t.Helper()
	return backendtest.Audit(t, admin, map[string][]string{"target": {requestID}, "action": {action}})
}

// mailsTo counts the caught emails to one address whose subject contains
// part, once the outbox is drained.
func mailsTo(t *testing.T, srv *backendtest.Server, admin *client.Client, to, part string) int {
	t.Helper()
	backendtest.WaitOutboxDrained(t, admin)
	return countMail(srv, to, part)
}
