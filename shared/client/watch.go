package client

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"gatepass.dev/shared/api"
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
	return ReadEvents(bufio.NewReader(body), func(ev api.Event) error {
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

// ReadEvents parses a text/event-stream: lines of "field: value", an empty
// line ends an event; comments (":") are skipped. Each event's data is an
// api.Event as JSON.
func ReadEvents(r *bufio.Reader, fn func(api.Event) error) error {
	return readSSE(r, func(data []byte) error {
		var ev api.Event
		if err := json.Unmarshal(data, &ev); err != nil {
			return fmt.Errorf("bad event: %w", err)
		}
		return fn(ev)
	})
}

// readSSE calls fn with the data of each event of a text/event-stream.
func readSSE(r *bufio.Reader, fn func(data []byte) error) error {
	var data strings.Builder
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			if data.Len() > 0 {
				return fmt.Errorf("event stream ended inside an event: %w", err)
			}
			return fmt.Errorf("event stream ended: %w", err)
		}
		line = strings.TrimRight(line, "\r\n")
		switch {
		case line == "":
			if data.Len() == 0 {
				continue
			}
			b := []byte(data.String())
			data.Reset()
			if err := fn(b); err != nil {
				return err
			}
		case strings.HasPrefix(line, ":"):
		case strings.HasPrefix(line, "data:"):
			if data.Len() > 0 {
				data.WriteByte('\n')
			}
			data.WriteString(strings.TrimPrefix(strings.TrimPrefix(line, "data:"), " "))
		}
	}
}
