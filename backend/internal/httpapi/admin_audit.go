package httpapi

import (
	"net/http"
	"strconv"

	"gatepass.dev/backend/internal/actor"
	"gatepass.dev/backend/internal/admin"
	"gatepass.dev/backend/internal/fault"
	"gatepass.dev/backend/internal/store"
	"gatepass.dev/shared/api"
)

// adminAudit lists the audit log, newest first: ?action= (exact, or a
// prefix ending in ".") &actor= &target= &network= &since= &until= (RFC 3339)
// &q= &before= (an id, for paging) &limit= (default 100, at most 10000)
// &format=json|csv. CSV is a download of the same rows. Each entry also
// says itself in words (text), beside the raw fields.
func (s *Server) adminAudit(w http.ResponseWriter, r *http.Request, p actor.Actor) {
	f, err := admin.AuditFilter(r.URL.Query())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	format := r.URL.Query().Get("format")
	if format == "" {
		format = "json"
	}
	if format != "json" && format != "csv" {
		s.writeError(w, r, fault.Field("format", "must be json or csv"))
		return
	}
	entries, err := store.ListAudit(r.Context(), s.DB, f)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if format == "csv" {
		admin.WriteAuditCSV(w, entries, s.now())
		return
	}
	out := api.AuditList{Entries: make([]api.AuditEntry, 0, len(entries)), ServerTime: s.now()}
	for _, e := range entries {
		a := e.API()
		a.Text = admin.AuditText(e)
		out.Entries = append(out.Entries, a)
	}
	if len(entries) == f.Limit {
		out.NextCursor = strconv.FormatInt(entries[len(entries)-1].ID, 10)
	}
	writeJSON(w, http.StatusOK, out)
}
