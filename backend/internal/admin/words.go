package admin

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"gatepass.dev/backend/internal/access"
	"gatepass.dev/backend/internal/fault"
	"gatepass.dev/backend/internal/store"
	"gatepass.dev/shared/api"
	"gatepass.dev/shared/humantime"
)

// Part is a piece of a sentence for people: text, or a time, which the web
// page shows in each viewer's time zone and String writes in UTC.
type Part struct {
	Text string    `json:"text,omitempty"`
	At   time.Time `json:"at,omitzero"`
}

// Sentence is text with times in it.
type Sentence []Part

// Words starts a sentence with text.
func Words(text string) Sentence { return Sentence{{Text: text}} }

// Add appends text.
func (s Sentence) Add(text string) Sentence { return append(s, Part{Text: text}) }

// Time appends a time.
func (s Sentence) Time(t time.Time) Sentence { return append(s, Part{At: t.UTC()}) }

// Then appends another sentence.
func (s Sentence) Then(o Sentence) Sentence { return append(s, o...) }

// UTCLayout is how String writes a time: "Nov 23, 17:00 UTC".
const UTCLayout = "Jan 2, 15:04 UTC"

// String is the sentence with its times in UTC.
func (s Sentence) String() string {
	var b strings.Builder
	for _, p := range s {
		if p.At.IsZero() {
			b.WriteString(p.Text)
		} else {
			b.WriteString(p.At.UTC().Format(UTCLayout))
		}
	}
	return b.String()
}

// RequestState says where a request stands, for a message: "approved by
// ann@example.com until <time>", "denied by …", "revoked by …", "cancelled".
func RequestState(r store.Request) Sentence {
	s := string(r.Status)
	switch {
	case r.Status == api.StatusApproved:
		return Words(fmt.Sprintf("%s by %s until ", s, r.DeciderEmail)).Time(r.ExpiresAt)
	case r.Status == api.StatusDenied && r.DeciderEmail != "":
		return Words(s + " by " + r.DeciderEmail)
	case r.Status == api.StatusRevoked && r.EnderEmail != "":
		return Words(s + " by " + r.EnderEmail)
	}
	return Words(s)
}

// done is the past tense of a bulk decision.
func done(kind access.EventKind) string {
	if kind == access.EventApprove {
		return "granted"
	}
	return "denied"
}

// BulkLine says what a bulk decision did to one request: "casey@example.com
// → staging-internal: granted for 8h, until <time>", "…: had changed
// meanwhile: it is approved by ann@example.com until <time>", "…: refused:
// 1d is longer than this network's maximum of 8h".
func BulkLine(kind access.EventKind, o access.Outcome) Sentence {
	var s Sentence
	if o.Request.ID != "" {
		s = Words(o.Request.UserEmail + " → " + o.Request.NetworkName + ": ")
	} else {
		s = Words("Request " + o.ID + ": ")
	}
	switch {
	case o.Done() && kind == access.EventApprove:
		return s.Add("granted for " + humantime.Span(o.Request.Granted) + ", until ").Time(o.Request.ExpiresAt)
	case o.Done():
		return s.Add("denied")
	case o.Stopped():
		return s.Add("not decided: the server cannot save changes right now")
	case errors.Is(o.Err, store.ErrNotFound):
		return s.Add("there is no such request")
	case o.Changed():
		s = s.Add("had changed meanwhile")
		if o.Request.ID != "" {
			s = s.Add(": it is ").Then(RequestState(o.Request))
		}
		return s
	}
	return s.Add("refused: " + fault.From(o.Err).Message)
}

// BulkOutcome classifies one outcome of a bulk decision: api.BulkApproved,
// BulkDenied, BulkChanged, BulkRefused or BulkNotFound.
func BulkOutcome(kind access.EventKind, o access.Outcome) string {
	switch {
	case o.Done() && kind == access.EventApprove:
		return api.BulkApproved
	case o.Done():
		return api.BulkDenied
	case o.Stopped():
		return api.BulkNotDone
	case errors.Is(o.Err, store.ErrNotFound):
		return api.BulkNotFound
	case o.Changed():
		return api.BulkChanged
	}
	return api.BulkRefused
}

// BulkSummary counts the outcomes of a bulk decision: "2 granted; 1 had
// changed meanwhile; 1 refused".
func BulkSummary(kind access.EventKind, outcomes []access.Outcome) string {
	var ok, changed, missing, refused, stopped int
	for _, o := range outcomes {
		switch {
		case o.Done():
			ok++
		case o.Stopped():
			stopped++
		case errors.Is(o.Err, store.ErrNotFound):
			missing++
		case o.Changed():
			changed++
		default:
			refused++
		}
	}
	parts := []string{fmt.Sprintf("%d %s", ok, done(kind))}
	if changed > 0 {
		parts = append(parts, fmt.Sprintf("%d had changed meanwhile", changed))
	}
	if refused > 0 {
		parts = append(parts, fmt.Sprintf("%d refused", refused))
	}
	if missing > 0 {
		parts = append(parts, fmt.Sprintf("%d not found", missing))
	}
	if stopped > 0 {
		parts = append(parts, fmt.Sprintf("%d not decided (the server cannot save changes right now)", stopped))
	}
	return strings.Join(parts, "; ")
}
