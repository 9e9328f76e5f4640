package agent_test

import (
	"io"
	"net/http"
	"net/url"
	"testing"
	"time"

	"gatepass.dev/desktop/internal/tunnel"
	"gatepass.dev/shared/api"
)

// TestRevokeStopsRunningDownload: a download through the agent's proxy is
// running when the admin revokes the grant; it stops (the body read fails)
// and the agent shows the network as request.
func TestRevokeStopsRunningDownload(t *testing.T) {
	chunk := make([]byte, 32<<10)
	stream := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/stream" {
			io.WriteString(w, serviceBody)
			return
		}
		rc := http.NewResponseController(w)
		for r.Context().Err() == nil {
			if _, err := w.Write(chunk); err != nil {
				return
			}
			rc.Flush()
		}
	})
	h := newHarness(t, hopt{handler: stream})
	req := h.requestAndApprove(8 * time.Hour)
	h.waitTunnel(netName, true)
	h.mustGet()

	ns := h.tb.Backend.(*tunnel.Netstack)
	_, httpProxy := ns.Proxies()
	proxy, _ := url.Parse("http://" + httpProxy)
	hc := &http.Client{Transport: &http.Transport{Proxy: http.ProxyURL(proxy), DisableKeepAlives: true}}
	resp, err := hc.Get(h.target + "stream")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	buf := make([]byte, 64<<10)
	if _, err := io.ReadFull(resp.Body, buf); err != nil {
		t.Fatalf("the download did not start: %v", err)
	}
	done := make(chan error, 1)
	go func() {
		for {
			if _, err := resp.Body.Read(buf); err != nil {
				done <- err
				return
			}
		}
	}()
	if _, err := h.admin.Revoke(t.Context(), req.ID, "incident"); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		t.Logf("the download stopped: %v", err)
	case <-time.After(10 * time.Second):
		t.Fatal("the download still runs 10 s after the revocation")
	}
	waitStatus(t, h.a, "request after the revocation", stateIs(netName, api.StateRequest))
	h.mustNotGet()
}
