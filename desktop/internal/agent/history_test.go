package agent_test

import (
	"testing"
	"time"

	"gatepass.dev/shared/api"
	"gatepass.dev/shared/client"
)

// The user's past requests on a network, newest first, through the
// LocalAPI: what the window's details list and "Request again" prefills.
func TestHistoryThroughLocalAPI(t *testing.T) {
	h := newHarness(t, hopt{})
	ctx := t.Context()
	waitStatus(t, h.a, "listed", stateIs(netName, api.StateRequest))
	if hist, err := h.lc.History(ctx, netName); err != nil || len(hist.Requests) != 0 {
		t.Fatalf("no requests yet: %+v %v", hist, err)
	}
	if _, err := h.lc.Request(ctx, netName, "first <script>", 0); err != nil {
		t.Fatal(err)
	}
	if _, err := h.lc.Cancel(ctx, netName); err != nil {
		t.Fatal(err)
	}
	h.advance(time.Minute)
	st, err := h.lc.Request(ctx, netName, "second", 8*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.admin.Deny(ctx, netOf(st, netName).Request.ID, "not now"); err != nil {
		t.Fatal(err)
	}
	hist, err := h.lc.History(ctx, netName)
	if err != nil {
		t.Fatal(err)
	}
	if len(hist.Requests) != 2 {
		t.Fatalf("history: %+v", hist.Requests)
	}
	r0, r1 := hist.Requests[0], hist.Requests[1]
	if r0.Reason != "second" || r0.Status != api.StatusDenied || r0.Note != "not now" || r0.DurationSeconds != 8*3600 ||
		r1.Reason != "first <script>" || r1.Status != api.StatusCancelled {
		t.Errorf("history, newest first: %+v, %+v", r0, r1)
	}
	if !hist.ServerTime.Equal(h.srv.Now()) {
		t.Errorf("server_time %v, server clock %v", hist.ServerTime, h.srv.Now())
	}
	// By id too; an unknown network is a 404, a signed-out agent a 401.
	if hist, err := h.lc.History(ctx, h.net.ID); err != nil || len(hist.Requests) != 2 {
		t.Errorf("by id: %d %v", len(hist.Requests), err)
	}
	if _, err := h.lc.History(ctx, "nope"); client.StatusOf(err) != 404 {
		t.Errorf("unknown network: %v", err)
	}
	if _, err := h.lc.Logout(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := h.lc.History(ctx, netName); client.StatusOf(err) != 401 {
		t.Errorf("signed out: %v", err)
	}
}
