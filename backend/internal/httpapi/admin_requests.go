package httpapi

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"gatepass.dev/backend/internal/access"
	"gatepass.dev/backend/internal/store"
	"gatepass.dev/shared/api"
)

// requestFilter reads ?status=a,b&network=&user=&q=&limit=&cursor=. The
// status "ended" stands for expired, revoked and cancelled (the
// Expired/Revoked tab).
func requestFilter(r *http.Request) (store.RequestFilter, error) {
	q := r.URL.Query()
	f := store.RequestFilter{NetworkID: q.Get("network"), UserID: q.Get("user"), Cursor: q.Get("cursor")}
	if v := strings.TrimSpace(q.Get("q")); v != "" {
		text, err := access.CleanText("q", v, 200, false)
		if err != nil {
			return f, err
		}
		f.Query = text
	}
	for _, part := range strings.Split(q.Get("status"), ",") {
		part = strings.TrimSpace(part)
		switch {
		case part == "":
		case part == "ended":
			f.Statuses = append(f.Statuses, api.StatusExpired, api.StatusRevoked, api.StatusCancelled)
		case api.RequestStatus(part).Valid():
			f.Statuses = append(f.Statuses, api.RequestStatus(part))
		default:
			return f, &api.Error{Status: 400, Code: api.CodeBadRequest, Field: "status", Message: "status: " + strconv.Quote(part) + " is not one of pending, approved, denied, cancelled, expired, revoked, ended"}
		}
	}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 500 {
			return f, &api.Error{Status: 400, Code: api.CodeBadRequest, Field: "limit", Message: "limit: must be a number from 1 to 500"}
		}
		f.Limit = n
	}
	return f, nil
}

func (s *Server) adminListRequests(w http.ResponseWriter, r *http.Request, p principal) {
	f, err := requestFilter(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.writeRequestList(w, r, f)
}

func (s *Server) adminGetRequest(w http.ResponseWriter, r *http.Request, p principal) {
	req, err := store.RequestByID(r.Context(), s.DB, r.PathValue("id"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, api.RequestResponse{Request: req.API(), ServerTime: s.now()})
}

func (s *Server) adminApprove(w http.ResponseWriter, r *http.Request, p principal) {
	var in api.ApproveRequest
	if err := decode(w, r, &in, true); err != nil {
		s.writeError(w, r, err)
		return
	}
	var d time.Duration
	if in.DurationSeconds != nil {
		if *in.DurationSeconds == 0 {
			s.writeError(w, r, &access.InputError{Field: "duration_seconds", Message: "must be positive (leave it out for the network's default)"})
			return
		}
		var err error
		if d, err = access.ValidateSeconds("duration_seconds", *in.DurationSeconds, 0); err != nil {
			s.writeError(w, r, err)
			return
		}
	}
	s.doEvent(w, r, access.Event{Kind: access.EventApprove, Actor: p.actor(), Duration: d})
}

func (s *Server) adminDeny(w http.ResponseWriter, r *http.Request, p principal) {
	var in api.DenyRequest
	if err := decode(w, r, &in, true); err != nil {
		s.writeError(w, r, err)
		return
	}
	note, err := access.ValidateNote(in.Note)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.doEvent(w, r, access.Event{Kind: access.EventDeny, Actor: p.actor(), Note: note})
}

func (s *Server) adminRevoke(w http.ResponseWriter, r *http.Request, p principal) {
	var in api.RevokeRequest
	if err := decode(w, r, &in, true); err != nil {
		s.writeError(w, r, err)
		return
	}
	note, err := access.ValidateNote(in.Note)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.doEvent(w, r, access.Event{Kind: access.EventRevoke, Actor: p.actor(), Note: note})
}
