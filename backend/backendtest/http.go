package backendtest

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// Response is a raw HTTP answer, for what the typed client hides (status
// codes of success, headers, content types, non-JSON bodies).
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// Do sends one HTTP request to url and returns the whole answer. token ""
// sends no Authorization header, a token starting with "raw:" is sent as
// the whole header value (e.g. "raw:Basic …"), any other as a bearer token.
// contentType "" sends none; body "" sends none. It fails the test when the
// request cannot be sent or its answer read; call it from the test's
// goroutine (elsewhere, use Send).
func Do(tb testing.TB, method, url, token, contentType, body string) Response {
	tb.Helper()
	r, err := send(tb.Context(), nil, method, url, token, contentType, body)
	if err != nil {
		tb.Fatal(err)
	}
	return r
}

// Send is Do for goroutines, load loops and clients of their own (a
// keep-alive pool, a tunnel's dialer, a source address): it sends with hc
// (nil: a client with a 30 s timeout) and returns the errors instead of
// failing a test.
func Send(hc *http.Client, method, url, token, contentType, body string) (Response, error) {
	return send(context.Background(), hc, method, url, token, contentType, body)
}

func send(ctx context.Context, hc *http.Client, method, url, token, contentType, body string) (Response, error) {
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, rd)
	if err != nil {
		return Response{}, err
	}
	switch {
	case strings.HasPrefix(token, "raw:"):
		req.Header.Set("Authorization", strings.TrimPrefix(token, "raw:"))
	case token != "":
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if hc == nil {
		hc = &http.Client{Timeout: 30 * time.Second}
	}
	resp, err := hc.Do(req)
	if err != nil {
		return Response{}, fmt.Errorf("%s %s: %w", method, url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return Response{}, fmt.Errorf("%s %s: read: %w", method, url, err)
	}
	return Response{Status: resp.StatusCode, Header: resp.Header, Body: b}, nil
}
