package client

import (
	"errors"
	"io"
	"strings"
	"testing"

	"gatepass.dev/shared/api"
)

// The backend's stream as any conforming writer may send it: CRLF line
// ends, comments, JSON split over several data lines.
func TestReadEvents(t *testing.T) {
	stream := ": keep-alive\r\n\r\n" +
		"event: snapshot\r\ndata: {\"type\":\"snapshot\",\r\ndata: \"networks\":[{\"id\":\"n1\",\"name\":\"office\"}]}\r\n\r\n" +
		"event: network_removed\ndata: {\"type\":\"network_removed\",\"network_id\":\"n1\"}\n\n" +
		"data: {\"type\":\"ping\""
	var got []api.Event
	err := ReadEvents(strings.NewReader(stream), func(ev api.Event) error {
		got = append(got, ev)
		return nil
	})
	if !errors.Is(err, io.ErrUnexpectedEOF) || !strings.Contains(err.Error(), "inside an event") {
		t.Errorf("end: %v", err)
	}
	if len(got) != 2 || got[0].Type != api.EventSnapshot || len(got[0].Networks) != 1 || got[0].Networks[0].Name != "office" ||
		got[1].Type != api.EventNetworkRemoved || got[1].NetworkID != "n1" {
		t.Errorf("events %+v", got)
	}
	stop := errors.New("stop")
	if err := ReadEvents(strings.NewReader("data: {}\n\ndata: {}\n\n"), func(api.Event) error { return stop }); err != stop {
		t.Errorf("fn's error: %v", err)
	}
	if err := ReadEvents(strings.NewReader("data: {\n\n"), func(api.Event) error { return nil }); err == nil || !strings.Contains(err.Error(), "bad event") {
		t.Errorf("bad JSON: %v", err)
	}
}
