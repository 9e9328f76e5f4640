package admin

import (
	"encoding/csv"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"gatepass.dev/backend/internal/store"
)

// WriteAuditCSV writes entries as a CSV download: the raw fields, then the
// entry in words (AuditText) as the last column, text. Cells that a
// spreadsheet would read as a formula are prefixed with a quote.
func WriteAuditCSV(w http.ResponseWriter, entries []store.AuditEntry, now time.Time) {
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="gatepass-audit-`+now.Format("20060102-150405")+`.csv"`)
	w.Header().Set("Cache-Control", "no-store")
	cw := csv.NewWriter(w)
	_ = cw.Write([]string{"id", "at", "actor_id", "actor_email", "action", "target_type", "target_id", "network_id", "source_addr", "details", "text"})
	for _, e := range entries {
		row := []string{strconv.FormatInt(e.ID, 10), e.At.Format(time.RFC3339Nano), e.ActorID, e.ActorEmail, e.Action, e.TargetType,
			e.TargetID, e.NetworkID, e.Source, DetailsText(e.Details), AuditText(e)}
		for i := range row {
			row[i] = csvSafe(row[i])
		}
		_ = cw.Write(row)
	}
	cw.Flush()
}

// DetailsText renders audit details as "k=v; k=v", keys sorted.
func DetailsText(d map[string]string) string {
	keys := make([]string, 0, len(d))
	for k := range d {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		parts = append(parts, k+"="+d[k])
	}
	return strings.Join(parts, "; ")
}

// csvSafe keeps a spreadsheet from reading a cell as a formula.
func csvSafe(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}
