// Package web is the admin web page of gatepass-server, under /admin/:
// server-rendered with html/template, its CSS and small plain JavaScript
// embedded, no framework and nothing from another origin.
//
// Pages: JIT Requests (all networks, or one network) with the tabs
// Pending / Approved / Denied / Expired-Revoked, search and filters, and the
// Grant Access, Deny and Revoke actions; one request's page
// (/admin/requests/{id}, the link in the admin email); Networks (list,
// create, edit — with the approval policy: member groups, approvers,
// required approvals, break-glass —, the JIT toggle, each active grant's
// connection state, the rules in order and the preview of a request:
// rules.go);
// Users (invite, role, disable); Server settings (SMTP, public URL, test
// email); the Audit log (filters, CSV export) and the email Outbox (retry
// one, or all undeliverable ones). /invite?token=… lets an invited user set
// a password. Every route is in Routes.
//
// The admin who handles fifty requests a day:
//
//   - Pending is a queue, oldest first (the request waiting longest on
//     top); the other tabs are history, latest first.
//   - The Grant dialog (and a request's page) preselects the duration the
//     user asked for, clamped to the network's maximum (and says so), with
//     a chip of its own when it is no preset; the custom inputs show only
//     while Custom is chosen (CSS :has, no script needed).
//   - Pending rows can be selected (a checkbox each, and one for the page)
//     and granted for one duration or denied with one note in one POST
//     (/admin/requests/bulk): each request is decided on its own through
//     access.Service.DoAll — its compare-and-set, audit row and email — and
//     the outcome is one line per request (granted until when, changed
//     meanwhile and how it stands now, refused and why: over its network's
//     maximum, the admin's own, the user no longer a member). The selection
//     survives live updates. Keys on the requests page: j/k move, x
//     selects, g grants and d denies (the selection, else the current
//     request), / searches; never while typing or with a dialog open.
//   - The closed tabs say when each request ended and how, how long it was
//     granted and by whom; a closed request's page offers Grant again
//     (access.Service.GrantAgain: a new request with the same reason,
//     marked "granted again by <admin>", approved at once).
//   - Times are shown in the viewer's time zone (app.js rewrites every
//     <time data-local>; the server writes UTC, which stays in the
//     tooltip); relative times ("5 minutes ago") keep the UTC time in their
//     tooltip. Messages after an action carry their times as such
//     (admin.Sentence), so they are local too.
//   - The audit log, a request's history and the outbox say each entry in
//     words (admin.AuditText, admin.MailText), with the raw fields one
//     click away; the CSV export has the words as its last column, text.
//   - The mark (favicon, header) and the colours are the brand's
//     (shared/brand), served as they are: app.css defines no colour of its
//     own.
//
// Decisions:
//
//   - One lifecycle: a grant, deny or revoke is access.Service.Do, and the
//     network, user, settings and outbox changes are admin.Service — the
//     same code the JSON API runs, with the same audit rows and emails.
//   - Sessions: a random 256-bit secret in an HttpOnly, SameSite=Lax cookie
//     (Lax, not Strict, so that the review link in an admin's email opens
//     the request signed in). Secure and named with the __Host- prefix when
//     the public URL is https. Only its SHA-256 is stored (web_sessions). A
//     new session at every sign-in (no fixation); it ends after IdleTimeout
//     without a page load, and SessionTTL after sign-in at the latest;
//     signing out revokes it; disabling a user revokes all of theirs.
//   - Sign-in is signin.Service, shared with POST /api/v1/login: one limiter,
//     the same audit rows. A sign-in also sets the device cookie
//     (gatepass_device, HttpOnly, SameSite=Lax, a year; Secure and __Host-
//     over https): signin's device token, which exempts this browser from the
//     per-account limit of failed sign-ins. Signing out keeps it.
//   - CSRF: only POST changes anything — opening a link (mail scanners follow
//     them) never does. Every POST must carry the session's CSRF token in a
//     hidden field (before sign-in: a double-submit cookie) and, when the
//     browser sends them, Sec-Fetch-Site: same-origin and an Origin of this
//     server.
//   - Headers on every response: a Content-Security-Policy without
//     'unsafe-inline' (no inline script or style anywhere), frame-ancestors
//     'none' and X-Frame-Options DENY, nosniff, Referrer-Policy same-origin,
//     Cache-Control no-store for pages.
//   - User text is only ever rendered by html/template's escaping, and the
//     JavaScript sets text with textContent: it never builds HTML. Live
//     updates (SSE on /admin/events) fetch the server-rendered fragment of
//     the region that changed and swap it in.
//   - A failing database (fault.Unavailable) shows the 503 page with
//     Retry-After: "The server cannot save changes right now … Nothing was
//     changed", never a message kept for the next page (that would be a
//     write too). Pages are still read: a session's activity that cannot
//     be written is skipped.
//   - While mail cannot be delivered and messages wait (outbox.Worker's
//     Problem), every admin page shows a banner with the reason, how many
//     wait, and a link to the Outbox.
//   - Non-admins who sign in get a 403 page; signed-out visits go to
//     /admin/login?next=<the page> (next must be a local /admin path).
package web
