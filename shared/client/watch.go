package client

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"gatepass.dev/shared/api"
	"gatepass.dev/shared/sse"
)

// Watch opens GET /api/v1/me/events and calls fn for every event, the
// snapshot first, until ctx ends, the stream breaks, or fn returns an
// error. It returns the reason; reconnecting (with back-off) is the
// caller's choice.
func (c *Client) Watch(ctx context.Context, fn func(api.Event) error) error {
	req := c.r.R().SetContext(ctx).SetDoNotParseResponse(true).SetHeader("Accept", "text/event-stream")
	if t := c.Token(); t != "" {
		req.SetAuthToken(t)
	}
	sent := time.Now()
	resp, err := req.Get("/api/v1/me/events")
	if err != nil {
		return err
	}
	body := resp.RawBody()
	defer body.Close()
	c.observe(sent, time.Now(), resp.Header())
	if resp.StatusCode() != http.StatusOK {
		var b strings.Builder
		sc := bufio.NewScanner(body)
		for sc.Scan() && b.Len() < 4096 {
			b.WriteString(sc.Text())
		}
		return DecodeError(resp.StatusCode(), []byte(b.String()))
	}
	return ReadEvents(body, func(ev api.Event) error {
		if !ev.ServerTime.IsZero() {
			// A stream event's server time was taken just before it was
			// sent: a good enough sample of the offset.
			c.mu.Lock()
			c.offset, c.haveOf = ev.ServerTime.Sub(time.Now()), true
			c.mu.Unlock()
		}
		return fn(ev)
	})
}

// ReadEvents reads a text/event-stream of the backend (WHATWG rules:
// shared/sse) and calls fn with each event's data, an api.Event as JSON,
// until the stream ends, breaks or fn returns an error. Comments
// (keep-alives) and events without data are skipped.
func ReadEvents(r io.Reader, fn func(api.Event) error) error { return readJSONEvents(r, fn) }

// readJSONEvents reads an event stream whose events carry JSON values of
// type T (the users' api.Event, the gateways' api.GatewayEvent).
func readJSONEvents[T any](r io.Reader, fn func(T) error) error {
	sr := sse.NewReader(r)
	for {
		e, err := sr.Next()
		if err != nil {
			if errors.Is(err, io.ErrUnexpectedEOF) {
				return fmt.Errorf("event stream ended inside an event: %w", err)
			}
			return fmt.Errorf("event stream ended: %w", err)
		}
		var v T
		if err := json.Unmarshal([]byte(e.Data), &v); err != nil {
			return fmt.Errorf("bad event: %w", err)
		}
		if err := fn(v); err != nil {
			return err
		}
	}
}
