package httpapi

import (
	"encoding/csv"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"gatepass.dev/backend/internal/store"
	"gatepass.dev/shared/api"
)

// adminAudit lists the audit log, newest first: ?action= (exact, or a
// prefix ending in ".") &actor= &target= &network= &since= &until= (RFC 3339)
// &q= &before= (an id, for paging) &limit= (default 100, at most 10000)
// &format=json|csv. CSV is a download of the same rows.
func (s *Server) adminAudit(w http.ResponseWriter, r *http.Request, p principal) {
	q := r.URL.Query()
	f := store.AuditFilter{Action: q.Get("action"), ActorID: q.Get("actor"), TargetID: q.Get("target"), NetworkID: q.Get("network"), Query: q.Get("q")}
	for _, t := range []struct {
		name string
		dst  *time.Time
	}{{"since", &f.Since}, {"until", &f.Until}} {
		if v := q.Get(t.name); v != "" {
			tm, err := time.Parse(time.RFC3339, v)
			if err != nil {
				s.writeError(w, r, fieldErr(t.name, "%q is not an RFC 3339 time like 2026-11-22T10:00:00Z", v))
				return
			}
			*t.dst = tm
		}
	}
	if v := q.Get("before"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 1 {
			s.writeError(w, r, fieldErr("before", "must be an audit entry id"))
			return
		}
		f.BeforeID = n
	}
	f.Limit = 100
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 10000 {
			s.writeError(w, r, fieldErr("limit", "must be a number from 1 to 10000"))
			return
		}
		f.Limit = n
	}
	format := q.Get("format")
	if format == "" {
		format = "json"
	}
	if format != "json" && format != "csv" {
		s.writeError(w, r, fieldErr("format", "must be json or csv"))
		return
	}
	entries, err := store.ListAudit(r.Context(), s.DB, f)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if format == "csv" {
		writeAuditCSV(w, entries, s.now())
		return
	}
	out := api.AuditList{Entries: make([]api.AuditEntry, 0, len(entries)), ServerTime: s.now()}
	for _, e := range entries {
		out.Entries = append(out.Entries, e.API())
	}
	if len(entries) == f.Limit {
		out.NextCursor = strconv.FormatInt(entries[len(entries)-1].ID, 10)
	}
	writeJSON(w, http.StatusOK, out)
}

func writeAuditCSV(w http.ResponseWriter, entries []store.AuditEntry, now time.Time) {
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="gatepass-audit-`+now.Format("20060102-150405")+`.csv"`)
	w.Header().Set("Cache-Control", "no-store")
	cw := csv.NewWriter(w)
	_ = cw.Write([]string{"id", "at", "actor_id", "actor_email", "action", "target_type", "target_id", "network_id", "source_addr", "details"})
	for _, e := range entries {
		keys := make([]string, 0, len(e.Details))
		for k := range e.Details {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		parts := make([]string, 0, len(keys))
		for _, k := range keys {
			parts = append(parts, k+"="+e.Details[k])
		}
		row := []string{strconv.FormatInt(e.ID, 10), e.At.Format(time.RFC3339Nano), e.ActorID, e.ActorEmail, e.Action, e.TargetType,
			e.TargetID, e.NetworkID, e.SourceAddr, strings.Join(parts, "; ")}
		for i := range row {
			row[i] = csvSafe(row[i])
		}
		_ = cw.Write(row)
	}
	cw.Flush()
}

// csvSafe keeps a spreadsheet from reading a cell as a formula.
func csvSafe(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}
