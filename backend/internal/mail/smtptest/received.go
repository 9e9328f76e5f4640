package smtptest

import (
	"bytes"
	"encoding/base64"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"net/textproto"
	"strings"
)

// Received is one message the server accepted.
type Received struct {
	// From is the envelope sender (MAIL FROM).
	From string
	// To holds the envelope recipients (RCPT TO) in order.
	To []string
	// Data is the raw message as sent after DATA, headers and body.
	Data []byte
	// Subject is the decoded Subject header (RFC 2047 encoded words are
	// decoded).
	Subject string
	// Header holds the parsed top-level headers; nil if Data could not be
	// parsed as a message.
	Header mail.Header
}

func newReceived(from string, to []string, data []byte) Received {
	r := Received{From: from, To: append([]string(nil), to...), Data: data}
	msg, err := mail.ReadMessage(bytes.NewReader(data))
	if err != nil {
		return r
	}
	r.Header = msg.Header
	r.Subject = decodeWords(msg.Header.Get("Subject"))
	return r
}

// Text returns the decoded text/plain part of the message (the first one in
// a multipart message), or "" if there is none.
func (r Received) Text() string { return r.part("text/plain") }

// HTML returns the decoded text/html part of the message (the first one in
// a multipart message), or "" if there is none.
func (r Received) HTML() string { return r.part("text/html") }

// HeaderValues returns every value of the top-level header key (its
// canonical form is used), e.g. to assert a header appears exactly once.
func (r Received) HeaderValues(key string) []string {
	return r.Header[textproto.CanonicalMIMEHeaderKey(key)]
}

func (r Received) part(want string) string {
	msg, err := mail.ReadMessage(bytes.NewReader(r.Data))
	if err != nil {
		return ""
	}
	s, _ := findPart(textproto.MIMEHeader(msg.Header), msg.Body, want)
	return s
}

// findPart walks the MIME tree below one entity and returns the decoded body
// of the first leaf whose media type is want.
func findPart(h textproto.MIMEHeader, body io.Reader, want string) (string, bool) {
	ct := h.Get("Content-Type")
	if ct == "" {
		ct = "text/plain"
	}
	mediaType, params, err := mime.ParseMediaType(ct)
	if err != nil {
		return "", false
	}
	if strings.HasPrefix(mediaType, "multipart/") {
		mr := multipart.NewReader(body, params["boundary"])
		for {
			p, err := mr.NextRawPart()
			if err != nil {
				return "", false
			}
			if s, ok := findPart(p.Header, p, want); ok {
				return s, true
			}
		}
	}
	if mediaType != want {
		return "", false
	}
	b, err := io.ReadAll(decodeTransfer(h.Get("Content-Transfer-Encoding"), body))
	if err != nil {
		return "", false
	}
	return string(b), true
}

func decodeTransfer(cte string, body io.Reader) io.Reader {
	switch strings.ToLower(strings.TrimSpace(cte)) {
	case "quoted-printable":
		return quotedprintable.NewReader(body)
	case "base64":
		return base64.NewDecoder(base64.StdEncoding, newlineStripper{body})
	default:
		return body
	}
}

// newlineStripper drops CR and LF so that line-wrapped base64 decodes.
type newlineStripper struct{ r io.Reader }

func (n newlineStripper) Read(p []byte) (int, error) {
	for {
		k, err := n.r.Read(p)
		j := 0
		for _, c := range p[:k] {
			if c != '\r' && c != '\n' {
				p[j] = c
				j++
			}
		}
		if j > 0 || err != nil {
			return j, err
		}
	}
}

func decodeWords(s string) string {
	dec := mime.WordDecoder{}
	if out, err := dec.DecodeHeader(s); err == nil {
		return out
	}
	return s
}
