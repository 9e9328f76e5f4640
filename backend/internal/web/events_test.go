package web_test

import (
	"bufio"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"gatepass.dev/backend/backendtest"
)

// TestLiveStreamEndsAtSignOut: the admin page's live-update stream ends as
// soon as its session is signed out, not at the next keep-alive (the fake
// clock never moves here).
func TestLiveStreamEndsAtSignOut(t *testing.T) {
	srv := demoServer(t)
	c := newWebClient(t, srv)
	c.signIn(backendtest.AdminEmail, backendtest.AdminPassword)
	req, err := http.NewRequestWithContext(t.Context(), "GET", srv.URL+"/admin/events", nil)
	if err != nil {
		t.Fatal(err)
	}
	stream := &http.Client{Jar: c.hc.Jar}
	resp, err := stream.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("the stream: %d", resp.StatusCode)
	}
	ended := make(chan struct{})
	hello := make(chan struct{}, 1)
	go func() {
		defer close(ended)
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			if strings.HasPrefix(sc.Text(), "event: hello") {
				hello <- struct{}{}
			}
		}
	}()
	select {
	case <-hello:
	case <-time.After(10 * time.Second):
		t.Fatal("no hello on the stream")
	}
	if p := c.post("/admin/logout", url.Values{}); p.Status != http.StatusSeeOther {
		t.Fatalf("sign out: %d", p.Status)
	}
	select {
	case <-ended:
	case <-time.After(10 * time.Second):
		t.Fatal("the live stream outlived its session")
	}
}
