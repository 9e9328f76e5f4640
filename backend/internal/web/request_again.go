package web

import (
	"fmt"
	"net/http"
	"net/url"

	"gatepass.dev/backend/internal/admin"
	"gatepass.dev/shared/humantime"
)

// grantAgain gives the user of a closed request a new grant on its network
// (access.Service.GrantAgain: a new request with the same reason, marked
// "granted again by <admin>", created and approved at once, audited and
// mailed) and opens the new request's page. It is refused as any approval
// is (the admin's own, a user no longer a member or disabled, over the
// network's maximum) and while the user has an open request or grant
// there.
func (s *Server) grantAgain(w http.ResponseWriter, r *http.Request, v *visit) {
	const what = "Access was not granted again: "
	back := localNext(r.PostFormValue("next"))
	d, err := formDuration(r.PostFormValue)
	if err == nil {
		newReq, gerr := s.Access.GrantAgain(r.Context(), v.Actor, r.PathValue("id"), d)
		if gerr == nil {
			s.setFlashWords(r.Context(), v, "ok", admin.Words(fmt.Sprintf("Granted %s access to %s again for %s, until ",
				newReq.UserEmail, newReq.NetworkName, humantime.Span(newReq.Granted))).Time(newReq.ExpiresAt).Add(". They have been emailed."))
			redirect(w, r, "/admin/requests/"+url.PathEscape(newReq.ID))
			return
		}
		err = gerr
	}
	text, _, ok := problem(err)
	if !ok {
		s.serverError(w, r, v, err)
		return
	}
	s.setFlash(r.Context(), v, "error", what+text)
	redirect(w, r, back)
}
