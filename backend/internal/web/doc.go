// Package web is the admin web page of gatepass-server, under /admin/:
// server-rendered with html/template, its CSS and small plain JavaScript
// embedded, no framework and nothing from another origin.
//
// Pages: JIT Requests (all networks, or one network) with the tabs
// Pending / Approved / Denied / Expired-Revoked, search and filters, and the
// Grant Access, Deny and Revoke actions; one request's page
// (/admin/requests/{id}, the link in the admin email); Networks (list,
// create, edit, the JIT toggle, each active grant's connection state);
// Users (invite, role, disable); Server settings (SMTP, public URL, test
// email); the Audit log (filters, CSV export) and the email Outbox (retry).
// /invite?token=… lets an invited user set a password. Every route is in
// Routes.
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
