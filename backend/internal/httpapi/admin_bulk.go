package httpapi

import (
	"net/http"

	"gatepass.dev/backend/internal/access"
	"gatepass.dev/backend/internal/actor"
	"gatepass.dev/backend/internal/admin"
	"gatepass.dev/backend/internal/fault"
	"gatepass.dev/shared/api"
)

// adminBulk approves or denies many pending requests: {"action":
// "approve"|"deny", "ids": […], "duration_seconds": N | "note": "…"}. Each
// is decided on its own (access.Service.DoAll); the answer is 200 with one
// result per request, failures included (changed meanwhile, refused and
// why, not found). Bad input is a 400 and decides nothing.
func (s *Server) adminBulk(w http.ResponseWriter, r *http.Request, p actor.Actor) {
	var in api.BulkDecision
	if err := decode(w, r, &in, false); err != nil {
		s.writeError(w, r, err)
		return
	}
	e := access.Event{Actor: p}
	switch in.Action {
	case "approve":
		if in.Note != "" {
			s.writeError(w, r, fault.Field("note", "an approval takes no note"))
			return
		}
		e.Kind = access.EventApprove
		d, err := access.OptionalSeconds("duration_seconds", in.DurationSeconds, 0, "each network's default")
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		e.Duration = d
	case "deny":
		if in.DurationSeconds != nil {
			s.writeError(w, r, fault.Field("duration_seconds", "a denial takes no duration"))
			return
		}
		note, err := access.ValidateNote(in.Note)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		e.Kind, e.Note = access.EventDeny, note
	default:
		s.writeError(w, r, fault.Field("action", "must be approve or deny"))
		return
	}
	outcomes, err := s.Access.DoAll(r.Context(), in.IDs, e)
	if err != nil && !anyDone(outcomes) {
		s.writeError(w, r, err) // nothing was decided: 400, or 503 with Retry-After
		return
	}
	out := api.BulkResponse{Results: make([]api.BulkResult, 0, len(outcomes)), Summary: admin.BulkSummary(e.Kind, outcomes), ServerTime: s.now()}
	for _, o := range outcomes {
		res := api.BulkResult{ID: o.ID, OK: o.Done(), Outcome: admin.BulkOutcome(e.Kind, o), Message: admin.BulkLine(e.Kind, o).String()}
		if o.Err != nil {
			e := apiError(o.Err)
			res.Error = &e
		}
		if o.Request.ID != "" {
			req := o.Request.API()
			res.Request = &req
		}
		out.Results = append(out.Results, res)
	}
	writeJSON(w, http.StatusOK, out)
}

func anyDone(outcomes []access.Outcome) bool {
	for _, o := range outcomes {
		if o.Done() {
			return true
		}
	}
	return false
}
