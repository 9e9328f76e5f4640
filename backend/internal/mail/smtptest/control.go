package smtptest

import "strings"

// RejectRecipient makes RCPT TO for addr (compared case-insensitively) fail
// with "550 5.1.1 Mailbox unavailable", a permanent failure. It stays in
// effect for the life of the server.
func (s *Server) RejectRecipient(addr string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rejected[strings.ToLower(strings.TrimSpace(addr))] = true
}

// FailNext makes the next n DATA commands fail with the SMTP reply code
// code (for example 451 for a temporary failure, 554 for a permanent one)
// after the message content was sent. A code outside 400–599 means 451.
// FailNext(0, …) clears a pending injection. Failed messages are not
// recorded.
func (s *Server) FailNext(n int, code int) {
	if code < 400 || code > 599 {
		code = 451
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failN = max(n, 0)
	s.failCode = code
}

// RequireAuth makes the server offer AUTH PLAIN (also without TLS) and
// refuse MAIL FROM with 530 until the client authenticated as user with
// pass. Wrong credentials get 535.
func (s *Server) RequireAuth(user, pass string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.authUser, s.authPass = user, pass
}
