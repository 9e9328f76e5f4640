package web_test

import (
	"strings"
	"testing"
	"time"

	"gatepass.dev/shared/api"
)

// TestBrowserPatterns: the page of a request shows how often its user
// asked for its network in the last 30 days, how it went and the
// durations granted, with the hints the API gives: after four grants of
// 2h given by people, each asked for again minutes after the last ended,
// a rule and a longer duration would serve.
func TestBrowserPatterns(t *testing.T) {
	srv := demoServer(t)
	admin := srv.Admin(t)
	staging := networkByName(t, srv, "staging-internal")
	alice, _ := srv.NewUser(t, "alice@example.com", api.RoleUser)
	for i := range 4 {
		r, err := alice.Request(t.Context(), staging.ID, "Debug the nightly import "+hostile, 0)
		if err != nil {
			t.Fatalf("request %d: %v", i, err)
		}
		if _, err := admin.Approve(t.Context(), r.ID, 2*time.Hour); err != nil {
			t.Fatal(err)
		}
		srv.Advance(110 * time.Minute)
		if _, err := alice.Release(t.Context(), r.ID); err != nil {
			t.Fatal(err)
		}
		srv.Advance(10 * time.Minute)
	}
	last, err := alice.Request(t.Context(), staging.ID, "Debug the nightly import, again", 0)
	if err != nil {
		t.Fatal(err)
	}
	want, err := admin.Patterns(t.Context(), last.ID)
	if err != nil || len(want.Hints) != 2 {
		t.Fatalf("the API's patterns: %+v %v", want, err)
	}

	b := signedInBrowser(t, srv)
	b.open("/admin/requests/" + last.ID)
	b.waitText(`#patterns`, "Patterns")
	if got := b.text(`#patterns [data-field="asked"]`); got != "Asked for this network 5 times: 4 approved, 0 denied." {
		t.Errorf("asked: %q", got)
	}
	if got := b.text(`#patterns [data-field="granted"]`); got != "Granted: 2h, 2h, 2h, 2h (typically 2h, at most 2h)" {
		t.Errorf("granted: %q", got)
	}
	var hints []string
	b.eval(`[...document.querySelectorAll('#patterns [data-hint]')].map(li => li.getAttribute('data-hint') + ': ' + li.textContent)`, &hints)
	if len(hints) != 2 {
		t.Fatalf("hints %q", hints)
	}
	for i, h := range want.Hints {
		if !strings.HasPrefix(hints[i], h.Kind+": ") || !strings.Contains(hints[i], h.Message) {
			t.Errorf("hint %d: %q, want the API's %s: %q", i, hints[i], h.Kind, h.Message)
		}
	}
	if !strings.Contains(hints[0], "A rule would serve") || !strings.Contains(hints[1], "A longer duration would serve") {
		t.Errorf("hints are not said in words: %q", hints)
	}
	b.clean()
}
