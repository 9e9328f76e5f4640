// Package mail renders Gatepass's notification emails and sends them over
// SMTP with github.com/wneessen/go-mail.
//
// Rendering: one constructor per message (NewRequestMessage,
// ApprovedMessage, …) takes a data struct and returns a Message with a
// subject, a text part (text/template) and an HTML part (html/template, so
// user text such as a request's reason is escaped by context and a
// "javascript:" link is neutralised). User text is cleaned first: names and
// network names are flattened to one line, reasons and notes keep their line
// breaks and lose other control characters. Times are shown in UTC as
// "Mon, 23 Nov 2026 14:05 UTC", durations as "8h" or "2d 4h": a mail
// cannot know its reader's zone, so every mail with times says above its
// footer "All times in this email are in UTC (Coordinated Universal
// Time)." Every mail ends with "Gatepass · <public URL>". The HTML is a single inline-styled
// table layout in the brand's colours (shared/brand's palette, inlined:
// mail clients ignore stylesheets) with no external resources: its header
// shows the brand's mark as an inline PNG that Sender attaches to the mail
// (multipart/related, Content-ID gatepass-mark.png).
//
// Sending: Sender.Send dials per message (no pooled connection, so settings
// changes apply at once), honours the context and Config.Timeout, and sends
// one multipart/alternative message to one recipient. TLS modes: none is
// plain SMTP and never tries STARTTLS; starttls requires STARTTLS; tls is
// implicit TLS (SMTPS). AUTH is used only when Config.Username is set; the
// mechanism is picked from what the server offers (SCRAM, CRAM-MD5, PLAIN,
// LOGIN). Credentials never cross an unencrypted connection unless the admin
// allowed it (Config.AllowInsecureAuth): with TLS none and a username, Send
// fails with ErrInsecureAuth before it even connects. Allowed, PLAIN and
// LOGIN are used without TLS too (a relay on localhost).
//
// Header safety: the subject and display names go through HeaderSafe, which
// turns CR, LF and every other control character into a space, and
// recipients must pass ValidAddress (a bare address, no display name, no
// control characters). A subject can therefore never add a header.
//
// Failures: IsPermanent separates failures of the message (an invalid
// recipient, a 5xx reply to RCPT TO or DATA) from failures of the server or
// configuration (connection refused, timeouts, 4xx replies, TLS or AUTH
// errors, a 5xx to MAIL FROM), which the outbox should retry. IsUnreachable
// picks out the failures to connect (before any message was handed over);
// Sender.Probe connects the same way and quits, so the outbox can tell when
// an unreachable server answers again without sending anything.
//
// The sub-package smtptest is a real SMTP server on loopback for tests.
package mail
